"""Run pages: recent runs, live progress (a JSON endpoint the page polls), items with attempts,
failure evidence served only from the run's own folder and only to users of the robot's department
(each download audited), reprocess and cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from dxrpa.console import run_progress
from dxrpa.console.auth import Forbidden, User
from dxrpa.console.web import (
    NO_STORE,
    RUN_ID,
    ConsoleState,
    db,
    flash,
    posted,
    redirect,
    render,
    require,
    state,
)
from dxrpa.errors import DxrpaError
from dxrpa.i18n import tr
from dxrpa.model.status import RUN_STATUSES, ItemStatus, RunStatus, run_status_of, status_text
from dxrpa.store import audit_repo, run_views, runs_repo
from dxrpa.store.tables import ItemAttempt, Run

FINISHED = (
    RunStatus.SUCCEEDED,
    RunStatus.PARTIAL,
    RunStatus.FAILED,
    RunStatus.CANCELLED,
    RunStatus.STOPPED,
    RunStatus.CRASHED,
)
ITEMS_SHOWN = 1000


def _run_id(request: Request) -> str:
    run_id = str(request.path_params["run_id"])
    if not RUN_ID.match(run_id):
        raise HTTPException(404)
    return run_id


def _recent(st: ConsoleState, status: str | None) -> list[tuple[Run, str]]:
    with st.reader.session() as s:
        return runs_repo.list_runs(s, limit=50, status=(status,) if status else ())


async def runs_list(request: Request) -> Response:
    user = await require(request)
    status = run_status_of(request.query_params.get("status") or "")
    rows = await db(request, _recent, state(request), status)
    return render(request, "runs.html", user=user, runs=rows, status=status, statuses=RUN_STATUSES)


def snapshot(st: ConsoleState, run_id: str) -> dict[str, Any]:
    """Everything the run page shows, as JSON-able data (read-only, a few indexed queries)."""
    with st.reader.session() as s:
        row = run_views.run_with_robot(s, run_id)
        if row is None:
            error = st.launcher.launch_error(run_id)
            alive = st.launcher.is_alive(run_id)
            return {
                "id": run_id,
                "found": False,
                "status": "failed" if error else ("starting" if alive else "unknown"),
                "status_text": status_text("failed" if error else "starting"),
                "finished": bool(error) or not alive,
                "error": error,
                "robot": st.launcher.robot_of(run_id),
                "items": [],
                "counts": {},
                **run_progress.figures(0, 0, None, False),
            }
        run, robot = row
        last = run_views.last_attempts(s, run_id, ITEMS_SHOWN)
        ids = [a.id for a, _n in last]
        evidence: dict[str, list[ItemAttempt]] = {}
        if ids:  # every attempt's own evidence, each under its attempt number
            for a in run_views.attempts_with_evidence(s, run_id):
                evidence.setdefault(a.key, []).append(a)
    counts: dict[str, int] = {}
    items = []
    for a, n in last:
        counts[a.status] = counts.get(a.status, 0) + 1
        items.append(
            {
                "key": a.key,
                "status": a.status,
                "status_text": status_text(a.status),
                "attempts": int(n),
                "attempt": a.attempt,
                "step": a.error_step,
                "message": a.error_message,
                "url": a.url,
                "outputs": run_progress.outputs_shown(a.outputs),
                # the last attempt's own evidence only: a verify attempt has none of its own
                "screenshot": f"/runs/{run_id}/attempts/{a.id}/screenshot" if a.screenshot else None,
                "trace": f"/runs/{run_id}/attempts/{a.id}/trace" if a.trace else None,
                "evidence": run_progress.evidence_of(run_id, evidence.get(a.key, [])),
                "reprocess": a.status == ItemStatus.BUSINESS_ERROR
                and not run.dry_run
                and run.status in FINISHED,
            }
        )
    finished = run.status in FINISHED
    return {
        "id": run.id,
        "found": True,
        "robot": robot,
        "status": run.status,
        "status_text": status_text(run.status),
        "finished": finished,
        "dry_run": run.dry_run,
        "cancel_requested": run.cancel_requested,
        "error": run.error_message,
        "counts": counts,
        "processed": len(items),
        "done": counts.get("done", 0),
        "business_error": counts.get("business_error", 0),
        "system_error": counts.get("system_error", 0) + counts.get("abandoned", 0),
        "skipped": counts.get("skipped", 0),
        "requested_by": run.requested_by,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "items": items,
        **run_progress.figures(run.items_total, len(items), run.started_at, finished),
    }


async def run_detail(request: Request) -> Response:
    user = await require(request)
    run_id = _run_id(request)
    snap = await scoped(request, user, await db(request, snapshot, state(request), run_id))
    if not snap["found"] and snap["status"] == "unknown":
        raise HTTPException(404)
    return render(request, "run.html", user=user, snap=snap, run_id=run_id)


async def run_status(request: Request) -> Response:
    user = await require(request)
    snap = await scoped(request, user, await db(request, snapshot, state(request), _run_id(request)))
    return JSONResponse(snap, headers=NO_STORE)


def _cancel(st: ConsoleState, run_id: str, user: str) -> bool:
    with st.store.session() as s:
        run = s.get(Run, run_id)
        if run is None or run.status in FINISHED:
            return False
        run_views.request_cancel(s, run_id)
        audit_repo.append(s, user, "run.cancel", run_id, {"status": run.status})
        return True


async def run_cancel(request: Request) -> Response:
    user, _form = await posted(request, "operator")
    run_id = _run_id(request)
    ok = await db(request, _cancel, state(request), run_id, user.name)
    flash(
        request,
        tr(
            "取り消しを依頼しました。処理中の項目を終えて停止します",
            "cancel requested: the run stops after the current item",
        )
        if ok
        else tr("この実行は終了しています", "this run has already finished"),
        "info" if ok else "error",
    )
    if request.headers.get("x-csrf-token"):
        return JSONResponse({"ok": ok})
    return redirect(str(request.url_for("run_detail", run_id=run_id)))


def _reprocess(st: ConsoleState, run_id: str, key: str, user: str) -> str:
    with st.store.session() as s:
        row = run_views.run_with_robot(s, run_id)
        if row is None:
            raise HTTPException(404)
        run, robot = row
        if not run_views.has_business_error(s, run_id, key) or run.dry_run:
            raise HTTPException(400, tr("この項目は再処理できません", "this item cannot be reprocessed"))
        audit_repo.append(s, user, "console.reprocess_request", f"{robot}/{key}", {"from_run": run_id})
    return st.launcher.start(robot, user=user, reprocess=(key,))


async def run_reprocess(request: Request) -> Response:
    user, form = await posted(request, "operator")
    run_id = _run_id(request)
    key = str(form.get("key") or "")
    try:
        new_id = await db(request, _reprocess, state(request), run_id, key, user.name)
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        return redirect(str(request.url_for("run_detail", run_id=run_id)))
    flash(request, tr(f"{key} を再処理します", f"reprocessing {key}"))
    return redirect(str(request.url_for("run_detail", run_id=new_id)))


def _evidence_path(st: ConsoleState, run_id: str, attempt_id: int, kind: str) -> tuple[Path, str]:
    """The evidence file of one attempt and the department of the run's robot."""
    with st.reader.session() as s:
        attempt = s.get(ItemAttempt, attempt_id)
        row = run_views.run_with_department(s, run_id)
        if attempt is None or row is None or attempt.run_id != run_id:
            raise HTTPException(404)
        run, department = row
        raw = attempt.screenshot if kind == "screenshot" else attempt.trace
        folder = run.folder
    if not raw or not folder:
        raise HTTPException(404)
    base = Path(folder).resolve()
    path = Path(raw).resolve()
    runs_root = st.settings.runs_dir.resolve()
    # only files inside this run's own folder, itself inside the runs folder
    if not path.is_relative_to(base) or not base.is_relative_to(runs_root) or not path.is_file():
        raise HTTPException(404)
    return path, str(department or "")


def _audit_evidence(st: ConsoleState, user: str, run_id: str, attempt_id: int, kind: str, ok: bool) -> None:
    """Who fetched (or was refused) which evidence: names only, never the file or its contents."""
    with st.store.session() as s:
        action = "run.evidence_download" if ok else "run.evidence_refused"
        audit_repo.append(s, user, action, run_id, {"attempt": attempt_id, "kind": kind})


def _department_of(st: ConsoleState, run_id: str) -> str | None:
    with st.reader.session() as s:
        return run_views.department_of_run(s, run_id)


async def scoped(request: Request, user: User, snap: dict[str, Any]) -> dict[str, Any]:
    """Drop evidence links the user may not open (robots of departments outside theirs)."""
    if not snap.get("found") or user.all_departments:
        return snap
    department = await db(request, _department_of, state(request), str(snap["id"]))
    if user.sees(department or ""):
        return snap
    items = [{**item, "screenshot": None, "trace": None, "evidence": []} for item in snap["items"]]
    return {**snap, "items": items}


async def evidence(request: Request) -> Response:
    user = await require(request)
    run_id = _run_id(request)
    kind = str(request.path_params["kind"])
    if kind not in ("screenshot", "trace"):
        raise HTTPException(404)
    attempt_id = int(request.path_params["attempt_id"])
    st = state(request)
    path, department = await db(request, _evidence_path, st, run_id, attempt_id, kind)
    allowed = user.sees(department)
    await db(request, _audit_evidence, st, user.name, run_id, attempt_id, kind, allowed)
    if not allowed:
        raise Forbidden(
            tr(
                f"この証跡は {department} のロボットのものです。担当課の利用者だけが見られます",
                f"this evidence belongs to a robot of {department}; only its department's users may see it",
            )
        )
    if kind == "screenshot":
        return FileResponse(path, media_type="image/png", headers=NO_STORE)
    return FileResponse(path, media_type="application/zip", filename=path.name, headers=NO_STORE)
