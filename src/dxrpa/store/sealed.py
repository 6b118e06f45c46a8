"""OCR text that may hold a My Number is sealed at rest (番号法: 特定個人情報 in the database).

The columns of an OCR field's value, its raw reading, the recognizer's text, the original value
before review and the reason hold what the form said. Any of them with ten or more digits (a My
Number, also one misread or missing a digit; phone numbers too) is written as a Fernet token
(``enc:…``) under the key of :class:`dxrpa.vault.PiiVault`, and read back in clear: robots, review
and exports see the value, a copy of the database file does not. The store puts its vault on its
engines' dialect (:func:`attach`); an engine without one refuses to write such text, and sealed
text that its key cannot open is an error (never ``***`` in its place, which a robot would enter).
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect, Engine

from dxrpa.errors import ConfigError, StoreError
from dxrpa.i18n import tr
from dxrpa.vault import ENCRYPTED, KEY_ENV, KEY_FILE, PiiVault, must_seal

_VAULT = "dxrpa_vault"


def attach(engine: Engine, vault: PiiVault) -> None:
    """Let ``engine``'s sessions seal and open :class:`SealedText` with ``vault``."""
    setattr(engine.dialect, _VAULT, vault)


class SealedText(TypeDecorator[str]):
    """Text stored sealed when :func:`must_seal` says so, read back in clear."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not (must_seal(value) or value.startswith(ENCRYPTED)):  # "enc:" read off a
            return value  # form is sealed too, or it would be taken for a token when read back
        vault: PiiVault | None = getattr(dialect, _VAULT, None)
        if vault is None:
            raise StoreError(
                tr(
                    "個人番号を含みうる OCR の値を、暗号化の鍵なしに保存しようとしました",
                    "an OCR value that may hold a My Number was to be stored without the sealing key",
                ),
                hint=tr("Store(...) を通して DB を開いてください", "open the database through Store(...)"),
            )
        return vault.encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not str(value).startswith(ENCRYPTED):
            return str(value)
        vault: PiiVault | None = getattr(dialect, _VAULT, None)
        try:
            if vault is not None:
                return str(vault.decrypt(value))
        except (InvalidToken, ValueError):
            pass
        # never "***" in place of the value: a robot would enter it into the target system
        raise ConfigError(
            tr(
                "暗号化して保存した OCR の値を開けません: 保存したときと鍵が違います",
                "a sealed OCR value cannot be opened: the key differs from the one it was sealed with",
            ),
            hint=tr(
                f"保存したホストの {KEY_FILE} を戻すか、すべてのホストで同じ {KEY_ENV} を設定してください",
                f"restore the {KEY_FILE} of the host that stored it, or set the same {KEY_ENV} on every host",
            ),
        )


__all__ = ["SealedText", "attach", "must_seal"]
