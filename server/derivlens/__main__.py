"""`python -m derivlens ...` is the `derivlens` command."""

import sys

from derivlens import safepath

safepath.drop_working_directory()  # before any import that sys.path could shadow

from derivlens import early

early.start_if_serving(sys.argv[1:])  # before the command line's own imports

from derivlens.cli import main

raise SystemExit(main())
