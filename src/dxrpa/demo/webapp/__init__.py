"""Sample municipal back-office web app (さくら市 窓口業務システム) driven by tests, benchmarks and
``dxrpa demo`` with real Chromium.

Standard library only (``http.server`` + ``sqlite3``) plus Jinja2 templates::

    app = start_app(tmp_path / "app.sqlite", allow_duplicates=True)
    app.url; app.applications(); app.set_faults(Faults(error_rate=0.1, seed=1)); app.stop()

``SampleAppProcess`` / ``start_app_process`` run the same app as a separate process.
See docs/webapp.md for pages, labels and the admin API.
"""

from .app import DEFAULT_USERS, SampleApp, start_app
from .faults import Faults
from .process import SampleAppProcess, start_app_process
from .storage import read_applications
from .validation import DUPLICATE_MESSAGE

__all__ = [
    "DEFAULT_USERS",
    "DUPLICATE_MESSAGE",
    "Faults",
    "SampleApp",
    "SampleAppProcess",
    "read_applications",
    "start_app",
    "start_app_process",
]
