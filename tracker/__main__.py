"""`python -m tracker` runs the same command line as the `tracker` script."""

from tracker.cli import run

run()
