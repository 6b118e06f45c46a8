"""Composition root: builds settings, the store and the concrete services from configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType

from dxrpa.config import Settings, load_settings
from dxrpa.log import set_timezone
from dxrpa.store import Store


@dataclass
class App:
    settings: Settings = field(default_factory=load_settings)

    @cached_property
    def store(self) -> Store:
        store = Store(self.settings.db_url, key_dir=self.settings.var_dir)
        store.upgrade()
        return store

    def close(self) -> None:
        """Release the store's connections (an App may be used again: the pool reopens)."""
        if "store" in self.__dict__:
            self.store.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_OPENED: list[App] = []  # what open_app made in this process and close_apps has not closed yet


def open_app(settings: Settings | None = None) -> App:
    """The App of one command; the CLI closes it with :func:`close_apps` when the command ends."""
    app = App(settings or load_settings())
    set_timezone(app.settings.timezone)  # CLI log lines in the configured zone, as reports are
    _OPENED.append(app)
    return app


def close_apps() -> None:
    """Close every App :func:`open_app` made: a command's store connections end with the command."""
    while _OPENED:
        _OPENED.pop().close()
