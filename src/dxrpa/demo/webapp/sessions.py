"""In-memory login sessions and the draft of the multi-step entry form."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

COOKIE = "dxrpa_demo_sid"


@dataclass
class Draft:
    """Values entered so far; step 3 posts ``id`` back so a stale confirm page cannot submit."""

    id: str = field(default_factory=lambda: secrets.token_hex(8))
    applicant: dict[str, str] = field(default_factory=dict)
    request: dict[str, str] | None = None
    attachment_name: str = ""
    attachment: bytes = b""


@dataclass
class Session:
    user: str
    draft: Draft | None = None
    acked_notices: bool = False


class Sessions:
    """Token → session, thread-safe. Lost when the app stops (as in a real system)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, Session] = {}

    def create(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._by_token[token] = Session(user)
        return token

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            return self._by_token.get(token)

    def drop(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._by_token.pop(token, None)
