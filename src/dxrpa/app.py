"""Composition root: builds settings, the store and the concrete services from configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

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
        if "store" in self.__dict__:
            self.store.dispose()


def open_app(settings: Settings | None = None) -> App:
    app = App(settings or load_settings())
    set_timezone(app.settings.timezone)  # CLI log lines in the configured zone, as reports are
    return app
