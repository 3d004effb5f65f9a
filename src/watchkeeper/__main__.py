"""``python -m watchkeeper``: the same command line as the ``watchkeeper`` script."""

from __future__ import annotations

import sys

from watchkeeper.cli import main

if __name__ == "__main__":
    sys.exit(main())
