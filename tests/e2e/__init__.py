"""Tests of the e2e layer (README.md, Layout)."""
