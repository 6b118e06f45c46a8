"""The audit chain's HMAC key, kept outside the database.

Lookup order: env ``DXRPA_AUDIT_KEY`` (the key itself, at least 32 characters), else the file
named by ``DXRPA_AUDIT_KEY_FILE``, else ``<key_dir>/audit.key``. A missing key *file* is created
(32 random bytes as hex, mode 0600) on first use; the caller learns that it was just created,
because that is the one moment the existing unkeyed rows are re-keyed (see
:mod:`dxrpa.store.audit_repo`). Someone who can write the database but not read this file cannot
recompute the chain.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dxrpa.errors import ConfigError
from dxrpa.fileio import create_exclusive
from dxrpa.i18n import tr

KEY_ENV = "DXRPA_AUDIT_KEY"
KEY_FILE_ENV = "DXRPA_AUDIT_KEY_FILE"
KEY_FILE = "audit.key"
_MIN_ENV_KEY = 32


@dataclass(frozen=True)
class AuditKey:
    """Key bytes and where they came from (for messages; never the key itself)."""

    key: bytes
    source: str


def key_path(key_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get(KEY_FILE_ENV)
    return Path(explicit) if explicit else key_dir / KEY_FILE


def _bad_key(source: str) -> ConfigError:
    return ConfigError(
        tr(f"監査ログの鍵 {source} の形式が正しくありません", f"audit key {source} is malformed"),
        hint=tr(
            f"{KEY_ENV} は32文字以上、鍵ファイルは64桁の16進数にしてください",
            f"{KEY_ENV} needs at least 32 characters; a key file holds 64 hex digits",
        ),
    )


def load(key_dir: Path, env: Mapping[str, str] | None = None) -> AuditKey | None:
    """The configured key, or ``None`` when no key exists yet (file not created)."""
    env = os.environ if env is None else env
    raw = env.get(KEY_ENV)
    if raw:
        if len(raw) < _MIN_ENV_KEY:
            raise _bad_key(KEY_ENV)
        return AuditKey(raw.encode("utf-8"), KEY_ENV)
    path = key_path(key_dir, env)
    if not path.is_file():
        return None
    try:
        return AuditKey(bytes.fromhex(path.read_text(encoding="ascii").strip()), str(path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_key(str(path)) from exc


def new_key(key_dir: Path, env: Mapping[str, str] | None = None) -> AuditKey:
    """A fresh random key for :func:`publish` (not yet written anywhere)."""
    return AuditKey(secrets.token_bytes(32), str(key_path(key_dir, env)))


def publish(key: AuditKey) -> bool:
    """Write ``key`` to its file with mode 0600 unless the file already exists (another process
    won the race): returns False then, and the caller must use :func:`load` instead."""
    return create_exclusive(Path(key.source), key.key.hex() + "\n")


__all__ = ["KEY_ENV", "KEY_FILE", "KEY_FILE_ENV", "AuditKey", "key_path", "load", "new_key", "publish"]
