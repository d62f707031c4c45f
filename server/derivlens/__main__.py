"""`python -m derivlens ...` is the `derivlens` command."""

import sys

from derivlens import early

early.start_if_serving(sys.argv[1:])  # before the command line's own imports

from derivlens.cli import main  # noqa: E402

raise SystemExit(main())
