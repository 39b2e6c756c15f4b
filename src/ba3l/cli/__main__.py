"""``python -m ba3l.cli``: the ``ba3l`` command."""

import sys

from ba3l.cli import main

sys.exit(main())
