"""Issue 15: figures a 課長 can hand to the council — partial targets, pace lines that stop, one
rounding rule across formats, 前年度比, yen by versioned rate, the DX推進会議 page, print setup,
the organisation tree, and bad input refused by name with nothing written."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dxrpa.cli import main
from dxrpa.config import LaborRate
from dxrpa.errors import DefinitionError, ExitCode
from dxrpa.orgtree import load_org
from dxrpa.reports import build_report, export_report
from dxrpa.reports.html import render_html
from dxrpa.reports.numbers import fmt_hours, hours
from dxrpa.reports.rates import RateTable
from dxrpa.reports.summary import trend_sentence
from dxrpa.store import Store
from dxrpa.store.ledger_repo import record_human_minutes, record_run, set_target
from dxrpa.store.ocr_tables import OcrBatch, OcrDocument, OcrField

from .reading import key_values, open_book, table
from .scenario import Factory, Ledger, build_ledger, utc

NOW = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)  # 令和8年10月15日 12:00 JST: the year is half over
DEPTS = [
    f"{n}課"
    for n in ("市民", "税務", "福祉", "検証", "環境", "保険", "会計", "教育", "建築", "道路", "公園", "観光")
]


def _city(store: Store) -> None:
    """Twelve 課, one robot each; 課 i saves (i+1) × 60 min in May 2026 and 30 min in May 2025.
    Targets only for three of them: 市民課 10 h, 税務課 10 h, 福祉課 10 h."""
    with store.session() as s:
        f = Factory(s)
        for i, dept in enumerate(DEPTS):
            r = f.robot(f"robot_{i:02d}", f"業務{i:02d}", dept)
            v = f.version(r, 1, mpi=60, mpr=0, rework=0)
            record_run(s, f.run(f"r{i}", r, v, utc(2026, 5, 10), ok=i + 1), v, r)
            record_run(s, f.run(f"p{i}", r, v, utc(2025, 5, 10), ok=1), v, r)
        for dept in DEPTS[:3]:
            set_target(s, dept, 2026, 10.0)


def test_city_achievement_counts_only_departments_with_a_target(store: Store, tmp_path: Path) -> None:
    _city(store)
    with store.session() as s:
        data = build_report(s, 2026, now=NOW)
        export_report(data, "xlsx", tmp_path / "r.xlsx")
        html = render_html(data)
    # targeted 課 saved 1 + 2 + 3 = 6 h of 30 h: 20 %, whatever the other nine 課 saved (78 h)
    assert data.saved_hours == pytest.approx(78.0)
    assert data.achievement == pytest.approx(6 / 30)
    assert data.coverage_label == "目標設定 3/12 課"
    wb = open_book(tmp_path / "r.xlsx")
    kv = key_values(wb["概要"])
    assert kv["目標達成率"].value == 0.2 and kv["目標設定"].value == "目標設定 3/12 課"
    meeting = key_values(wb["会議用サマリー"])
    assert meeting["目標達成率"].value == 0.2
    assert "目標設定 3/12 課" in wb["会議用サマリー"]["C" + str(meeting["目標達成率"].row)].value
    _h, rows = table(wb["課別"])
    total = next(r for r in rows if r[0].value == "合計")
    assert total[8].value == 0.2 and total[13].value == "目標設定 3/12 課"
    assert "目標設定 3/12 課" in html and "20.0%" in html
    # 前年度: 12 × 1 h; 前年度比 78 / 12
    assert kv["前年度 削減時間（時間）"].value == 12.0 and kv["前年度比"].value == 6.5


def test_one_robot_and_a_target_elsewhere_is_not_333_percent(store: Store) -> None:
    with store.session() as s:
        f = Factory(s)
        r = f.robot("kensho", "検証業務", "検証課")
        v = f.version(r, 1, mpi=200, mpr=0, rework=0)
        record_run(s, f.run("k1", r, v, utc(2026, 5, 10), ok=1), v, r)
        other = f.robot("shimin", "市民業務", "市民課")
        f.version(other, 1, mpi=1, mpr=0, rework=0)
        set_target(s, "市民課", 2026, 1.0)
        data = build_report(s, 2026, now=NOW)
    assert data.saved_hours == pytest.approx(200 / 60)
    assert data.achievement == 0.0  # 市民課 saved nothing of its 1 h; 検証課 has no target
    assert data.coverage_label == "目標設定 1/2 課"


def test_cumulative_and_pace_stop_at_the_last_closed_day(store: Store, tmp_path: Path) -> None:
    _city(store)
    with store.session() as s:
        data = build_report(s, 2026, now=NOW)
        export_report(data, "xlsx", tmp_path / "r.xlsx")
        html = render_html(data)
    assert data.last_closed == date(2026, 10, 14)
    cum = [m.cumulative_minutes for m in data.months]
    assert cum[:6] == [0.0, 78 * 60, 78 * 60, 78 * 60, 78 * 60, 78 * 60]  # April … September
    assert cum[6] == 78 * 60  # October, counted to 10/14
    assert cum[7:] == [None] * 5  # November … March: no flat line into the future
    pace = [m.target_cumulative_hours for m in data.months]
    assert pace[5] == pytest.approx(30 * 6 / 12)
    assert pace[6] == pytest.approx(30 * (6 + 14 / 31) / 12)  # October pro rata to the 14th
    assert pace[7:] == [None] * 5
    assert [m.targeted_cumulative_minutes for m in data.months][1] == 6 * 60
    assert trend_sentence(data) == (
        "令和8年10月14日時点で、目標を設定した課（目標設定 3/12 課）の累計は 6.0 時間、"
        "目標ペースは 16.1 時間で、目標ペースに 10.1 時間届いていません。"
    )
    _h, rows = table(open_book(tmp_path / "r.xlsx")["月別"])
    assert [r[6].value for r in rows[:12]][7:] == [None] * 5
    assert [r[7].value for r in rows[:12]][7:] == [None] * 5
    # the SVG line has 7 points (April … October), not 12
    lines = re.findall(r'<polyline points="([^"]*)" fill="none" stroke="#ed7d31"', html)
    assert len(lines) == 1 and len(lines[0].split()) == 7


def _odd_minutes(store: Store) -> None:
    """Figures whose rounding differs between half-up and Python's float formatting."""
    with store.session() as s:
        f = Factory(s)
        r = f.robot("round", "端数業務", "市民課")
        v = f.version(r, 1, mpi=1, mpr=0, rework=0)
        record_run(s, f.run("o1", r, v, utc(2026, 5, 10), ok=15699), v, r)  # 261.65 h
        z = f.robot("zero", "ほぼゼロ業務", "福祉課")
        zv = f.version(z, 1, mpi=1, mpr=0, rework=0)
        record_run(s, f.run("z1", z, zv, utc(2026, 5, 10), ok=1), zv, z)
        record_human_minutes(
            s,
            department="福祉課",
            robot_name="zero",
            minutes=2,
            reason="ocr_review",
            source_ref="x",
            at=utc(2026, 5, 11),
        )  # 福祉課 saves −1 min = −0.0167 h: shown as 0.0, never −0.0


def test_one_rounding_rule_in_xlsx_html_and_text(store: Store, tmp_path: Path) -> None:
    _odd_minutes(store)
    assert f"{261.65:.1f}" == "261.6"  # what the HTML used to show (binary float, half-even)
    with store.session() as s:
        data = build_report(s, 2026, now=NOW)
        export_report(data, "xlsx", tmp_path / "r.xlsx")
        export_report(data, "html", tmp_path / "r.html")
        export_report(data, "text", tmp_path / "r.txt")
    wb = open_book(tmp_path / "r.xlsx")
    _h, rows = table(wb["課別"])
    got = {r[0].value: r for r in rows}
    assert got["市民課"][5].value == 261.7 and got["市民課"][5].number_format == "#,##0.0"
    welfare = got["福祉課"][5].value
    assert welfare == 0.0 and math.copysign(1.0, welfare) == 1.0  # +0.0, not −0.0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    text = (tmp_path / "r.txt").read_text(encoding="utf-8")
    # 市民課 261.65 h → 261.7 in every format; the city total 261.633 h → 261.6 in every format
    assert got["合計"][5].value == 261.6
    assert re.search(r"<td>市民課</td>(<td[^>]*>[^<]*</td>){4}<td class=\"n\">261\.7</td>", html)
    assert re.search(r"市民課\s+1\s+1\s+15,699\s+100\.0%\s+261\.7", text)
    assert "削減時間: 261.6 時間" in text
    for page in (html, text):
        assert not re.search(r"-0\.0(?!\d)", page), "negative zero on the page"
    # every hours figure of the department sheet equals the HTML text of the same figure
    for name, r in got.items():
        if name != "合計":
            assert f"<td>{name}</td><td class" in html
            assert f">{fmt_hours(r[5].value)}</td>" in html
    assert hours(261.65) == 261.7 and hours(-1 / 60) == 0.0 and fmt_hours(-0.04) == "0.0"


def test_every_sheet_has_header_footer_and_print_setup(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.store.session() as s:
        export_report(
            build_report(s, 2026, now=datetime(2027, 1, 5, tzinfo=UTC)), "xlsx", tmp_path / "r.xlsx"
        )
    wb = open_book(tmp_path / "r.xlsx")
    for ws in wb:
        assert "業務削減時間レポート 令和8年度" in ws.oddHeader.left.text, ws.title
        assert ws.oddHeader.right.text == "&A", ws.title
        assert ws.oddFooter.left.text == "作成 令和9年1月5日", ws.title
        assert ws.oddFooter.right.text == "&P / &N ページ", ws.title
        assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    for name in ("月別", "課別", "ロボット別", "明細", "人手時間"):
        ws = wb[name]
        assert ws.print_title_rows == "$1:$1", name
        assert ws.row_dimensions[1].height and ws.row_dimensions[1].height >= 34, name  # wrapped header
    assert wb["会議用サマリー"].page_setup.fitToHeight == 1  # one printed page
    assert wb["明細"].auto_filter.ref == "A1:P8"


def test_meeting_summary_sheet(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.store.session() as s:
        s.add(OcrBatch(id="b1", template="t", department="市民課", created_at=utc(2026, 6, 1)))
        s.flush()
        for n in range(2):
            doc = OcrDocument(batch_id="b1", template="t", source_file=f"{n}.png", status="ok")
            s.add(doc)
            s.flush()
            for k in range(5):
                s.add(
                    OcrField(
                        document_id=doc.id, name=f"f{k}", type="text", status="review" if k == 0 else "ok"
                    )
                )
        data = build_report(
            s,
            2026,
            now=datetime(2027, 4, 5, tzinfo=UTC),
            rates=RateTable([LaborRate(**{"from": date(2020, 4, 1), "yen_per_hour": 3000})]),
        )
        export_report(data, "xlsx", tmp_path / "r.xlsx")
        html = render_html(data)
    ws = open_book(tmp_path / "r.xlsx")["会議用サマリー"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    sentence = next(t for t in texts if "に相当する業務を自動化" in t)
    assert sentence.startswith("令和8年度は、RPA・AI-OCRにより年間約 4 時間に相当する業務を自動化しました")
    assert "人件費換算 約 12,250 円" in sentence  # 245 min × 3,000 円/h
    kv = key_values(ws)
    assert kv["OCR 読取帳票数"].value == 2
    assert kv["OCR 自動確定項目数"].value == 8  # 10 fields, 2 still waiting for review
    assert kv["OCR 確認作業（時間）"].value == hours(45 / 60)
    assert kv["人件費換算（円）"].value == 12250
    assert any("目標ペース" in t for t in texts)
    assert any(t.startswith("目標達成率 = 目標を設定した課") for t in texts)
    assert any(t.startswith("人件費換算（円）= 各月の削減時間") for t in texts)
    # top 課 and robots, largest first, by their Japanese names
    header_row = next(i for i, t in enumerate(texts) if t == "削減時間の多い課")
    assert texts[header_row + 5] == "市民課"
    assert "住民異動届入力" in texts
    assert sentence in html
    assert len(ws._charts) == 1 and len(ws._charts[0].series) == 3  # cumulative, pace, targeted 課
    assert "ocr_review" not in html and "ocr_review" not in " ".join(texts)


def test_yen_uses_the_rate_in_effect_each_month(store: Store) -> None:
    _city(store)
    rates = [
        LaborRate(**{"from": date(2020, 4, 1), "yen_per_hour": 3000}),
        LaborRate(**{"from": date(2026, 5, 1), "yen_per_hour": 4000, "department": "市民課"}),
        LaborRate(**{"from": date(2027, 4, 1), "yen_per_hour": 9999}),  # a later raise
    ]
    with store.session() as s:
        data = build_report(s, 2026, now=NOW, rates=RateTable(rates))
        prev = build_report(s, 2025, now=NOW, rates=RateTable(rates))
    by = {r.name: r for r in data.departments}
    assert by["市民課"].yen == pytest.approx(1 * 4000)  # 課 rate from 2026-05-01
    assert by["税務課"].yen == pytest.approx(2 * 3000)
    assert data.yen == pytest.approx(4000 + 3000 * (78 - 1))
    assert prev.yen == pytest.approx(12 * 3000)  # FY2025 keeps the rate it had (no 4,000, no 9,999)
    assert by["市民課"].fte == pytest.approx(1 / 1800)


def _cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DXRPA_DATABASE_URL", url)
    monkeypatch.delenv("DXRPA_LANG", raising=False)
    monkeypatch.delenv("DXRPA_CONFIG", raising=False)
    store = Store(url)
    store.upgrade()
    build_ledger(store)
    store.dispose()
    (tmp_path / "configs").mkdir()
    return store


@pytest.mark.parametrize("rate", ["0", "-1500"])
def test_zero_or_negative_rate_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rate: str
) -> None:
    _cli_home(tmp_path, monkeypatch)
    (tmp_path / "configs" / "dxrpa.toml").write_text(
        f"[ledger]\n[[ledger.labor_rates]]\nfrom = 2026-04-01\nyen_per_hour = {rate}\n", encoding="utf-8"
    )
    assert main(["report", "--fy", "2026", "-o", "out.xlsx"]) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert "Traceback" not in err and "configs/dxrpa.toml" in err
    assert "ledger.labor_rates.0.yen_per_hour" in err
    assert not (tmp_path / "out.xlsx").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


ORG = """\
市民局:
  市民部:
    - 福祉課
    - 市民課
財政局:
  税務部: [税務課]
"""


def test_org_tree_orders_and_rolls_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_home(tmp_path, monkeypatch)
    (tmp_path / "configs" / "org.yaml").write_text(ORG, encoding="utf-8")
    assert main(["report", "--fy", "2026", "-o", "r.xlsx"]) == 0
    wb = open_book(tmp_path / "r.xlsx")
    _h, rows = table(wb["課別"])
    assert [r[0].value for r in rows[:3]] == ["福祉課", "市民課", "税務課"]  # the file's order
    assert (rows[1][13].value, rows[1][14].value) == ("市民局", "市民部")
    _h, robots = table(wb["ロボット別"])
    assert [r[0].value for r in robots] == [
        "teate_genkyo",
        "（ロボット指定なし）",
        "jumin_idou",
        "shinkoku_nyuryoku",
    ]
    _h, org = table(wb["組織別"])
    got = {str(r[0].value).strip("\u3000"): r for r in org}
    assert list(got) == ["市民局", "市民部", "福祉課", "市民課", "財政局", "税務部", "税務課"]
    assert got["市民局"][1].value == hours((315 - 274) / 60)
    assert got["市民局"][4].value == "目標設定 1/2 課"
    assert got["市民局"][3].value == pytest.approx(round(315 / 60 / 10, 3))  # only 市民課 has a target
    assert got["財政局"][4].value == "目標設定 1/1 課"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("市民局:\n  市民部: [市民課]\n財政局:\n  税務部: [市民課]\n", ["市民課", "2か所", "2 行目"]),
        ("市民局:\n  市民部:\n    市民局: [市民課]\n", ["循環", "市民局 → 市民部 → 市民局"]),
    ],
)
def test_org_tree_with_a_cycle_or_duplicate_is_named(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        load_org(path)
    message = str(exc.value)
    for w in words:
        assert w in message, message
    assert exc.value.path == str(path) and exc.value.line is not None


def test_department_missing_from_the_tree_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_home(tmp_path, monkeypatch)
    (tmp_path / "configs" / "org.yaml").write_text("市民局:\n  市民部: [市民課]\n", encoding="utf-8")
    assert main(["report", "--fy", "2026", "-o", "r.xlsx"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "税務課" in err and "福祉課" in err and "org.yaml" in err
    assert not (tmp_path / "r.xlsx").exists()


def test_org_check_shows_the_tree_and_refuses_a_missing_department(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_home(tmp_path, monkeypatch)
    org = tmp_path / "configs" / "org.yaml"
    org.write_text(ORG, encoding="utf-8")
    assert main(["org", "check"]) == 0
    out = capsys.readouterr().out
    assert "市民局" in out and "    市民課  目標 10.0 時間" in out and "    福祉課  目標未設定" in out
    assert "3 課、目標設定 2/3 課" in out
    org.write_text("市民局:\n  市民部: [市民課]\n", encoding="utf-8")
    assert main(["org", "check"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert "税務課" in err and "org.yaml" in err and "Traceback" not in err


def test_todays_runs_count_but_the_pace_stops_at_yesterday(store: Store) -> None:
    with store.session() as s:
        f = Factory(s)
        r = f.robot("today", "当日業務", "市民課")
        v = f.version(r, 1, mpi=60, mpr=0, rework=0)
        record_run(s, f.run("t1", r, v, utc(2026, 10, 20), ok=1), v, r)
        record_run(s, f.run("t2", r, v, utc(2026, 11, 1, 0, 30), ok=2), v, r)  # 11/1 09:30 JST, today
        set_target(s, "市民課", 2026, 12.0)
        data = build_report(s, 2026, now=utc(2026, 11, 1, 1, 0))  # 11/1 10:00 JST
    assert data.last_closed == date(2026, 10, 31)
    october, november, december = data.months[6], data.months[7], data.months[8]
    assert october.target_cumulative_hours == pytest.approx(7.0) and october.cumulative_minutes == 60
    assert november.cumulative_minutes == 180 and november.target_cumulative_hours is None
    assert december.cumulative_minutes is None and december.target_cumulative_hours is None


def test_html_template_escapes_names(store: Store) -> None:
    with store.session() as s:
        f = Factory(s)
        r = f.robot("esc", '<script>alert("x")</script>', "<b>課</b>")
        v = f.version(r, 1, mpi=6, mpr=0, rework=0)
        record_run(s, f.run("e1", r, v, utc(2026, 5, 10), ok=10), v, r)
        html = render_html(build_report(s, 2026, now=NOW))
    assert "<script>" not in html and "<b>課</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;課&lt;/b&gt;" in html
