"""Authoring commands for staff who cannot read the target system's HTML: ``dxrpa record`` writes
a robot from what they do in a browser, ``dxrpa inspect`` lists what a locator can name on a page.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.browser import launch
from dxrpa.browser.inspect import FrameInventory, inventory
from dxrpa.browser.recorder import RecordedAction, Recorder
from dxrpa.config import Settings
from dxrpa.engine.recording import (
    build_robot,
    check_robot_path,
    column_name,
    default_submit,
    login_secrets,
    write_recording,
)
from dxrpa.errors import ExitCode, UsageError
from dxrpa.i18n import tr

console = Console(highlight=False)


def _check_url(url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        raise UsageError(
            tr(f"URL「{url}」は http:// か https:// で始めてください", f"'{url}' must start with http(s)://")
        )
    return url


# --------------------------------------------------------------------------- record


def _stdin_line(loop: asyncio.AbstractEventLoop, done: asyncio.Event) -> None:
    """Enter in the terminal ends the recording (a daemon thread: it never holds up the exit)."""

    def wait() -> None:
        line = sys.stdin.readline()
        if line:  # EOF (no terminal, e.g. a script) means: wait for the browser to close instead
            loop.call_soon_threadsafe(done.set)

    threading.Thread(target=wait, daemon=True).start()


def _on_ctrl_c(loop: asyncio.AbstractEventLoop, cancelled: asyncio.Event) -> bool:
    """Ctrl+C ends the wait through the loop's own signal handler, which wakes an idle loop at
    once; where there is none (Windows) ``asyncio.run`` raises KeyboardInterrupt instead."""
    try:
        loop.add_signal_handler(signal.SIGINT, cancelled.set)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True


async def _record(
    settings: Settings, url: str, *, headless: bool, cdp_port: int
) -> list[RecordedAction] | None:
    """What the person did, or None when they cancelled with Ctrl+C."""
    # a debugging port on loopback lets a test (or a screen reader helper) play the person
    extra = (
        (f"--remote-debugging-port={cdp_port}", "--remote-debugging-address=127.0.0.1") if cdp_port else ()
    )
    handle = await launch(settings.browser, headless=headless, extra_args=extra)
    try:
        context = await handle.browser.new_context(locale="ja-JP", accept_downloads=True, no_viewport=True)
        recorder = Recorder()
        await recorder.attach(context)
        page = await context.new_page()
        await recorder.start(page, url)
        console.print(
            tr(
                "ブラウザで操作してください。終わったらブラウザのウィンドウを閉じるか、"
                "ここで Enter を押します(Ctrl+C で中止)。",
                "Use the page in the browser. When done, close the browser window or press Enter here "
                "(Ctrl+C cancels).",
            )
        )
        loop = asyncio.get_running_loop()
        entered, gone, cancelled = asyncio.Event(), asyncio.Event(), asyncio.Event()
        _stdin_line(loop, entered)
        handler = _on_ctrl_c(loop, cancelled)
        handle.browser.on("disconnected", lambda _b: gone.set())
        waiters = [asyncio.ensure_future(e.wait()) for e in (entered, recorder.closed, gone, cancelled)]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            if handler:
                loop.remove_signal_handler(signal.SIGINT)
        if cancelled.is_set():
            return None
        await recorder.settle()
        return recorder.actions
    finally:
        await handle.close()


def _describe(action: RecordedAction) -> str:
    loc = action.locator or {}
    what = next(
        (str(loc[k]) for k in ("label", "name", "placeholder", "text", "test_id", "css") if k in loc), ""
    )
    return what


def _ask_columns(name: str, actions: list[RecordedAction], mode: str) -> dict[int, str]:
    """Which typed values become data columns: ``all``, ``none`` or ``ask`` for each one."""
    skip = login_secrets(name, actions)
    taken: set[str] = set()
    columns: dict[int, str] = {}
    for i, action in enumerate(actions):
        if action.kind not in ("fill", "select") or i in skip:
            continue
        proposed = column_name(action, taken)
        if mode == "none":
            continue
        if mode == "ask":
            answer = typer.prompt(
                tr(
                    f"「{_describe(action)}」に入力した「{action.value}」をデータ列にしますか"
                    "(Enter=この列名 / 別の列名 / - で固定値)",
                    f"make '{action.value}' typed into '{_describe(action)}' a data column "
                    "(Enter = this name / another name / - keeps the value)",
                ),
                default=proposed,
                show_default=True,
            ).strip()
            if answer == "-":
                taken.discard(proposed)
                continue
            if answer != proposed:
                taken.discard(proposed)
                taken.add(answer)
                proposed = answer
        columns[i] = proposed
    return columns


def _ask_submit(actions: list[RecordedAction], mode: str) -> int | None:
    guess = default_submit(actions)
    if mode == "none" or guess is None:
        return None
    if mode == "auto":
        return guess
    clicks = [i for i, a in enumerate(actions) if a.kind in ("click", "press")]
    for n, i in enumerate(clicks, start=1):
        console.print(f"  {n}. {escape(_describe(actions[i]))}")
    chosen = typer.prompt(
        tr(
            "最後の登録(submit)はどれですか(番号、0 でなし)",
            "which one is the final submit (number, 0 for none)",
        ),
        default=str(clicks.index(guess) + 1),
    )
    try:
        number = int(chosen)
    except ValueError:
        raise UsageError(tr(f"番号ではありません: {chosen}", f"not a number: {chosen}")) from None
    if number == 0:
        return None
    if not 1 <= number <= len(clicks):
        raise UsageError(
            tr(f"1〜{len(clicks)} の番号を入れてください", f"give a number from 1 to {len(clicks)}")
        )
    return clicks[number - 1]


def record_cmd(
    url: str = typer.Argument(..., help="記録を始めるページの URL / the page to start on"),
    output: Path = typer.Option(
        None, "-o", "--output", help="robots/NAME.yaml(既定: robots/recorded_日時.yaml)"
    ),
    columns: str = typer.Option(
        "ask", "--columns", help="入力値をデータ列に: ask | all | none / typed values as data columns"
    ),
    submit: str = typer.Option(
        "ask", "--submit", help="最後の登録ボタン: ask | auto | none / the final submit"
    ),
    title: str = typer.Option("", "--title", help="ロボットの題名 / robot title"),
    department: str = typer.Option("", "--department", help="担当課 / department"),
    headless: bool = typer.Option(False, "--headless", hidden=True),
    cdp_port: int = typer.Option(0, "--cdp-port", hidden=True),
    force: bool = typer.Option(False, "--force", help="既存のファイルを上書き / overwrite"),
) -> None:
    """ブラウザでの操作を記録してロボットを作ります / record what you do in a browser as a robot."""
    for option, value, allowed in (
        ("--columns", columns, ("ask", "all", "none")),
        ("--submit", submit, ("ask", "auto", "none")),
    ):
        if value not in allowed:
            raise UsageError(
                tr(f"{option} は {' / '.join(allowed)} のどれかです", f"{option} takes {' / '.join(allowed)}")
            )
    if not sys.stdin.isatty():  # nobody to ask: decide as documented
        columns = "all" if columns == "ask" else columns
        submit = "auto" if submit == "ask" else submit
    app = open_app()
    home = app.settings.home
    robot_path = output or Path(app.settings.robots_dir) / f"recorded_{datetime.now():%Y%m%d_%H%M}.yaml"
    name = check_robot_path(robot_path)  # before the browser opens: a bad name wastes no recording
    if robot_path.exists() and not force:
        raise UsageError(
            tr(f"{robot_path} は既にあります", f"{robot_path} already exists"),
            hint=tr("別の名前にするか --force で上書きしてください", "choose another name or use --force"),
        )
    try:
        actions = asyncio.run(_record(app.settings, _check_url(url), headless=headless, cdp_port=cdp_port))
    except KeyboardInterrupt:
        actions = None
    if actions is None:
        console.print(
            tr("記録を中止しました。ファイルは作っていません。", "recording cancelled; no file was written.")
        )
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    cols = _ask_columns(name, actions, columns)
    recording = build_robot(
        name, actions, columns=cols, submit=_ask_submit(actions, submit), title=title, department=department
    )
    data_path = write_recording(robot_path, recording, home=home, force=force)
    console.print(
        tr(
            f"[green]ロボットを書きました[/] {escape(str(robot_path))}",
            f"[green]wrote[/] {escape(str(robot_path))}",
        )
    )
    if data_path:
        console.print(
            tr("データの見出し: ", "data sheet header: ")
            + escape(f"{data_path} ({', '.join(recording.columns)})")
        )
    if recording.submit_step:
        console.print(tr("登録ボタン (submit): ", "final submit: ") + escape(recording.submit_step))
    for secret in recording.secrets:
        console.print(
            tr(f"  dxrpa secrets set {secret}   # ログイン情報を登録", f"  dxrpa secrets set {secret}")
        )
    console.print(
        tr("次に: ", "next: ")
        + escape(f"dxrpa robots validate {robot_path} && dxrpa run {name} --dry-run --limit 1")
    )


# --------------------------------------------------------------------------- inspect

_KIND_LABELS = {
    "textbox": ("入力欄", "text box"),
    "searchbox": ("検索欄", "search box"),
    "spinbutton": ("数値欄", "number box"),
    "combobox": ("選択(プルダウン)", "drop-down"),
    "listbox": ("選択(一覧)", "list box"),
    "checkbox": ("チェックボックス", "checkbox"),
    "radio": ("ラジオボタン", "radio button"),
    "button": ("ボタン", "button"),
    "link": ("リンク", "link"),
    "tab": ("タブ", "tab"),
    "menuitem": ("メニュー", "menu item"),
}


def _flow(locator: dict[str, Any]) -> str:
    import yaml

    return str(
        yaml.safe_dump(locator, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False)
    ).strip()


def _print_inventory(frames: list[FrameInventory]) -> None:
    for inv in frames:
        where = tr("フレーム", "frame") + f" {inv.frame}" if inv.frame else tr("ページ", "page")
        console.print(f"[bold]{escape(where)}[/]: {escape(inv.title)} ({escape(inv.url)})")
        table = Table(show_lines=False)
        table.add_column(tr("種類", "kind"))
        table.add_column(tr("指定(ロボットに貼り付け)", "locator (paste into a robot)"), overflow="fold")
        table.add_column(tr("備考", "notes"), overflow="fold")
        for c in inv.controls:
            ja, en = _KIND_LABELS.get(c["role"], (c["role"], c["role"]))
            notes = []
            if not c["unique"]:
                notes.append(tr("同じ名前が複数: nth: で選ぶ", "not unique: pick one with nth:"))
            if c.get("opens_window"):
                notes.append(tr("新しいウィンドウを開く", "opens a new window"))
            if c.get("options"):
                notes.append(tr("選択肢: ", "options: ") + " / ".join(c["options"]))
            table.add_row(tr(ja, en), escape(_flow(c["locator"])), escape("; ".join(notes)))
        for t in inv.tables:
            table.add_row(
                tr("表", "table"),
                escape(_flow(t["locator"])),
                escape(tr("見出し: ", "headers: ") + " / ".join(t["headers"])) if t["headers"] else "",
            )
        for f in inv.frames:
            table.add_row(tr("フレーム", "frame"), escape(f["title"] or f["src"]), escape(f["src"]))
        console.print(table)


async def _inspect(settings: Settings, url: str | None, robot_file: Path | None) -> list[FrameInventory]:
    from dxrpa.engine.inspecting import open_for_inspection

    handle = await launch(settings.browser, headless=True)
    try:
        async with open_for_inspection(handle, settings, url, robot_file) as page:
            return await inventory(page)
    finally:
        await handle.close()


def inspect_cmd(
    url: str = typer.Argument(None, help="調べるページの URL / the page to list"),
    robot: Path = typer.Option(
        None, "--robot", help="このロボットの setup:(ログイン)を先に実行 / run its setup: first"
    ),
) -> None:
    """ページ上でロボットが指定できる要素を一覧します / list what a locator can name on a page."""
    if url is None and robot is None:
        raise UsageError(tr("URL か --robot を指定してください", "give a URL or --robot"))
    app = open_app()
    frames = asyncio.run(_inspect(app.settings, _check_url(url) if url else None, robot))
    _print_inventory(frames)


def register(app: typer.Typer) -> None:
    app.command("record")(record_cmd)
    app.command("inspect")(inspect_cmd)


__all__ = ["register"]
