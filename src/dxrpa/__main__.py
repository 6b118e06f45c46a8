"""``python -m dxrpa`` = the ``dxrpa`` command."""

from dxrpa.entry import run

run()
