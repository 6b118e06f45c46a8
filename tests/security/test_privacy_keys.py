"""Issue 12: keys that are personal data are stored as a salted hash with a display form, and outputs
declared ``pii`` are encrypted at rest (real key file, real robot model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxrpa.engine.data import build_batch
from dxrpa.engine.pii import PiiVault, is_stored_key, protect_keys, protect_outputs, stored_key
from dxrpa.errors import DataError
from dxrpa.model.robot import DataSpec, Robot

BASE = {"name": "keys_robot", "title": "t", "department": "d", "baseline": {"minutes_per_item": 1}}


def test_my_number_keys_are_hashed_the_same_however_written(tmp_path: Path) -> None:
    vault = PiiVault(tmp_path / "var", env={})
    spec = DataSpec(key="申請者番号")
    forms = ["123456789018", "1234-5678-9018", "１２３４　５６７８　９０１８", "1234ー5678ー9018"]
    stored = {stored_key(f, spec, vault) for f in forms}
    assert len(stored) == 1
    (key,) = stored
    assert key.startswith("申請者番号 ****-****-9018 #") and "12345678" not in key
    assert is_stored_key(key) and stored_key(key, spec, vault) == key  # handed back by the console
    assert (tmp_path / "var" / "pii.key").stat().st_mode & 0o777 == 0o600
    # another process reading the same key file agrees; another salt does not
    assert stored_key("123456789018", spec, PiiVault(tmp_path / "var", env={})) == key
    assert stored_key("123456789018", spec, PiiVault(tmp_path / "other", env={})) != key
    env_vault = PiiVault(tmp_path / "unused", env={"DXRPA_SECRET_KEY": "shared-on-every-host"})
    assert stored_key("123456789018", spec, env_vault) != key
    assert not (tmp_path / "unused" / "pii.key").exists()
    # not personal: kept as it is
    assert stored_key("000123", spec, vault) == "000123"
    assert stored_key("123456789012", spec, vault) == "123456789012"  # check digit wrong


def test_declared_or_named_pii_key_columns_are_hashed(tmp_path: Path) -> None:
    vault = PiiVault(tmp_path, env={})
    phone = stored_key("090-1234-5678", DataSpec(key="電話番号", key_pii=True), vault)
    assert phone.startswith("電話番号 **** #") and "5678" not in phone
    typo = stored_key("123456789012", DataSpec(key="個人番号"), vault)  # named like a My Number column
    assert typo.startswith("個人番号 **** #")


def test_protect_keys_finds_the_same_number_written_twice(tmp_path: Path) -> None:
    vault = PiiVault(tmp_path, env={})
    spec = DataSpec(key="個人番号")
    rows = [(2, {"個人番号": "123456789018"}), (3, {"個人番号": "876543210008"})]
    batch = build_batch("data.csv", ["個人番号"], rows, spec)
    keys = protect_keys(batch, spec, vault)
    assert [keys.original(i.key) for i in batch.items] == ["123456789018", "876543210008"]
    assert keys.scrub("入力済み: 876543210008", batch.items[1].key) == f"入力済み: {batch.items[1].key}"
    twice = build_batch(
        "data.csv",
        ["個人番号"],
        [(2, {"個人番号": "123456789018"}), (3, {"個人番号": "1234-5678-9018"})],
        spec,
    )
    with pytest.raises(DataError, match=r"data\.csv:row 3") as err:
        protect_keys(twice, spec, vault)
    assert "9018 #" in str(err.value) and "12345678" not in str(err.value)


def test_outputs_declared_pii_are_encrypted_and_the_rest_redacted(tmp_path: Path) -> None:
    robot = Robot.model_validate(
        {
            **BASE,
            "item": [{"goto": "http://127.0.0.1/"}],
            "outputs": ["receipt_no", {"name": "番号", "pii": True}],
        }
    )
    assert robot.output_names == ["receipt_no", "番号"] and robot.pii_outputs == {"番号"}
    assert Robot.model_validate({**BASE, "item": [{"goto": "x"}], "outputs": ["a", "b"]}).output_names == [
        "a",
        "b",
    ]
    vault = PiiVault(tmp_path, env={})
    stored = protect_outputs(
        {"receipt_no": "控え 123456789018", "番号": "123456789018", "rows": [{"n": "876543210008"}]},
        robot.pii_outputs,
        vault,
    )
    assert stored["receipt_no"] == "控え ***"
    assert stored["rows"] == [{"n": "***"}]
    assert stored["番号"].startswith("enc:") and "123456789018" not in stored["番号"]
    assert vault.decrypt(stored["番号"]) == "123456789018"
