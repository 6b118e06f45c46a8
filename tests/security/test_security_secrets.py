"""Secrets resolve from env, OS keyring (when present) and the encrypted file; never stored in clear."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dxrpa.engine import secrets as sec
from dxrpa.errors import ExitCode, SecretError, UsageError
from dxrpa.i18n import set_lang
from dxrpa.log import redact

from .conftest import CliRunner

VALUE = "S3cret-Pa55-ＸＹＺ-42"


def _grep(path: Path, needle: str) -> int:
    """Occurrences of ``needle`` (UTF-8 bytes) in a file, like ``grep -c -a -F``."""
    return path.read_bytes().count(needle.encode("utf-8"))


def test_resolve_from_env_registers_value_for_redaction(tmp_path: Path) -> None:
    value = "env-only-value-7731"
    got = sec.resolve_secrets(
        "juminhyo", ["PORTAL_PASSWORD"], var_dir=tmp_path, env={"PORTAL_PASSWORD": value}
    )
    assert got["PORTAL_PASSWORD"] == value
    assert got.sources == {"PORTAL_PASSWORD": "env"}
    assert value not in repr(got) and value not in str(got)
    assert redact(f"login with {value}") == "login with ***"


def test_env_name_upper_case_fallback(tmp_path: Path) -> None:
    assert (
        sec.resolve_secret("r", "portal_token", var_dir=tmp_path, env={"PORTAL_TOKEN": "tok-123"})
        == "tok-123"
    )


def test_cli_set_from_stdin_then_resolve_from_file(cli: CliRunner, home: Path) -> None:
    proc = cli("secrets", "set", "PORTAL_PASSWORD", input=VALUE + "\n")
    assert proc.returncode == 0, proc.stderr
    assert VALUE not in proc.stdout + proc.stderr
    got = sec.resolve_secrets("juminhyo", ["PORTAL_PASSWORD"], var_dir=home / "var", env={})
    assert got["PORTAL_PASSWORD"] == VALUE  # trailing newline of the pipe dropped
    assert got.sources == {"PORTAL_PASSWORD": "file"}
    assert redact(f"pw={VALUE}") == "pw=***"


def test_env_wins_over_file(cli: CliRunner, home: Path) -> None:
    assert cli("secrets", "set", "API_TOKEN", input="from-file-value").returncode == 0
    got = sec.resolve_secrets("r", ["API_TOKEN"], var_dir=home / "var", env={"API_TOKEN": "from-env-value"})
    assert got["API_TOKEN"] == "from-env-value"


def test_file_store_is_not_plaintext(cli: CliRunner, home: Path) -> None:
    assert cli("secrets", "set", "PORTAL_PASSWORD", input=VALUE).returncode == 0
    var = home / "var"
    store_file, key_file = var / "secrets.enc", var / "secret.key"
    assert store_file.is_file() and key_file.is_file()
    assert _grep(store_file, VALUE) == 0
    assert _grep(store_file, "PORTAL_PASSWORD") == 0  # names are encrypted too
    assert _grep(store_file, "S3cret") == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_file.stat().st_mode) == 0o600
    for f in var.iterdir():  # key, store, SQLite database (audit row), WAL files
        if f.is_file():
            assert _grep(f, VALUE) == 0, f


@pytest.mark.slow
def test_cli_from_env_list_and_delete(cli: CliRunner, home: Path) -> None:
    proc = cli(
        "secrets", "set", "SMTP_PASSWORD", "--from-env", "MY_SMTP_PW", env={"MY_SMTP_PW": "smtp-pw-998"}
    )
    assert proc.returncode == 0, proc.stderr
    assert cli("secrets", "set", "API_TOKEN", input="tok-abc-123").returncode == 0
    listing = cli("secrets", "list")
    assert listing.returncode == 0
    assert listing.stdout.split() == ["API_TOKEN", "SMTP_PASSWORD"]
    assert "smtp-pw-998" not in listing.stdout and "tok-abc-123" not in listing.stdout
    assert cli("secrets", "delete", "SMTP_PASSWORD").returncode == 0
    assert cli("secrets", "list").stdout.split() == ["API_TOKEN"]
    again = cli("secrets", "delete", "SMTP_PASSWORD")
    assert again.returncode == ExitCode.USAGE
    assert "SMTP_PASSWORD" in again.stderr and "Traceback" not in again.stderr
    missing_env = cli("secrets", "set", "X_TOKEN", "--from-env", "NOT_SET_ANYWHERE_123")
    assert missing_env.returncode == ExitCode.USAGE
    assert "NOT_SET_ANYWHERE_123" in missing_env.stderr


def test_missing_secret_error_names_robot_secret_and_fix(tmp_path: Path, english: None) -> None:
    with pytest.raises(SecretError) as err:
        sec.resolve_secrets("juminhyo_nyuryoku", ["PORTAL_PASSWORD"], var_dir=tmp_path, env={})
    text = str(err.value)
    assert "juminhyo_nyuryoku" in text
    assert "PORTAL_PASSWORD" in text
    assert "dxrpa secrets set PORTAL_PASSWORD" in text
    assert "environment variable PORTAL_PASSWORD" in text
    assert err.value.exit_code == ExitCode.SECRET
    set_lang("ja")
    with pytest.raises(SecretError) as err_ja:
        sec.resolve_secrets("juminhyo_nyuryoku", ["PORTAL_PASSWORD"], var_dir=tmp_path, env={})
    assert "ロボット「juminhyo_nyuryoku」" in str(err_ja.value)
    assert "環境変数 PORTAL_PASSWORD" in str(err_ja.value)


def test_key_from_env_and_wrong_key(tmp_path: Path, english: None) -> None:
    key = Fernet.generate_key().decode()
    store = sec.FileSecretStore(tmp_path, env={sec.KEY_ENV: key})
    store.set("DB_PASSWORD", "db-pw-4455")
    assert not (tmp_path / "secret.key").exists()  # the env key is used, no key file written
    assert sec.resolve_secret("r", "DB_PASSWORD", var_dir=tmp_path, env={sec.KEY_ENV: key}) == "db-pw-4455"
    other = Fernet.generate_key().decode()
    with pytest.raises(SecretError, match="key does not match"):
        sec.resolve_secret("r", "DB_PASSWORD", var_dir=tmp_path, env={sec.KEY_ENV: other})
    with pytest.raises(SecretError, match="no key to decrypt"):
        sec.FileSecretStore(tmp_path, env={}).names()
    with pytest.raises(SecretError, match="malformed"):
        sec.FileSecretStore(tmp_path, env={sec.KEY_ENV: "not-a-key"}).names()


def test_key_file_from_env_var(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "dxrpa.key"
    env = {sec.KEY_FILE_ENV: str(key_file)}
    sec.FileSecretStore(tmp_path / "var", env=env).set("TOKEN_A", "value-aaa")
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "var" / "secret.key").exists()
    assert sec.FileSecretStore(tmp_path / "var", env=env).get("TOKEN_A") == "value-aaa"


def test_invalid_names_rejected(tmp_path: Path) -> None:
    for bad in ("1ABC", "has space", "semi;colon", ""):
        with pytest.raises(UsageError):
            sec.FileSecretStore(tmp_path, env={}).set(bad, "v")


def test_keyring_is_optional(tmp_path: Path) -> None:
    """Without the keyring package (or backend) lookup falls through to the file store."""
    sec.FileSecretStore(tmp_path, env={}).set("ONLY_IN_FILE", "file-value-1")
    found = sec.lookup("ONLY_IN_FILE", var_dir=tmp_path, env={})
    assert found is not None and found[0] == "file-value-1"
    assert found[1] in {"file", "keyring"}


@pytest.mark.slow
def test_cli_uses_key_from_env_vars(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    """DXRPA_SECRET_KEY / DXRPA_SECRET_KEY_FILE configure the key, not a dxrpa setting."""
    key = Fernet.generate_key().decode()
    proc = cli("secrets", "set", "PORTAL_PASSWORD", input=VALUE, env={sec.KEY_ENV: key})
    assert proc.returncode == 0, proc.stderr
    assert not (home / "var" / "secret.key").exists()
    assert sec.resolve_secret("r", "PORTAL_PASSWORD", var_dir=home / "var", env={sec.KEY_ENV: key}) == VALUE
    key_file = tmp_path / "elsewhere" / "dxrpa.key"
    proc = cli("secrets", "set", "OTHER_TOKEN", input="other-123", env={sec.KEY_FILE_ENV: str(key_file)})
    assert proc.returncode == ExitCode.SECRET  # the store exists: no new key is made up for it
    assert "no key to decrypt" in proc.stderr
    assert not key_file.exists()
    listing = cli("secrets", "list", env={sec.KEY_ENV: key})
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.split() == ["PORTAL_PASSWORD"]
