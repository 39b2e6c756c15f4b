"""Layer 6: the ``ba3l`` command for working with many runs (not yet built)."""

import sys


def main() -> int:
    """Entry point of the ``ba3l`` command."""
    print("the ba3l command for working with runs is not built yet", file=sys.stderr)
    return 2
