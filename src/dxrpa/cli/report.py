"""CLI: ``dxrpa report`` (hours-saved reports) and ``dxrpa targets set|list`` (department targets)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.cli.printing import plain_console
from dxrpa.errors import UsageError
from dxrpa.i18n import set_lang, tr
from dxrpa.ledger import fy_label, parse_fiscal_year, parse_target_hours, today_local
from dxrpa.reports import FORMATS, build_report, export_report
from dxrpa.reports.export import default_filename
from dxrpa.reports.inputs import report_inputs
from dxrpa.reports.numbers import fmt_hours, fmt_pct
from dxrpa.reports.tabular import render_text
from dxrpa.store import audit_repo, ledger_repo

console = plain_console()
targets_app = typer.Typer(help="課ごとの年度目標 / department targets per fiscal year", no_args_is_help=True)


def _fy(text: str) -> int:
    try:
        return parse_fiscal_year(text)
    except ValueError:
        raise UsageError(
            tr(f"年度 {text!r} が読めません", f"cannot read fiscal year {text!r}"),
            hint=tr("例: --fy 2026 / FY2026 / 令和8年度", "e.g. --fy 2026, FY2026 or 令和8年度"),
        ) from None


def _as_of(text: str | None, tz: str) -> date:
    if not text:
        return today_local(tz)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            tr(f"基準日 {text!r} が読めません", f"cannot read date {text!r}"), hint="--as-of 2026-09-30"
        ) from None


def report(
    fy: str = typer.Option(..., "--fy", help="年度 / fiscal year: 2026, FY2026, 令和8年度"),
    department: str | None = typer.Option(None, "--department", "-d", help="課で絞り込み / one department"),
    fmt: str = typer.Option("xlsx", "--format", "-f", help="xlsx | csv | html | text"),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="出力先 / output file")] = None,
    lang: str | None = typer.Option(None, "--lang", help="ja | en"),
    annualize: bool = typer.Option(
        False, "--annualize", help="年度途中の実績から年間を推計 / add a full-year estimate"
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="推計の基準日 / estimate as of (YYYY-MM-DD, default today)"
    ),
    details_limit: int | None = typer.Option(
        None, "--details-limit", min=1, help="明細の最大行数 (xlsx 100000, html 5000) / details rows cap"
    ),
) -> None:
    """年度の業務削減時間レポートを出力 / write the fiscal year's hours-saved report."""
    if lang:
        set_lang(lang)
    year = _fy(fy)
    if fmt not in FORMATS:
        raise UsageError(
            tr(f"形式 {fmt!r} は使えません", f"unknown format {fmt!r}"), hint=" | ".join(FORMATS)
        )
    with open_app() as app:
        inputs = report_inputs(app.settings)  # bad rates or org tree: named error, nothing written
        with app.store.session() as session:
            if department is not None:
                known = ledger_repo.known_departments(session)
                if department not in known:
                    raise UsageError(
                        tr(
                            f"課「{department}」は台帳にも目標にもロボットにもありません",
                            f"department {department!r} is not in the ledger, targets or robots",
                        ),
                        hint=tr("登録済みの課: ", "known departments: ") + (", ".join(known) or "-"),
                    )
            as_of_day = _as_of(as_of, app.settings.timezone) if annualize else None
            data = build_report(
                session,
                year,
                department=department,
                annualize_as_of=as_of_day,
                **inputs.kwargs(),
            )
            if annualize and data.projection is None:
                console.print(
                    tr(
                        f"{fy_label(year)} はまだ始まっていないため推計はありません",
                        f"no estimate: {fy_label(year)} has not started yet",
                    ),
                    markup=False,
                    highlight=False,
                )
            if fmt == "text" and output is None:
                typer.echo(render_text(data), nl=False)
                return
            path = output or Path(default_filename(year, department, fmt))
            export_report(data, fmt, path, details_limit=details_limit, actor=audit_repo.current_actor())
            console.print(
                tr(
                    f"{fy_label(year)} のレポートを書き出しました: {path}"
                    f"（削減 {fmt_hours(data.saved_hours)} 時間）",
                    f"wrote the {fy_label(year)} report: {path} ({fmt_hours(data.saved_hours)} hours saved)",
                ),
                markup=False,
                highlight=False,
            )


@targets_app.command("set")
def targets_set(
    department: str = typer.Argument(..., help="課 / department, e.g. 市民課"),
    fy: str = typer.Argument(..., help="年度 / fiscal year, e.g. 2026"),
    hours: str = typer.Argument(..., help="目標 / target, e.g. 1200h, 1,200時間 or 72000m"),
    force: bool = typer.Option(
        False, "--force", help="ロボットのない課にも設定 / allow a department without robots"
    ),
) -> None:
    """課の年度目標（削減時間）を設定 / set a department's target hours for a fiscal year."""
    year = _fy(fy)
    if not department.strip():
        raise UsageError(
            tr("課の名前が空です", "empty department name"), hint="dxrpa targets set 市民課 2026 1200h"
        )
    try:
        target = parse_target_hours(hours)
    except ValueError:
        raise UsageError(
            tr(f"目標 {hours!r} が読めません", f"cannot read target {hours!r}"),
            hint=tr("例: 1200h / 1,200時間 / 72000m", "e.g. 1200h, 1,200時間 or 72000m"),
        ) from None
    with open_app() as app:
        org = report_inputs(app.settings).org
        name = department.strip()
        if org is not None and name not in org.departments:  # reports refuse a 課 outside the tree
            raise UsageError(
                tr(
                    f"課「{name}」は組織ファイル {org.source} にありません",
                    f"department {name!r} is not in the organisation file {org.source}",
                ),
                hint=tr(
                    f"`dxrpa org add {name} --under <部>` で足すか、課名の綴りを確認してください",
                    f"add it with `dxrpa org add {name} --under <部>`, or check the spelling",
                ),
            )
        with app.store.session() as session:
            from dxrpa.engine.units import departments_with_robots  # engine only when setting a target

            used = departments_with_robots(session, org)
            if not force and name not in used:
                raise UsageError(
                    tr(
                        f"課「{name}」にはロボットも実行実績もないため、目標を設定できません",
                        f"department {name!r} has no robots or counted runs: no target set",
                    ),
                    hint=tr(
                        "課名の綴りを確認してください。ロボット導入前に目標を置くときは --force を付けます",
                        "check the spelling; add --force to set a target before any robot exists",
                    ),
                )
            actor = audit_repo.current_actor()
            ledger_repo.set_target(session, name, year, target, set_by=actor)
            audit_repo.append(session, actor, "target.set", name, {"fy": year, "target_hours": target})
        console.print(
            tr(
                f"{department} {fy_label(year)} の目標: {fmt_hours(target)} 時間",
                f"{department} {fy_label(year)} target: {fmt_hours(target)} hours",
            ),
            markup=False,
            highlight=False,
        )


@targets_app.command("list")
def targets_list(
    fy: str | None = typer.Option(None, "--fy", help="年度で絞り込み / one fiscal year"),
) -> None:
    """課ごとの目標と実績を一覧 / list targets with hours saved so far."""
    year = _fy(fy) if fy else None
    with open_app() as app:
        with app.store.session() as session:
            rows = ledger_repo.targets(session, year)
            table = Table(title=tr("年度目標", "Targets"))
            for col in (
                tr("課", "Department"),
                tr("年度", "Fiscal year"),
                tr("目標（時間）", "Target (h)"),
                tr("実績（時間）", "Saved (h)"),
                tr("達成率", "Achieved"),
            ):
                table.add_column(col, justify="right" if "(" in col or "（" in col else "left")
            table.columns[-1].justify = "right"
            for (dept, y), target in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
                saved = ledger_repo.fy_totals(session, y, dept).saved_hours
                pct = fmt_pct(saved / target) if target else "-"
                table.add_row(dept, fy_label(y), fmt_hours(target), fmt_hours(saved), pct)
        if not rows:
            console.print(
                tr(
                    "目標はまだありません（dxrpa targets set 市民課 2026 1200h）",
                    "no targets yet (dxrpa targets set 市民課 2026 1200h)",
                ),
                markup=False,
            )
        else:
            console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``targets`` to the root app."""
    app.command("report")(report)
    app.add_typer(targets_app, name="targets")
