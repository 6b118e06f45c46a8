"""Issue 2 bad input: one clear line naming file/line/step/item, a named exit code, no traceback,
and nothing entered or half-written."""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from dxrpa.config import Settings, load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.engine.data import load_tabular
from dxrpa.engine.paths import Folders
from dxrpa.errors import ExitCode
from dxrpa.model.robot import DataSpec
from dxrpa.reports.xlsx_rows import splice_rows
from dxrpa.store import Store
from dxrpa.store.tables import WorkItem

ROOT = Path(__file__).resolve().parents[2]


def dx(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, DXRPA_LANG="en", COLUMNS="250", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "dxrpa", *args],
        cwd=home,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def check_error(result: subprocess.CompletedProcess[str], code: ExitCode, *needles: str) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    assert "Traceback" not in out, out
    for needle in needles:
        assert needle in out, (needle, out)


def write_robot(home: Path, text: str, name: str = "juminhyo_entry") -> Path:
    path = home / "robots" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def robot_text(**replace: str) -> str:
    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_malformed_yaml_names_file_and_line(robot_env: Path) -> None:
    write_robot(robot_env, "name: x\nitem:\n  - goto: [unclosed\n")
    check_error(
        dx(robot_env, "robots", "validate", "robots/juminhyo_entry.yaml"),
        ExitCode.DEFINITION,
        "robots/juminhyo_entry.yaml:",
        "YAML syntax error",
    )


def test_unknown_step_and_key_get_did_you_mean(robot_env: Path) -> None:
    write_robot(
        robot_env,
        robot_text(
            **{
                "  - select: {label: 請求の種類": "  - selct: {label: 請求の種類",
                "{role: button, name: 次へ}": "{role: button, nme: 次へ}",
            }
        ),
    )
    result = dx(robot_env, "robots", "validate", "robots/juminhyo_entry.yaml")
    check_error(result, ExitCode.DEFINITION, "did you mean 'select'?", "item step")
    assert "robots/juminhyo_entry.yaml:" in result.stderr


def test_missing_column_stops_before_any_entry(robot_env: Path, sample_app: SampleApp) -> None:
    rows = juminhyo_rows(3)
    for r in rows:
        del r["フリガナ"]
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "フリガナ", "data/juminhyo.xlsx")
    assert sample_app.applications() == []
    assert not (robot_env / "results").exists()


def test_missing_secret_names_robot_and_how_to_set_it(robot_env: Path, sample_app: SampleApp) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "APP_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "-m", "dxrpa", "run", "juminhyo_entry"],
        cwd=robot_env,
        env=dict(env, DXRPA_LANG="en", COLUMNS="250"),
        capture_output=True,
        text=True,
        check=False,
    )
    check_error(result, ExitCode.SECRET, "APP_PASSWORD", "juminhyo_entry", "dxrpa secrets set")
    assert sample_app.applications() == []


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        (b"this is not a workbook", "not a readable Excel file"),
    ],
)
def test_unreadable_or_protected_xlsx(
    robot_env: Path, sample_app: SampleApp, content: bytes, needle: str
) -> None:
    (robot_env / "data").mkdir()
    (robot_env / "data" / "juminhyo.xlsx").write_bytes(content)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, needle, "juminhyo.xlsx")
    assert sample_app.applications() == []


def test_csv_in_unexpected_encoding_names_the_line(robot_env: Path) -> None:
    write_robot(
        robot_env,
        robot_text(
            **{
                "  excel: data/juminhyo.xlsx\n  sheet: 申請一覧\n": (
                    "  csv: data/list.csv\n  encoding: utf-8\n"
                )
            }
        ),
    )
    (robot_env / "data").mkdir()
    (robot_env / "data" / "list.csv").write_bytes("受付番号,氏名\n100001,山田\n".encode("cp932"))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "data/list.csv:1", "utf-8")


def test_duplicate_keys_are_refused_with_rows(robot_env: Path, sample_app: SampleApp) -> None:
    rows = juminhyo_rows(3)
    rows[2]["受付番号"] = rows[0]["受付番号"]
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "row 4", "row 2")
    assert sample_app.applications() == []


def test_browser_not_installed(robot_env: Path, sample_app: SampleApp) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(1))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    result = dx(
        robot_env, "run", "juminhyo_entry", env={"DXRPA_BROWSER__EXECUTABLE": "/opt/nowhere/chromium"}
    )
    check_error(result, ExitCode.DEPENDENCY, "/opt/nowhere/chromium")


def test_ambiguous_locator_stops_the_run_and_leaves_the_item_pending(
    robot_env: Path, sample_app: SampleApp
) -> None:
    write_robot(robot_env, robot_text(**{"  - fill: {label: 氏名,": "  - fill: {css: 'input[type=text]',"}))
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    result = dx(robot_env, "run", "juminhyo_entry")
    check_error(result, ExitCode.DEFINITION, "robots/juminhyo_entry.yaml:", "nth")
    assert sample_app.applications() == []
    status = dx(robot_env, "runs", "list")
    assert "failed" in status.stdout


# ---------------------------------------------------------------- issue 12: strict data loading

CSV_ROBOT = {"  excel: data/juminhyo.xlsx\n  sheet: 申請一覧\n": "  csv: data/list.csv\n"}


def write_csv(
    path: Path, rows: list[dict[str, object]], *, tail: bytes = b"", encoding: str = "utf-8"
) -> None:
    """The demo rows as a clerk's CSV (dates ISO, booleans as words), optional raw bytes after them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding) + tail)


@pytest.mark.parametrize(
    "tail, needle",
    [
        (b'100100,"\xe5\xb1\xb1\xe7\x94\xb0,x\n100101,a,b\n', "unbalanced quote"),
        (b"100100,\xe5\xb1\xb1\x00\xe7\x94\xb0" + b",x" * 10 + b"\n", "control character U+0000"),
        (b"100100,\xff\xfe\x80\x81" + b",x" * 10 + b"\n", "data/list.csv:4"),
        (b"100100,yamada\n", "2 cells where the header has 11"),
    ],
    ids=["unbalanced-quote", "nul", "garbage-bytes", "cell-count"],
)
def test_bad_csv_is_a_data_error_at_its_line(
    robot_env: Path, sample_app: SampleApp, tail: bytes, needle: str
) -> None:
    write_robot(robot_env, robot_text(**CSV_ROBOT))
    write_csv(robot_env / "data" / "list.csv", juminhyo_rows(2), tail=tail)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "data/list.csv:4", needle)
    assert sample_app.applications() == []


def test_auto_encoding_reads_cp932_and_refuses_garbage(robot_env: Path, sample_app: SampleApp) -> None:
    write_robot(robot_env, robot_text(**CSV_ROBOT))
    rng = random.Random(7)
    kanji_soup = bytes(b for _ in range(400) for b in (rng.randrange(0x81, 0xA0), rng.randrange(0x40, 0x7F)))
    write_csv(robot_env / "data" / "list.csv", juminhyo_rows(1), tail=kanji_soup + b"\n", encoding="cp932")
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(
        dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "data/list.csv:", "unknown text encoding"
    )
    write_csv(robot_env / "data" / "list.csv", juminhyo_rows(1), encoding="cp932")
    result = dx(robot_env, "run", "juminhyo_entry", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def _uncalculated_formula(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb["申請一覧"]["B3"] = '=UPPER("山田")'  # openpyxl saves formulas without a cached value
    wb.save(path)


def _merged_key(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb["申請一覧"].merge_cells("A2:A3")  # Excel shows 100001 twice; the file has it once
    wb.save(path)


@pytest.mark.parametrize(
    "spoil, needle",
    [(_uncalculated_formula, "formula saved without its value"), (_merged_key, "merged cell (A2:A3)")],
    ids=["formula", "merged-key"],
)
def test_workbook_cells_that_read_blank_are_a_data_error(
    robot_env: Path, sample_app: SampleApp, spoil: Callable[[Path], None], needle: str
) -> None:
    path = write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(3))
    spoil(path)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "juminhyo.xlsx:申請一覧:row 3", needle)
    assert sample_app.applications() == []


def test_limit_two_on_a_million_rows_reads_only_what_it_needs(robot_env: Path, sample_app: SampleApp) -> None:
    write_robot(robot_env, robot_text(**CSV_ROBOT))
    template = juminhyo_rows(1)[0]
    path = robot_env / "data" / "list.csv"
    path.parent.mkdir()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(template)
        rest = list(template.values())[1:]
        writer.writerows([f"{i:06d}", *rest] for i in range(1_000_000))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    result = dx(robot_env, "run", "juminhyo_entry", "--limit", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(sample_app.applications()) == 2
    store = Store(load_settings().db_url)
    try:
        with store.session() as s:  # on main every one of the million rows became a work item
            assert s.scalar(select(func.count()).select_from(WorkItem)) == 2
    finally:
        store.dispose()


def _million_row_workbook(path: Path) -> Path:
    """A 1,000,000-row sheet: the header by openpyxl, the rows spliced in as raw XML (fast)."""
    wb = openpyxl.Workbook()
    wb.active.append(["id", "name"])
    staged = path.with_name("staged.xlsx")
    wb.save(staged)
    rows = (
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r:07d}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>n{r}</t></is></c></row>'
        for r in range(2, 1_000_002)
    )
    splice_rows(staged, path, "xl/worksheets/sheet1.xml", rows)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["excel", "csv"])
def test_streamed_sources_keep_memory_flat(tmp_path: Path, kind: str) -> None:
    (tmp_path / "data").mkdir()
    if kind == "excel":
        source = _million_row_workbook(tmp_path / "data" / "big.xlsx")
    else:
        source = tmp_path / "data" / "big.csv"
        source.write_bytes(b"id,name\n" + b"".join(b"%07d,n%d\n" % (r, r) for r in range(2, 1_000_002)))
    spec = DataSpec.model_validate(
        {kind: f"data/{source.name}", "key": "id", "validate": {"name": {"required": True}}}
    )
    folders = Folders.of(Settings(home=tmp_path))
    tracemalloc.start()
    try:
        batch = load_tabular(spec, folders=folders, lazy=True)
        first = next(batch.chunks(2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [i.key for i in first] == ["0000002", "0000003"]
    assert len(batch.items) == 2 and batch.rest is not None  # the other 999,998 rows were never built
    assert peak < 16 * 1024 * 1024, peak  # reading every row costs hundreds of MB


def test_validate_of_a_missing_file_is_a_usage_error(robot_env: Path) -> None:
    check_error(
        dx(robot_env, "robots", "validate", "robots/nope.yaml"),
        ExitCode.USAGE,
        "robots/nope.yaml",
        "no such file",
    )


def test_internal_key_if_underscore_is_refused(robot_env: Path) -> None:
    write_robot(
        robot_env,
        robot_text(
            **{
                '  - extract: {css: "#receipt-no"': "  - if_: {condition: 'true', then: [{log: x}]}\n"
                '  - extract: {css: "#receipt-no"'
            }
        ),
    )
    result = dx(robot_env, "robots", "validate", "robots/juminhyo_entry.yaml")
    check_error(result, ExitCode.DEFINITION, "robots/juminhyo_entry.yaml:48", "unknown key 'if_'", "'if'")


def test_output_named_like_a_results_column_is_refused(robot_env: Path) -> None:
    write_robot(robot_env, robot_text(**{"outputs: [receipt_no]": "outputs: [receipt_no, status]"}))
    result = dx(robot_env, "robots", "validate", "robots/juminhyo_entry.yaml")
    check_error(
        result, ExitCode.DEFINITION, "robots/juminhyo_entry.yaml:", "output 'status'", "results workbook"
    )


def test_step_error_names_the_rendered_locator_not_the_template(
    robot_env: Path, sample_app: SampleApp
) -> None:
    rows = juminhyo_rows(1)
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    templated = robot_text(**{"  - fill: {label: 受付番号,": '  - fill: {label: "番号{{ item.受付番号 }}",'})
    write_robot(robot_env, templated.replace("retries: 2", "retries: 0"))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    result = dx(robot_env, "run", "juminhyo_entry")
    out = result.stdout + result.stderr
    assert f"label=番号{rows[0]['受付番号']}" in out, out
    assert "{{ item.受付番号 }}" not in out, out
    assert "Traceback" not in out, out


def test_a_launched_child_can_load_its_settings() -> None:
    """Every run child (scheduler, console, --now) carries its settings in DXRPA_CHILD_SETTINGS:
    that is not a settings key, so load_settings() must not refuse it."""
    from dxrpa.config import load_settings

    env = {"DXRPA_CHILD_SETTINGS": '{"home": "/x"}'}
    assert load_settings(env=env).browser is not None


def test_yaml_boolean_words_get_a_quoting_hint(tmp_path: Path) -> None:
    """`into: no` is the boolean false in YAML 1.1: the error says so instead of only "not a string"."""
    from dxrpa.engine.definitions import parse_robot
    from dxrpa.errors import DefinitionError

    text = (
        "name: t_no\ntitle: t\ndepartment: 市民課\nbaseline: {minutes_per_item: 1}\n"
        'item:\n  - extract: {css: "#x", into: no}\n'
    )
    with pytest.raises(DefinitionError) as err:
        parse_robot(tmp_path / "t_no.yaml", text)
    shown = str(err.value) + str(err.value.hint or "")
    assert ":6:" in shown and '"no"' in shown
