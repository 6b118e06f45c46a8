"""Resolve a robot's declared ``secrets:`` names to values, and keep those values out of every log.

Lookup order for each name (first hit wins):

1. environment variable ``NAME`` (as written, then upper-cased);
2. the OS keyring (service ``dxrpa``) when the optional ``keyring`` package has a usable backend;
3. the encrypted file store ``<var_dir>/secrets.enc`` (``dxrpa secrets set NAME``): one Fernet
   token holding a JSON object, so neither names nor values are readable without the key.

The Fernet key comes from env ``DXRPA_SECRET_KEY``, else the file named by
``DXRPA_SECRET_KEY_FILE``, else ``<var_dir>/secret.key`` (created with mode 0600 on the first
``set``). Every value handed out is registered with :data:`dxrpa.log.redact`, so loguru masks it
in every sink from then on.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from dxrpa.errors import RobotDefect, SecretError, UsageError
from dxrpa.fileio import write_atomic
from dxrpa.i18n import tr
from dxrpa.log import redact

KEYRING_SERVICE = "dxrpa"
KEY_ENV = "DXRPA_SECRET_KEY"
KEY_FILE_ENV = "DXRPA_SECRET_KEY_FILE"
STORE_FILE = "secrets.enc"
KEY_FILE = "secret.key"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_UNIT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}@[^\s@/\\]{1,100}$")  # a 区's own value: NAME@北区


def check_name(name: str) -> str:
    """A secret name must also be a valid environment variable name (or ``NAME@区`` for one 区)."""
    if not (_NAME.match(name) or _UNIT_NAME.match(name)):
        raise UsageError(
            tr(f"シークレット名「{name}」は使えません", f"invalid secret name '{name}'"),
            hint=tr(
                "英字・数字・_ のみ(先頭は英字か _)、100文字まで",
                "use letters, digits and _ only (not starting with a digit), at most 100 characters",
            ),
        )
    return name


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with mode 0600 (tmp file, fsync, rename)."""
    write_atomic(path, data, fsync=True)


class FileSecretStore:
    """Encrypted name → value store in one file under ``var_dir``."""

    def __init__(self, var_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.env = os.environ if env is None else env
        self.path = var_dir / STORE_FILE

    @property
    def key_file(self) -> Path:
        explicit = self.env.get(KEY_FILE_ENV)
        return Path(explicit) if explicit else self.var_dir / KEY_FILE

    def _fernet(self, *, create: bool) -> Fernet | None:
        raw = self.env.get(KEY_ENV)
        source = KEY_ENV
        if not raw:
            source = str(self.key_file)
            if self.key_file.is_file():
                raw = self.key_file.read_text(encoding="ascii").strip()
            elif create:
                raw = Fernet.generate_key().decode("ascii")
                _write_private(self.key_file, raw.encode("ascii") + b"\n")
            else:
                return None
        try:
            return Fernet(raw.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise SecretError(
                tr(f"シークレット鍵 {source} の形式が正しくありません", f"secret key {source} is malformed"),
                hint=tr(
                    "Fernet 鍵(URL-safe base64 の32バイト)を指定してください",
                    "it must be a Fernet key (32 url-safe base64 bytes)",
                ),
            ) from None

    def _read(self, fernet: Fernet | None) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        if fernet is None:
            raise SecretError(
                tr(
                    f"{self.path} を復号する鍵がありません",
                    f"no key to decrypt {self.path}",
                ),
                hint=tr(
                    f"{self.key_file} を置くか環境変数 {KEY_ENV} を設定してください",
                    f"restore {self.key_file} or set {KEY_ENV}",
                ),
            )
        try:
            data: Any = json.loads(fernet.decrypt(self.path.read_bytes()))
        except InvalidToken:
            raise SecretError(
                tr(
                    f"{self.path} を復号できません(鍵が違います)",
                    f"cannot decrypt {self.path}: the key does not match",
                ),
                hint=tr(
                    f"保存時と同じ鍵({KEY_ENV} または {self.key_file})を使ってください",
                    f"use the key the store was written with ({KEY_ENV} or {self.key_file})",
                ),
            ) from None
        if not isinstance(data, dict):
            raise SecretError(tr(f"{self.path} の内容が壊れています", f"{self.path} is corrupt"))
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, fernet: Fernet, values: Mapping[str, str]) -> None:
        payload = json.dumps(dict(sorted(values.items())), ensure_ascii=False).encode("utf-8")
        _write_private(self.path, fernet.encrypt(payload))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialize read-modify-write of the store file between processes where the OS allows."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # Windows: single writer expected (an operator at a console)
            yield
            return
        with open(self.var_dir / f".{STORE_FILE}.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def names(self) -> list[str]:
        return sorted(self._read(self._fernet(create=False)))

    def get(self, name: str) -> str | None:
        if not self.path.is_file():
            return None
        return self._read(self._fernet(create=False)).get(name)

    def set(self, name: str, value: str) -> None:
        check_name(name)
        if not value:
            raise UsageError(tr(f"シークレット「{name}」の値が空です", f"secret '{name}': empty value"))
        with self._locked():
            fernet = self._fernet(create=not self.path.is_file())  # never a new key for an existing store
            values = self._read(fernet)
            assert fernet is not None  # created for a new store; _read raised for an existing one
            values[name] = value
            self._write(fernet, values)

    def delete(self, name: str) -> bool:
        with self._locked():
            fernet = self._fernet(create=False)
            values = self._read(fernet)
            if name not in values or fernet is None:
                return False
            del values[name]
            self._write(fernet, values)
            return True


def _keyring() -> Any | None:
    """The keyring module when installed and backed by a real (non-fail) backend."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 — not installed, or a broken backend import
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 — a keyring backend may raise anything: then there is none
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def keyring_available() -> bool:
    return _keyring() is not None


def keyring_get(name: str) -> str | None:
    kr = _keyring()
    if kr is None:
        return None
    try:
        value = kr.get_password(KEYRING_SERVICE, name)
    except Exception:  # noqa: BLE001 — locked or unreachable backend: fall through to the file store
        return None
    return str(value) if value else None


def keyring_set(name: str, value: str) -> None:
    kr = _keyring()
    if kr is None:
        raise SecretError(
            tr("OS のキーリングが使えません", "no OS keyring is available"),
            hint=tr(
                "pip install 'dxrpa[keyring]' をするか、--keyring なしで暗号化ファイルに保存してください",
                "pip install 'dxrpa[keyring]', or store it in the encrypted file (omit --keyring)",
            ),
        )
    kr.set_password(KEYRING_SERVICE, check_name(name), value)


def keyring_delete(name: str) -> bool:
    kr = _keyring()
    if kr is None:
        return False
    try:
        kr.delete_password(KEYRING_SERVICE, name)
    except Exception:  # noqa: BLE001 — PasswordDeleteError: not there
        return False
    return True


class Secrets(Mapping[str, str]):
    """Resolved values by name, with a ``repr`` that never shows them."""

    def __init__(self, values: Mapping[str, str], sources: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.sources = dict(sources)  # name → "env" | "keyring" | "file"

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets({', '.join(f'{n}=***' for n in self._values)})"

    __str__ = __repr__


def missing_secret_error(robot: str, name: str) -> SecretError:
    return SecretError(
        tr(
            f"ロボット「{robot}」のシークレット「{name}」が設定されていません",
            f"robot '{robot}': secret '{name}' is not set",
        ),
        hint=tr(
            f"`dxrpa secrets set {name}` で登録するか、環境変数 {name} を設定してください",
            f"run `dxrpa secrets set {name}` or set the environment variable {name}",
        ),
    )


def lookup(name: str, *, var_dir: Path, env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """``(value, source)`` for one name without registering it for redaction, or ``None``."""
    env = os.environ if env is None else env
    for candidate in dict.fromkeys((name, name.upper())):
        value = env.get(candidate)
        if value:
            return value, "env"
    value = keyring_get(name)
    if value:
        return value, "keyring"
    value = FileSecretStore(var_dir, env).get(name)
    if value:
        return value, "file"
    return None


def resolve_secrets(
    robot: str,
    names: Iterable[str],
    *,
    var_dir: Path,
    env: Mapping[str, str] | None = None,
    unit: str | None = None,
) -> Secrets:
    """Resolve every declared name (all must exist) and register each value for log redaction.

    For a shared robot's run for one 区 (``unit``), ``NAME@区`` is looked up first, then ``NAME``.
    Raises :class:`SecretError` naming the robot and the first missing secret.
    """
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in names:
        check_name(name)
        found = lookup(f"{name}@{unit}", var_dir=var_dir, env=env) if unit else None
        found = found or lookup(name, var_dir=var_dir, env=env)
        if found is None:
            raise missing_secret_error(robot, name)
        values[name], sources[name] = found
        redact.add(found[0])
    return Secrets(values, sources)


def allowed_env(names: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a robot's templates see: only the names it declares under ``env:`` (set ones)."""
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in names if name in environ}


def refuse_secret(value: Any, secrets: Mapping[str, str], where: str) -> None:
    """Raise :class:`RobotDefect` (without the value) when ``value`` holds a resolved secret in
    any encoding: it is about to be shown (a message, the log) or stored (a variable, outputs)."""
    if not secrets or value is None:
        return
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if redact.has_secret(text, tuple(sorted(secrets.values()))):
        raise RobotDefect(
            tr(
                f"{where}: シークレットの値が含まれるため使えません(表示・保存される値です)",
                f"{where}: the value holds a secret, which must not be shown or stored",
            ),
            hint=tr(
                "シークレットは fill / select / press にだけ使ってください",
                "use secrets only in fill, select or press steps",
            ),
        )


def resolve_secret(robot: str, name: str, *, var_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """One secret value (registered for redaction); :class:`SecretError` if it has none."""
    return resolve_secrets(robot, [name], var_dir=var_dir, env=env)[name]


__all__ = [
    "FileSecretStore",
    "Secrets",
    "allowed_env",
    "check_name",
    "keyring_available",
    "keyring_delete",
    "keyring_get",
    "keyring_set",
    "lookup",
    "missing_secret_error",
    "refuse_secret",
    "resolve_secret",
    "resolve_secrets",
]
