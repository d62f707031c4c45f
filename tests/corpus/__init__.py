"""The real-world corpus: functions of packages installed from PyPI, plotted in place."""
