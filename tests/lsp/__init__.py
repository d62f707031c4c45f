"""Tests of the lsp layer (README.md, Layout)."""
