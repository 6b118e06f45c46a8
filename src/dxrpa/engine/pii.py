"""Personal data the store never holds in clear: item keys and declared ``pii`` outputs.

* A key that is a My Number (check digit valid), or comes from a key column declared
  ``key_pii: true`` or named 個人番号/マイナンバー, is stored as ``個人番号 ****-****-1234 #<hmac>``:
  a display form plus HMAC-SHA256 of the normalized value with a secret salt kept outside the
  database. The same value always gives the same stored key, so exactly-once entry, ``--reprocess``
  and the console's reprocess keep working; a stored key given back is recognized as such.
* Outputs declared ``{name: x, pii: true}`` are stored as Fernet tokens (``enc:…``); every other
  output passes the log redactor (secrets, My Numbers) before it is written.

Key material: :class:`dxrpa.vault.PiiVault` (env ``DXRPA_SECRET_KEY``, else ``<var_dir>/pii.key``).
Losing or changing it makes stored keys unrecognizable, so items would be entered again: back it up
with the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dxrpa.engine.data import DataBatch
from dxrpa.errors import DataError
from dxrpa.i18n import tr
from dxrpa.log import is_my_number, my_number_spans, redact
from dxrpa.model.robot import DataSpec
from dxrpa.vault import ENCRYPTED, PiiVault

_PII_COLUMN = re.compile(r"個人番号|マイナンバー|my_?number", re.IGNORECASE)
_STORED = re.compile(r".* \*{4}(?:-\*{4}-\d{4})? #[0-9a-f]{24}")


def is_stored_key(key: str) -> bool:
    """True for a key already in stored form (the console hands those back for reprocessing)."""
    return _STORED.fullmatch(key) is not None


def key_is_pii(spec: DataSpec) -> bool:
    """The key column is declared personal (``key_pii: true``) or named like a My Number column."""
    return spec.key_pii or bool(spec.key and _PII_COLUMN.search(spec.key))


def stored_key(raw: str, spec: DataSpec, vault: PiiVault) -> str:
    """The form a key is stored, logged and shown in: itself, or a display form plus a salted hash."""
    if is_stored_key(raw):
        return raw
    norm = unicodedata.normalize("NFKC", raw).strip()
    digits = re.sub(r"\D", "", norm)
    my_number = len(digits) == 12 and is_my_number(digits) and not re.search(r"[^\d\s\-./ー‐−]", norm)
    if not (my_number or key_is_pii(spec) or my_number_spans(norm)):
        return raw
    label = spec.key or tr("キー", "key")
    shown = f"****-****-{digits[-4:]}" if my_number else "****"
    return f"{label} {shown} #{vault.digest(digits if my_number else norm)}"


@dataclass
class KeyMap:
    """Stored key → the key as the data had it (the OCR source marks its rows by the latter)."""

    raw: dict[str, str] = field(default_factory=dict)

    def original(self, key: str) -> str:
        return self.raw.get(key, key)

    def scrub(self, text: str, key: str) -> str:
        """``text`` with the item's raw key replaced by its stored form (a message may echo it)."""
        raw = self.raw.get(key)
        return text.replace(raw, key) if raw else text


def protect_keys(batch: DataBatch, spec: DataSpec, vault: PiiVault) -> KeyMap:
    """Replace each item's key by its stored form (before anything is written or logged)."""
    keys = KeyMap()
    seen: dict[str, str] = {}
    for item in batch.items:
        new = stored_key(item.key, spec, vault)
        if new == item.key:
            continue
        if new in seen:
            raise DataError(
                tr(
                    f"{item.where}: キー '{new}' が {seen[new]} と同じ番号です",
                    f"{item.where}: key '{new}' is the same number as {seen[new]}",
                ),
                hint=tr("重複行を削除してください", "remove the duplicate row"),
            )
        seen[new] = item.where
        keys.raw[new] = item.key
        item.key = new
    return keys


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def protect_outputs(outputs: Mapping[str, Any], pii: set[str], vault: PiiVault) -> dict[str, Any]:
    """Outputs as stored: declared ``pii`` ones encrypted, the rest redacted."""
    return {
        name: vault.encrypt(value) if name in pii and value is not None else _redacted(value)
        for name, value in outputs.items()
    }


def shown_output(value: Any) -> str:
    """An output as a results workbook shows it (encrypted ones masked)."""
    if isinstance(value, str) and value.startswith(ENCRYPTED):
        return tr("(暗号化)", "(encrypted)")
    return "" if value is None else str(value)


__all__ = [
    "KeyMap",
    "PiiVault",
    "is_stored_key",
    "key_is_pii",
    "protect_keys",
    "protect_outputs",
    "shown_output",
    "stored_key",
]
