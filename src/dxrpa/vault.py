"""The key material personal data is sealed with, outside the database: item keys' HMAC, declared
``pii`` outputs, OCR text with a My Number in it and the crop images of such fields are sealed by it
(:mod:`dxrpa.engine.pii`, :mod:`dxrpa.store.sealed`, :mod:`dxrpa.ocr.crops`).

Env ``DXRPA_SECRET_KEY`` when set (the same on every runner host), else ``<var_dir>/pii.key``
(32 random bytes, mode 0600, created on first use). Back it up with the database: without it, sealed
values cannot be read and stored keys are not recognized.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from dxrpa.fileio import create_exclusive

KEY_FILE = "pii.key"
KEY_ENV = "DXRPA_SECRET_KEY"
ENCRYPTED = "enc:"
DIGITS = 10  # this many digits in a text and it is sealed


def must_seal(text: str) -> bool:
    """Whether ``text`` holds enough digits to be (part of) a My Number (a My Number misread with a
    digit missing, and phone numbers, too: sealing more costs nothing)."""
    folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return sum("0" <= c <= "9" for c in folded) >= DIGITS


class PiiVault:
    """HMAC and Fernet keys derived from key material outside the database, loaded on first use."""

    def __init__(self, var_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.env = os.environ if env is None else env
        self._material: bytes | None = None

    def _key(self, purpose: bytes) -> bytes:
        if self._material is None:
            raw = self.env.get(KEY_ENV, "")
            if raw:
                self._material = raw.encode("utf-8")
            else:
                path = self.var_dir / KEY_FILE
                if not path.is_file():  # mode 0600; two first runs agree on one key
                    create_exclusive(path, secrets.token_hex(32).encode("ascii") + b"\n")
                self._material = path.read_bytes().strip()
        return hmac.new(self._material, b"dxrpa-pii:" + purpose, hashlib.sha256).digest()

    def digest(self, value: str) -> str:
        return hmac.new(self._key(b"key"), value.encode("utf-8"), hashlib.sha256).hexdigest()[:24]

    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(self._key(b"outputs")))

    def encrypt(self, value: Any) -> str:
        blob = json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
        return ENCRYPTED + self._fernet().encrypt(blob).decode("ascii")

    def decrypt(self, stored: str) -> Any:
        """The value :meth:`encrypt` stored (for staff tooling with access to the key)."""
        return json.loads(self._fernet().decrypt(stored.removeprefix(ENCRYPTED).encode("ascii")))

    def seal_bytes(self, data: bytes) -> bytes:
        """``data`` (a file's content, an image) as a Fernet token."""
        return self._fernet().encrypt(data)

    def open_bytes(self, token: bytes) -> bytes:
        """What :meth:`seal_bytes` sealed; ``cryptography.fernet.InvalidToken`` under another key."""
        return self._fernet().decrypt(token)


__all__ = ["DIGITS", "ENCRYPTED", "KEY_ENV", "KEY_FILE", "PiiVault", "must_seal"]
