"""The ``dxrpa`` console script and ``python -m dxrpa``: start-up with the cyclic GC paused.

Importing dxrpa's dependencies (pydantic models, SQLAlchemy, Playwright, openpyxl) allocates
hundreds of thousands of objects and frees almost none, and the collector walking them costs
about 0.4 s of every command (``python -X importtime``). It is paused here; the command turns it
back on, with the start-up objects frozen out of later collections, as soon as its imports are
done (:func:`dxrpa.cli.ready`), and always before it exits.
"""

from __future__ import annotations

import gc
import sys


def run() -> None:
    gc.disable()
    from dxrpa.cli import main

    sys.exit(main())
