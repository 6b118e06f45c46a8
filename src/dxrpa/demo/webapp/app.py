"""Start and stop the sample app inside the current process (a server thread)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from .faults import FaultInjector, Faults
from .handler import AppServer, AppState
from .sessions import Sessions
from .storage import Storage

DEFAULT_USERS = {"staff01": "demo-pass"}


class SampleApp:
    """A running sample app. Use :func:`start_app`; ``stop()`` (or ``with``) ends it."""

    def __init__(self, server: AppServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.url = f"http://{self.host}:{self.port}"

    @property
    def db_path(self) -> Path | None:
        """The SQLite file, or ``None`` for an in-memory database."""
        return self._server.state.storage.path

    @property
    def faults(self) -> Faults:
        return self._server.state.faults.faults

    def applications(self) -> list[dict[str, Any]]:
        """Every stored application row, oldest first, duplicates included (never deduplicated)."""
        return self._server.state.storage.applications()

    def attempts(self) -> list[dict[str, Any]]:
        """Every submission attempt (accepted and rejected duplicates), oldest first."""
        return self._server.state.storage.attempts()

    def set_faults(self, faults: Faults) -> None:
        """Switch the fault injection at run time (``Faults()`` turns it off)."""
        self._server.state.faults.set(faults)

    def stop(self) -> None:
        """Stop serving and close the database (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._server.server_close()
            self._server.state.storage.close()

    def __enter__(self) -> SampleApp:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_app(
    db_path: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Faults | None = None,
    users: dict[str, str] | None = None,
    allow_duplicates: bool = False,
) -> SampleApp:
    """Serve the sample app on ``host:port`` (0 = a free port) in a background thread.

    ``db_path`` is the SQLite file that keeps the entries (``None`` = in memory). With
    ``allow_duplicates`` the same 受付番号 may be stored twice, so tests can see double entry.
    """
    state = AppState(
        storage=Storage(Path(db_path) if db_path is not None else None),
        faults=FaultInjector(faults),
        sessions=Sessions(),
        users=dict(DEFAULT_USERS if users is None else users),
        allow_duplicates=allow_duplicates,
    )
    try:
        server = AppServer((host, port), state)
    except OSError:
        state.storage.close()
        raise
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.2},
        name=f"dxrpa-sample-app-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return SampleApp(server, thread)
