"""``dxrpa ocr``: read scans into a batch, manage templates, review doubtful fields.

dxrpa ocr run --template juminhyo scans/ -o 結果.xlsx
dxrpa ocr templates list | validate [FILES...]
dxrpa ocr template init 白紙.png
dxrpa ocr batches [--limit 20]
dxrpa ocr review BATCH [-o review.xlsx]
dxrpa ocr review BATCH --apply reviewed.xlsx [--reviewer 山田 --minutes 12]
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.errors import DefinitionError, DefinitionErrors, SomeFilesFailed, UsageError
from dxrpa.i18n import tr

if TYPE_CHECKING:
    from dxrpa.app import App
    from dxrpa.model.form import FormResult

console = plain_console()
ocr_app = typer.Typer(
    help="AI-OCR: 申請書スキャンの読取・様式テンプレート・確認 / read scans, templates, review",
    no_args_is_help=True,
)
templates_app = typer.Typer(
    help="様式テンプレートの一覧・検証 / list and validate templates", no_args_is_help=True
)
template_app = typer.Typer(help="様式テンプレートの作成 / create a template", no_args_is_help=True)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (some containers)
        return ""


@ocr_app.command("run")
def run_cmd(
    inputs: Annotated[
        list[Path], typer.Argument(help="スキャン（PDF/TIFF/JPEG/PNG）またはフォルダ / scans or folders")
    ],
    template: str = typer.Option(
        ..., "--template", "-t", help="様式テンプレート名 / template name (ocr/templates)"
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="結果ファイル .xlsx / .csv / .json")
    ] = None,
    encoding: str = typer.Option("utf-8-sig", "--encoding", help="CSV の文字コード: utf-8-sig | cp932"),
) -> None:
    """スキャンを読み取り、バッチとして保存します / read scans into a stored batch."""
    from dxrpa.app import open_app
    from dxrpa.engine.ocr_source import run_ocr
    from dxrpa.ocr.export import FORMATS, write_results
    from dxrpa.ocr.load import expand_inputs
    from dxrpa.ocr.pipeline import count_pages

    if encoding not in ("utf-8-sig", "utf-8", "cp932"):
        raise UsageError(
            tr(f"文字コード {encoding} には対応していません", f"unsupported encoding {encoding}"),
            hint="utf-8-sig | cp932",
        )
    if output is not None and output.suffix.lower() not in FORMATS:
        raise UsageError(
            tr(f"出力形式 {output.suffix} には対応していません", f"unsupported output {output.suffix}"),
            hint=tr("-o の拡張子は .xlsx / .csv / .json", "use .xlsx, .csv or .json"),
        )
    paths = expand_inputs(inputs)
    if not paths:
        raise UsageError(
            tr("読み取るファイルがありません", "no files to read"),
            hint=tr("PDF・TIFF・JPEG・PNG を指定してください", "give PDF, TIFF, JPEG or PNG files"),
        )
    with open_app() as app:
        total = sum(count_pages(p) for p in paths)
        crops = output.parent / f"{output.stem}_crops" if output is not None else None
        with Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task(tr("読取中（ページ）", "reading pages"), total=total)

            def advance(_result: object) -> None:
                done = progress.tasks[0].completed + 1
                if done > (progress.tasks[0].total or 0):
                    progress.update(task, total=done)
                progress.advance(task)

            run = run_ocr(
                app.store, app.settings, template, paths, on_page=advance, crops=crops, created_by=_user()
            )
        if output is not None:
            write_results(output, run.template.spec, run.results, batch_id=run.batch_id, encoding=encoding)
        _summary(run.batch_id, run.results, output)
        if run.failed:
            files = sorted({Path(r.source_file).name for r in run.failed})
            raise SomeFilesFailed(
                tr(
                    f"{len(files)} 件のファイルを読み取れませんでした: {', '.join(files[:5])}",
                    f"{len(files)} file(s) could not be read: {', '.join(files[:5])}",
                ),
                hint=tr(
                    "理由は結果ファイルとログにあります", "see the output file and the log for the reasons"
                ),
            )


def _summary(batch_id: str, results: list[FormResult], output: Path | None) -> None:
    from dxrpa.ocr.export import status_label

    table = Table(title=tr(f"OCR バッチ {batch_id}", f"OCR batch {batch_id}"))
    table.add_column(tr("ファイル", "file"))
    table.add_column(tr("頁", "p."), justify="right")
    table.add_column(tr("状態", "status"))
    table.add_column(tr("一致度", "align"), justify="right")
    table.add_column(tr("要確認 / 理由", "review / reason"))
    for r in results[:200]:
        note = r.error if r.status == "failed" else ", ".join(f.name for f in r.fields if f.status != "ok")
        align = f"{r.alignment.score:.2f}" if r.alignment else "-"
        style = {"ok": "green", "review": "yellow", "failed": "red"}.get(r.status, "")
        table.add_row(
            Path(r.source_file).name, str(r.page), styled(status_label(r.status), style), align, note
        )
    console.print(table)
    ok = sum(r.status == "ok" for r in results)
    review = sum(r.status == "review" for r in results)
    failed = sum(r.status == "failed" for r in results)
    console.print(
        tr(
            f"OK {ok} 件 / 要確認 {review} 件 / 読取不可 {failed} 件",
            f"ok {ok} / review {review} / failed {failed}",
        )
    )
    if review:
        console.print(tr(f"確認: dxrpa ocr review {batch_id}", f"review with: dxrpa ocr review {batch_id}"))
    if output is not None:
        console.print(tr(f"出力: {output}", f"written: {output}"))


@templates_app.command("list")
def templates_list() -> None:
    """テンプレートの一覧 / list templates."""
    from dxrpa.config import load_settings
    from dxrpa.engine.ocr_source import templates_dir
    from dxrpa.ocr.template import load_template, template_paths

    folder = templates_dir(load_settings())
    table = Table(title=str(folder))
    for col in (
        tr("名前", "name"),
        tr("様式", "title"),
        tr("担当課", "department"),
        tr("項目数", "fields"),
        tr("状態", "state"),
    ):
        table.add_column(col)
    for path in template_paths(folder):
        try:
            t = load_template(path)
            table.add_row(
                t.name, t.spec.title, t.spec.department, str(len(t.spec.fields)), styled("OK", "green")
            )
        except DefinitionError as exc:
            table.add_row(
                path.stem,
                "",
                "",
                "",
                line(styled(tr("エラー", "error"), "red"), f" {str(exc).splitlines()[0]}"),
            )
    console.print(table)


@templates_app.command("validate")
def templates_validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="YAML（省略時は ocr/templates/*.yaml）/ files (default: all)")
    ] = None,
) -> None:
    """テンプレートを検証（誤りは file:line:col）/ validate templates (errors at file:line:col)."""
    from dxrpa.config import load_settings
    from dxrpa.engine.ocr_source import templates_dir
    from dxrpa.ocr.template import load_template, template_paths

    paths = list(files) if files else template_paths(templates_dir(load_settings()))
    if not paths:
        raise UsageError(tr("テンプレートがありません", "no templates found"))
    errors: list[DefinitionError] = []
    for path in paths:
        try:
            t = load_template(path)
            console.print(
                line(
                    styled("OK", "green"),
                    f" {path} ({t.spec.title}, {len(t.spec.fields)} {tr('項目', 'fields')})",
                )
            )
        except DefinitionErrors as exc:
            errors += exc.errors
        except DefinitionError as exc:
            errors.append(exc)
    if errors:
        raise DefinitionErrors(errors)


@template_app.command("init")
def template_init(
    image: Annotated[Path, typer.Argument(help="白紙の様式画像 / blank form image")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="YAML の保存先 / where to write")
    ] = None,
) -> None:
    """白紙の様式から記入枠を見つけてテンプレートの下書きを作ります / draft a template from a blank form."""
    from dxrpa.ocr.draft import draft_template

    if output is not None and output.exists():
        raise UsageError(tr(f"{output} は既にあります", f"{output} already exists"))
    target = output or image.with_suffix(".yaml")
    if output is None and target.exists():
        raise UsageError(tr(f"{target} は既にあります", f"{target} already exists"), hint="-o NEW.yaml")
    path = draft_template(image, target)
    console.print(
        tr(
            f"下書きを書きました: {path}（name と type を直してください）",
            f"draft written: {path} (set field names and types)",
        )
    )


@ocr_app.command("batches")
def batches_cmd(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="表示する件数 / how many"),
) -> None:
    """最近の OCR バッチと要確認の件数 / recent OCR batches and what is left to review."""
    from zoneinfo import ZoneInfo

    from dxrpa.app import open_app
    from dxrpa.store.ocr_repo import list_batches

    with open_app() as app:
        tz = ZoneInfo(app.settings.timezone)
        with app.store.session() as s:
            batches = list_batches(s, limit)
            table = Table(title=tr("OCR バッチ（新しい順）", "OCR batches (newest first)"))
            for col in (
                tr("バッチ ID", "batch id"),
                tr("様式", "template"),
                tr("読取日時", "read at"),
                tr("読取元", "source"),
                tr("ファイル", "files"),
                "OK",
                tr("要確認", "review"),
                tr("読取不可", "failed"),
            ):
                table.add_column(col)
            for b in batches:
                table.add_row(
                    b.id,
                    b.template,
                    b.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    b.robot_name or b.source,
                    str(b.files),
                    str(b.documents_ok),
                    styled(str(b.documents_review), "yellow") if b.documents_review else "0",
                    styled(str(b.documents_failed), "red") if b.documents_failed else "0",
                )
        if not batches:
            console.print(tr("OCR バッチはまだありません", "no OCR batches yet"))
            return
        console.print(table)


@ocr_app.command("review")
def review_cmd(
    batch: str = typer.Argument(..., help="バッチ ID または latest / batch id or latest"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="レビュー表 .xlsx / review workbook")
    ] = None,
    apply: Annotated[
        Path | None,
        typer.Option("--apply", help="修正済みのレビュー表を取り込む / apply a reviewed workbook"),
    ] = None,
    reviewer: str | None = typer.Option(None, "--reviewer", help="確認した人 / who reviewed"),
    minutes: float | None = typer.Option(
        None, "--minutes", help="作業時間（分）/ minutes spent (default: measured)"
    ),
) -> None:
    """要確認の項目だけをレビュー表に出力・取込します / export or apply the review of doubtful fields."""
    from dxrpa.app import open_app

    with open_app() as app:
        if apply is None:
            _export_review(app, batch, output)
        else:
            _apply_review(app, batch, apply, reviewer, minutes)


def _export_review(app: App, batch_ref: str, output: Path | None) -> None:
    from dxrpa.engine.ocr_review import export_review
    from dxrpa.store.ocr_repo import get_batch

    with app.store.session() as s:
        batch_id = get_batch(s, batch_ref).id
    target = output or Path(f"review_{batch_id}.xlsx")
    count = export_review(app.store, app.settings, batch_id, target, by=_user())
    if not count:
        console.print(
            tr(f"バッチ {batch_id} に要確認の項目はありません", f"batch {batch_id} has nothing to review")
        )
        return
    console.print(
        tr(f"{count} 項目をレビュー表に出力しました: {target}", f"{count} field(s) written to {target}")
    )
    console.print(
        tr(
            f"修正後: dxrpa ocr review {batch_id} --apply {target}",
            f"when done: dxrpa ocr review {batch_id} --apply {target}",
        )
    )


def _apply_review(app: App, batch_ref: str, path: Path, reviewer: str | None, minutes: float | None) -> None:
    from dxrpa.engine.ocr_review import apply_review_file

    outcome = apply_review_file(
        app.store, app.settings, batch_ref, path, reviewer=reviewer or None, minutes=minutes
    )
    console.print(
        tr(
            f"取込完了: 修正 {outcome.corrected} / 確認のみ {outcome.confirmed} / OK になった帳票 "
            f"{outcome.documents_now_ok} / 作業時間 {outcome.minutes:.1f} 分"
            f"（{outcome.review.minutes_source}）",
            f"applied: {outcome.corrected} corrected, {outcome.confirmed} confirmed, "
            f"{outcome.documents_now_ok} form(s) now ok, {outcome.minutes:.1f} min "
            f"({outcome.review.minutes_source})",
        )
    )


def register(app: typer.Typer) -> None:
    """Add ``dxrpa ocr …`` to the root app."""
    ocr_app.add_typer(templates_app, name="templates")
    ocr_app.add_typer(template_app, name="template")
    app.add_typer(ocr_app, name="ocr")
