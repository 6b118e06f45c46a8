"""Robot pages: list, versions with diffs, the YAML editor/upload with errors at their lines,
register (through :func:`dxrpa.engine.registry.register_robots`), run now and dry run."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.ledger_view import dashboard_report
from dxrpa.console.web import ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.engine.definitions import LoadedRobot, parse_robot
from dxrpa.engine.registry import register_robots
from dxrpa.errors import DefinitionError, DefinitionErrors, DxrpaError
from dxrpa.i18n import tr
from dxrpa.ledger import fiscal_year_of_date, today_local
from dxrpa.store import audit_repo, robots_repo, runs_repo

MAX_UPLOAD = 512 * 1024


@dataclass
class Checked:
    """The outcome of validating editor text: errors by line, or the loaded robot."""

    text: str
    filename: str
    loaded: LoadedRobot | None = None
    errors: list[DefinitionError] = field(default_factory=list)

    def by_line(self) -> dict[int, list[DefinitionError]]:
        out: dict[int, list[DefinitionError]] = {}
        for e in self.errors:
            out.setdefault(e.line or 0, []).append(e)
        return out


def check_text(text: str, filename: str) -> Checked:
    name = PurePath(filename).name if filename else ""
    path = name if name.endswith((".yaml", ".yml")) else "<editor>"
    result = Checked(text=text, filename=path)
    try:
        result.loaded = parse_robot(path, text)
    except DefinitionErrors as exc:
        result.errors = list(exc.errors)
    except DefinitionError as exc:
        result.errors = [exc]
    return result


def _robot_rows(st: ConsoleState, fy: int) -> list[dict[str, Any]]:
    """Every robot with its latest run and the hours it saved in fiscal year ``fy``."""
    with st.reader.session() as s:
        saved: dict[str, float] = {}
        for g in dashboard_report(s, fy).robots:
            if g.key and g.key[0] is not None:
                saved[str(g.key[0])] = saved.get(str(g.key[0]), 0.0) + g.saved_hours
        return [
            {
                "name": r.name,
                "title": r.title,
                "owner": r.owner,
                "department": r.department,
                "version": r.current_version,
                "paused": r.paused,
                "last_at": last.created_at if last else None,
                "last_status": last.status if last else None,
                "last_id": last.id if last else None,
                "saved_hours": saved.get(r.name, 0.0),
            }
            for r, last in robots_repo.list_robots(s)
        ]


async def robots_list(request: Request) -> Response:
    user = await require(request)
    st = state(request)
    fy = fiscal_year_of_date(today_local(st.settings.timezone))
    rows = await db(request, _robot_rows, st, fy)
    return render(request, "robots.html", user=user, robots=rows, fy=fy)


def _robot_detail(st: ConsoleState, name: str, a: int | None, b: int | None) -> dict[str, Any]:
    with st.reader.session() as s:
        robot = robots_repo.get_robot(s, name)
        versions = robots_repo.versions(s, robot)
        runs = runs_repo.list_runs(s, robot=name, limit=15)
    by_no = {v.version: v for v in versions}
    current = by_no.get(robot.current_version)
    diff: list[tuple[str, str]] = []
    if a in by_no and b in by_no and a != b:
        old, new = by_no[a or 0], by_no[b or 0]
        for line in difflib.unified_diff(
            old.yaml_text.splitlines(), new.yaml_text.splitlines(), f"v{a}", f"v{b}", lineterm="", n=3
        ):
            kind = (
                "add"
                if line.startswith("+") and not line.startswith("+++")
                else (
                    "del"
                    if line.startswith("-") and not line.startswith("---")
                    else ("hunk" if line.startswith("@@") else "ctx")
                )
            )
            diff.append((kind, line))
    return {
        "robot": robot,
        "versions": versions,
        "current": current,
        "runs": [r for r, _ in runs],
        "diff": diff,
        "a": a,
        "b": b,
    }


async def robot_detail(request: Request) -> Response:
    user = await require(request)
    name = request.path_params["name"]

    def as_int(key: str) -> int | None:
        raw = request.query_params.get(key, "")
        return int(raw) if raw.isdigit() else None

    data = await db(request, _robot_detail, state(request), name, as_int("a"), as_int("b"))
    return render(request, "robot.html", user=user, **data)


async def editor(request: Request) -> Response:
    user = await require(request, "author")
    name = request.path_params.get("name")
    text, filename = "", ""
    if name:
        data = await db(request, _robot_detail, state(request), name, None, None)
        if data["current"] is not None:
            text = data["current"].yaml_text
            filename = data["current"].source_path
    return render(
        request,
        "editor.html",
        user=user,
        checked=Checked(text=text, filename=filename or ""),
        name=name,
        validated=False,
    )


async def editor_post(request: Request) -> Response:
    """Validate (and, when asked and valid, register) text typed in the editor or an uploaded file."""
    user, form = await posted(request, "author")
    text = str(form.get("text") or "")
    filename = str(form.get("filename") or "")
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            flash(request, tr("ファイルが大きすぎます (512 KB まで)", "file too large (512 KB max)"), "error")
            return redirect(str(request.url_for("robot_new")))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(
                request,
                tr(
                    "ファイルが UTF-8 ではありません。UTF-8 で保存してください",
                    "the file is not UTF-8; save it as UTF-8",
                ),
                "error",
            )
            return redirect(str(request.url_for("robot_new")))
        filename = upload.filename
    text = text.replace("\r\n", "\n")
    checked = await db(request, check_text, text, filename)
    if checked.loaded is not None and form.get("action") == "register":
        st = state(request)
        loaded = checked.loaded
        regs = await db(request, lambda: register_robots(st.store, [loaded], actor=user.name))
        reg = regs[0]
        if reg.created:
            flash(
                request,
                tr(
                    f"{reg.robot.name} を版 {reg.version.version} として登録しました",
                    f"registered {reg.robot.name} as version {reg.version.version}",
                ),
            )
        else:
            flash(
                request,
                tr(
                    f"変更はありません (版 {reg.version.version})",
                    f"unchanged (version {reg.version.version})",
                ),
            )
        return redirect(str(request.url_for("robot_detail", name=reg.robot.name)))
    status = 200 if checked.loaded is not None else 422
    return render(
        request,
        "editor.html",
        status,
        user=user,
        checked=checked,
        name=checked.loaded.robot.name if checked.loaded else None,
        validated=True,
    )


def _start(st: ConsoleState, name: str, user: str, dry_run: bool) -> str:
    with st.store.session() as s:
        robot = robots_repo.get_robot(s, name)  # a clear error before anything starts
        audit_repo.append(s, user, "console.run_request", robot.name, {"dry_run": dry_run})
    return st.launcher.start(name, user=user, dry_run=dry_run)


async def run_now(request: Request) -> Response:
    dry = request.path_params.get("mode") == "dry-run"
    user, _form = await posted(request, "author" if dry else "operator")
    st = state(request)
    name = request.path_params["name"]
    try:
        run_id = await db(request, _start, st, name, user.name, dry)
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        return redirect(str(request.url_for("robot_detail", name=name)))
    return redirect(str(request.url_for("run_detail", run_id=run_id)))
