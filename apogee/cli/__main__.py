"""`python -m apogee.cli`: the `apogee` command without the console script."""

import sys

from apogee.cli import main

sys.exit(main())
