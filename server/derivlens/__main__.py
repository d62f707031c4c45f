"""`python -m derivlens ...` is the `derivlens` command."""

from derivlens.cli import main

raise SystemExit(main())
