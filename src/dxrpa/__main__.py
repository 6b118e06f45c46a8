"""``python -m dxrpa`` = the ``dxrpa`` command."""

import sys

from dxrpa.cli import main

sys.exit(main())
