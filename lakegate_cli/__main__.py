"""`python -m lakegate_cli`: the `lakegate` command line."""

import sys

from lakegate_cli.cli import main

sys.exit(main())
