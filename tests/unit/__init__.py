"""Tests of the unit layer (README.md, Layout)."""
