"""``python -m futstrat``: the same as the ``futstrat`` command."""

import sys

from futstrat.cli import main

if __name__ == "__main__":
    sys.exit(main())
