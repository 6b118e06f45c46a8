"""HTML (self-contained, inline SVG), CSV (every entry) and text reports show the same figures."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from pathlib import Path

from dxrpa.i18n import set_lang
from dxrpa.reports import build_report, export_report
from dxrpa.reports.tabular import render_text
from dxrpa.store import Store
from dxrpa.store.ledger_repo import record_run

from .scenario import Factory, Ledger

NOW = datetime(2027, 1, 5, tzinfo=UTC)


def _export(ledger: Ledger, fmt: str, path: Path, **kw: object) -> str:
    with ledger.store.session() as s:
        export_report(build_report(s, 2026, now=NOW, **kw), fmt, path)  # type: ignore[arg-type]
    return path.read_text(encoding="utf-8-sig")


def test_html_is_self_contained_with_charts(ledger: Ledger, tmp_path: Path) -> None:
    html = _export(ledger, "html", tmp_path / "r.html", annualize_as_of=date(2026, 12, 31))
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|<link|<script|@import|url\(", html, re.I)
    assert not re.search(r"\ssrc\s*=", html)
    assert html.count("<svg") == 2  # months and departments
    assert "<polyline" in html and "<rect" in html
    assert "業務削減時間レポート 令和8年度 (FY2026)" in html
    assert "令和8年4月" in html and "令和9年3月" in html
    assert '<td class="n">4.1</td>' in html  # 245 min
    assert "<td>要確認: 時間増（マイナス）</td>" in html
    assert 'class="estimate"' in html and "推計（実績ではありません）" in html
    assert "削減時間 = 成功件数" in html
    for run_id in ("s1", "b1", "b3", "b6", "b2", "b4", "b5"):
        assert f"<td>{run_id}</td>" in html
    assert "<td>ocr-batch-2</td>" in html and "<td>（ロボット指定なし）</td>" in html


def test_csv_has_every_entry_with_plain_numbers(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    _export(ledger, "csv", path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["終了日時", "終了日（和暦）", "実行ID"]
    assert [r[2] for r in rows[1:]] == ["s1", "b1", "b3", "b6", "b2", "b4", "b5"]
    assert rows[1][0] == "2026-04-01 00:30:00" and rows[1][1] == "令和8年4月1日"
    assert "内容ハッシュ" not in rows[0]
    assert sum(float(r[15]) for r in rows[1:]) == 290.0  # run entries only; staff minutes on their own


def test_text_report(ledger: Ledger, tmp_path: Path) -> None:
    text = _export(ledger, "text", tmp_path / "r.txt", annualize_as_of=date(2026, 12, 31))
    assert "削減時間: 4.1 時間" in text
    assert "目標: 15.0  達成率: 57.7%  (目標設定 2/3 課)" in text  # 519 min of the targeted 課 / 15 h
    assert re.search(r"令和8年7月\s+1\s+2\s+8\s+-3\.8", text)
    assert "[推計]" in text
    set_lang("en")
    text_en = _export(ledger, "text", tmp_path / "en.txt")
    assert "Hours saved: 4.1 h" in text_en and "Apr 2026" in text_en and "[ESTIMATE]" not in text_en


def test_robot_without_department_is_labelled(store: Store, tmp_path: Path) -> None:
    with store.session() as s:
        f = Factory(s)
        r = f.robot("nodept", "課なし業務", "")
        v = f.version(r, 1, mpi=2, mpr=0, rework=0)
        record_run(s, f.run("n1", r, v, datetime(2026, 6, 1, tzinfo=UTC), ok=3), v, r)
        text = render_text(build_report(s, 2026, now=NOW))
    assert "（課未設定）" in text and "nodept" in text
