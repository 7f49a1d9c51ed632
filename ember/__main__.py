"""``python -m ember``: the ``ember`` command (the same as the console script)."""
import sys

from ember.cli import main

if __name__ == "__main__":
    sys.exit(main())
