"""Robot pages: list, versions with diffs, the YAML editor/upload with errors at their lines,
register (through :func:`dxrpa.engine.registry.register_robots`), approve, run now and dry run.

An author's registration waits for approval; the robot page shows an operator the pending
version's diff against the approved one and an Approve button (issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.auth import Forbidden
from dxrpa.console.ledger_view import dashboard_report
from dxrpa.console.web import ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.engine.approval import check_dry_run, yaml_diff
from dxrpa.engine.definitions import LoadedRobot, parse_robot
from dxrpa.engine.registry import approve_robot, register_robots
from dxrpa.engine.units import for_unit
from dxrpa.errors import DefinitionError, DefinitionErrors, DxrpaError
from dxrpa.i18n import tr
from dxrpa.ledger import fiscal_year_of_date, today_local
from dxrpa.store import audit_repo, robots_repo, runs_repo
from dxrpa.store.robots_repo import Registration
from dxrpa.store.tables import RobotVersion

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
        live = {r.id: v.version for r, v in robots_repo.approved_versions(s)}
        return [
            {
                "name": r.name,
                "approved": live.get(r.id),
                "title": r.title,
                "owner": r.owner,
                "department": r.department,
                "version": r.current_version,
                "paused": r.paused,
                "state": r.state or "active",
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


def _units(version: RobotVersion | None) -> list[str]:
    """The 区 a shared robot runs for (its run buttons ask which); none for other robots."""
    if version is None or "shared" not in version.yaml_text:
        return []
    try:
        return list(parse_robot(version.source_path or "<robot>", version.yaml_text).robot.shared)
    except DxrpaError:
        return []


def _robot_detail(st: ConsoleState, name: str, a: int | None, b: int | None) -> dict[str, Any]:
    with st.reader.session() as s:
        robot = robots_repo.get_robot(s, name)
        versions = robots_repo.versions(s, robot)
        approved = robots_repo.approved_version(s, robot)
        runs = runs_repo.list_runs(s, robot=name, limit=15)
    by_no = {v.version: v for v in versions}
    current = by_no.get(robot.current_version)
    diff: list[tuple[str, str]] = []
    if a in by_no and b in by_no and a != b:
        diff = yaml_diff(by_no[a or 0].yaml_text, by_no[b or 0].yaml_text, f"v{a}", f"v{b}")
    pending_diff: list[tuple[str, str]] = []
    if current is not None and current.approved_at is None:
        old, label = (
            (approved.yaml_text, f"v{approved.version}") if approved else ("", tr("(なし)", "(none)"))
        )
        pending_diff = yaml_diff(old, current.yaml_text, label, f"v{current.version}")
    return {
        "robot": robot,
        "units": _units(approved or current),
        "versions": versions,
        "current": current,
        "approved": approved,
        "pending": current if current is not None and current.approved_at is None else None,
        "pending_diff": pending_diff,
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
        approve = user.can("operator")  # an author's version waits for an operator or admin
        regs = await db(
            request, lambda: register_robots(st.store, [loaded], actor=user.name, approve=approve)
        )
        reg = regs[0]
        flash(request, _registered_text(reg))
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


def _registered_text(reg: Registration) -> str:
    """One flash line: registered or unchanged, and approved or awaiting approval."""
    name, number = reg.robot.name, reg.version.version
    if reg.created:
        head = tr(f"{name} を版 {number} として登録しました", f"registered {name} as version {number}")
    else:
        head = tr(f"変更はありません (版 {number})", f"unchanged (version {number})")
    if reg.approved:
        return head + tr(
            "。承認済みです(本番実行・定期実行に使われます)", "; approved for runs and schedules"
        )
    if reg.version.approved_at is None:
        return head + tr(
            "。承認待ちです: 運用者か管理者が承認するまで、ドライランだけができます",
            "; it awaits approval: until an operator or admin approves it, only dry runs work",
        )
    return head


def _start(
    st: ConsoleState, name: str, user: str, dry_run: bool, allow_no_submit: bool, unit: str | None = None
) -> str:
    """Refuse what the run would refuse (not approved, no submit step, a shared robot without a
    known 区) before a child starts."""
    with st.store.session() as s:
        robot = robots_repo.get_robot(s, name)  # a clear error before anything starts
        version = robots_repo.version_for_run(s, robot, dry_run=dry_run)
        loaded = parse_robot(version.source_path or name, version.yaml_text)
        if dry_run:
            check_dry_run(loaded, allow_no_submit=allow_no_submit)
        for_unit(st.settings, loaded, unit)  # the 区 and its 課, as dxrpa run NAME --unit checks them
        detail: dict[str, object] = {
            "dry_run": dry_run,
            "version": version.version,
            "no_submit_steps_ok": allow_no_submit,
        }
        if unit:
            detail["unit"] = unit
        audit_repo.append(s, user, "console.run_request", robot.name, detail)
    return st.launcher.start(name, user=user, dry_run=dry_run, allow_no_submit=allow_no_submit, unit=unit)


async def run_now(request: Request) -> Response:
    dry = request.path_params.get("mode") == "dry-run"
    user, form = await posted(request, "author" if dry else "operator")
    allow_no_submit = dry and form.get("no_submit_ok") == "1"
    if allow_no_submit and not user.can("operator"):
        raise Forbidden(
            tr(
                "submit のないロボットのドライランは運用者か管理者だけが指示できます",
                "only an operator or admin may dry-run a robot without submit steps",
            )
        )
    st = state(request)
    name = request.path_params["name"]
    try:
        unit = str(form.get("unit") or "").strip() or None  # a shared robot's 区 (the form's choice)
        run_id = await db(request, _start, st, name, user.name, dry, allow_no_submit, unit)
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        return redirect(str(request.url_for("robot_detail", name=name)))
    return redirect(str(request.url_for("run_detail", run_id=run_id)))


async def approve(request: Request) -> Response:
    """Approve the version whose diff the operator saw (the form names it), audited."""
    user, form = await posted(request, "operator")
    name = request.path_params["name"]
    raw = str(form.get("version") or "")
    if not raw.isdigit():
        flash(request, tr("承認する版が指定されていません", "no version to approve was given"), "error")
        return redirect(str(request.url_for("robot_detail", name=name)))
    st = state(request)
    try:
        version, newly = await db(
            request, lambda: approve_robot(st.store, name, int(raw), actor=user.name, via="console")
        )
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        return redirect(str(request.url_for("robot_detail", name=name)))
    if newly:
        flash(
            request,
            tr(
                f"{name} 版 {version.version} を承認しました。本番実行と定期実行はこの版を使います",
                f"approved {name} version {version.version}; runs and schedules use it now",
            ),
        )
    else:
        flash(
            request,
            tr(f"版 {version.version} は承認済みです", f"version {version.version} was already approved"),
        )
    return redirect(str(request.url_for("robot_detail", name=name)))
