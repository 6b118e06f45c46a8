"""``dxrpa demo``: the whole job end to end on the embedded defaults.

Sample municipal app on 127.0.0.1 → 20 scanned applications (printed and handwriting-like, one
unreadable) → AI-OCR → review workbook for the doubtful fields (the demo types the known
corrections, as a clerk would) → the entry robot with 2 workers → check in the app that every
accepted application was entered once → ledger → FY report (.xlsx and .html) → a short summary.
Everything lives in one demo folder (its own SQLite file), so the demo never touches real data.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

import dxrpa
from dxrpa.app import App
from dxrpa.config import Settings
from dxrpa.demo.scans import GroundTruth, generate_juminhyo_batch
from dxrpa.demo.webapp import SampleApp, start_app
from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.ocr_review import apply_review_file, export_review
from dxrpa.engine.ocr_source import run_ocr
from dxrpa.engine.registry import register_robots
from dxrpa.engine.runner import RunOptions, RunSummary, run_robot
from dxrpa.errors import DependencyMissing
from dxrpa.i18n import tr
from dxrpa.ledger import fiscal_year_of_date
from dxrpa.reports import build_report, export_report
from dxrpa.reports.inputs import report_inputs
from dxrpa.store import audit_repo

ROBOT = "juminhyo_ocr_entry"
SECONDS_PER_REVIEWED_FIELD = 20  # what a clerk spends on one doubtful field (entered, not measured)


@dataclass
class DemoResult:
    folder: Path
    app_url: str
    forms: int
    unreadable: int
    ocr_ok: int
    ocr_review: int
    ocr_failed: int
    reviewed_fields: int
    review_minutes: float
    run: RunSummary
    entered_once: int
    entered_twice: int
    missing: list[str]
    saved_hours: float
    report_xlsx: Path
    report_html: Path
    seconds: float
    steps: list[str] = field(default_factory=list)


def _source_root() -> Path:
    """Where the shipped robots/ and ocr/templates/ are (repository root, or the current folder)."""
    for root in (Path.cwd(), Path(dxrpa.__file__).resolve().parents[2]):
        if (root / "ocr" / "templates" / "juminhyo.yaml").is_file() and (
            root / "robots" / f"{ROBOT}.yaml"
        ).is_file():
            return root
    raise DependencyMissing(
        tr("デモに必要な robots/ と ocr/templates/ が見つかりません", "robots/ and ocr/templates/ not found"),
        hint=tr("リポジトリのフォルダで実行してください", "run dxrpa demo from the repository folder"),
    )


def _prepare(folder: Path) -> Settings:
    root = _source_root()
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "robots").mkdir(parents=True)
    shutil.copy(root / "robots" / f"{ROBOT}.yaml", folder / "robots")
    shutil.copytree(root / "ocr" / "templates", folder / "ocr" / "templates")
    base = Settings()
    return base.model_copy(update={"home": folder.resolve(), "database_url": None})


def _apply_known_corrections(path: Path, truths: dict[str, GroundTruth]) -> int:
    """Type the right values into the review workbook, as the clerk holding the paper would."""
    wb = load_workbook(path)
    ws = wb["review"]
    typed = 0
    for row in ws.iter_rows(min_row=2):
        file, name = str(row[1].value or ""), str(row[3].value or "")
        truth = truths.get(file)
        if truth is not None and name in truth.values:
            row[8].value = truth.values[name]
            typed += 1
    wb.save(path)
    return typed


def run_demo(
    folder: Path,
    *,
    forms: int = 20,
    workers: int = 2,
    seed: int = 2026,
    say: Callable[[str], None] = print,
    keep_app: bool = False,
) -> tuple[DemoResult, SampleApp | None]:
    """Run the demo in ``folder`` (recreated). Returns the result and, with ``keep_app``, the app."""
    started = time.monotonic()
    settings = _prepare(folder)
    app = App(settings)
    sample = start_app(folder / "sample_app.sqlite")
    try:
        say(tr(f"サンプルの窓口業務システムを起動しました: {sample.url}", f"sample web app: {sample.url}"))

        scans = folder / "scans"
        truths = generate_juminhyo_batch(scans, forms, seed, unreadable=1, handwriting_share=0.3)
        say(
            tr(
                f"申請書のスキャン画像を作成しました: {len(truths)} 枚 ({scans})",
                f"rendered {len(truths)} scans",
            )
        )

        paths = sorted(
            p for p in scans.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".pdf", ".tif")
        )
        ocr = run_ocr(app.store, settings, "juminhyo", paths, source="demo", created_by="demo")
        ok = sum(r.status == "ok" for r in ocr.results)
        review = sum(r.status == "review" for r in ocr.results)
        failed = len(ocr.failed)
        say(
            tr(
                f"AI-OCR: 自動受理 {ok} 枚、要確認 {review} 枚、読取不可 {failed} 枚",
                f"AI-OCR: {ok} auto-accepted, {review} to review, {failed} unreadable",
            )
        )

        review_path = folder / "review.xlsx"
        exported = export_review(app.store, settings, ocr.batch_id, review_path, by="demo")
        reviewed_fields = minutes = 0.0
        if exported:
            by_file = {t.file: t for t in truths if not t.expect_failure}
            typed = _apply_known_corrections(review_path, by_file)
            minutes = round(exported * SECONDS_PER_REVIEWED_FIELD / 60, 1)
            outcome = apply_review_file(
                app.store, settings, ocr.batch_id, review_path, reviewer="demo", minutes=minutes
            )
            reviewed_fields = exported
            say(
                tr(
                    f"確認用ブック {review_path}: {exported} 項目を確認({typed} 項目に既知の正解を入力)、"
                    f"確認時間 {outcome.minutes:.1f} 分を記録",
                    f"review workbook {review_path}: {exported} fields reviewed ({typed} typed), "
                    f"{outcome.minutes:.1f} min recorded",
                )
            )

        register_robots(app.store, [parse_robot(folder / "robots" / f"{ROBOT}.yaml")], actor="demo")
        os.environ.update({"APP_URL": sample.url, "APP_USER": "staff01", "APP_PASSWORD": "demo-pass"})
        summary = run_robot(
            settings,
            ROBOT,
            options=RunOptions(trigger="demo", workers=workers, requested_by="demo"),
            store=app.store,
        )
        say(
            tr(
                f"入力ロボット: 完了 {summary.items_done} 件、失敗 {summary.items_failed} 件"
                f" ({summary.seconds:.0f} 秒)",
                f"entry robot: {summary.items_done} done, {summary.items_failed} failed"
                f" ({summary.seconds:.0f} s)",
            )
        )

        counts = Counter(str(a["受付番号"]) for a in sample.applications())
        accepted = {str(t.values.get("受付番号")) for t in truths if not t.expect_failure}
        missing = sorted(accepted - set(counts))

        fy = fiscal_year_of_date(date.today())
        with app.store.session() as s:
            data = build_report(s, fy, **report_inputs(settings).kwargs())
            xlsx = export_report(data, "xlsx", folder / f"report_FY{fy}.xlsx", actor="demo")
            html = export_report(data, "html", folder / f"report_FY{fy}.html", actor="demo")
            saved = data.saved_hours
            audit_repo.append(s, "demo", "demo.finish", "dxrpa demo", {"forms": forms})
        result = DemoResult(
            folder=folder,
            app_url=sample.url,
            forms=forms,
            unreadable=sum(1 for t in truths if t.expect_failure),
            ocr_ok=ok,
            ocr_review=review,
            ocr_failed=failed,
            reviewed_fields=int(reviewed_fields),
            review_minutes=minutes,
            run=summary,
            entered_once=sum(1 for n in counts.values() if n == 1),
            entered_twice=sum(1 for n in counts.values() if n > 1),
            missing=missing,
            saved_hours=saved,
            report_xlsx=xlsx,
            report_html=html,
            seconds=time.monotonic() - started,
        )
        return result, (sample if keep_app else None)
    finally:
        if not keep_app:
            sample.stop()
        app.close()
