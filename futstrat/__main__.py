"""``python -m futstrat``: the same as the ``futstrat`` command."""

import sys

try:
    from futstrat.cli import main
except KeyboardInterrupt:  # Ctrl-C before the command could even load: no traceback for that
    print("futstrat: error: interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
