"""Stand-in for the derivlens language server (see ../README.md)."""
