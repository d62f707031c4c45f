"""Tests of the sandbox layer (README.md, Layout)."""
