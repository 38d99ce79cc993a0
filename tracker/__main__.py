"""`python -m tracker` runs the same command line as the `tracker` script."""

import sys

from tracker.cli import main

sys.exit(main())
