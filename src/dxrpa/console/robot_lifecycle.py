"""Admins disable, enable and archive a robot from its page (audited, as ``dxrpa robots …``)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.web import db, flash, posted, redirect, state
from dxrpa.engine.lifecycle import ACTIONS, set_state, state_text
from dxrpa.i18n import tr


async def robot_state(request: Request) -> Response:
    user, form = await posted(request, "admin")
    name = str(request.path_params["name"])
    action = str(form.get("action") or "")
    if action not in ACTIONS:
        raise HTTPException(400, tr("操作は disable / enable / archive です", "disable, enable or archive"))
    st = state(request)

    def apply() -> tuple[str, bool]:
        return set_state(st.store, name, action, actor=user.name, via="console")

    new, changed = await db(request, apply)
    flash(
        request,
        tr(f"{name}: {state_text(new)}にしました", f"{name}: now {state_text(new)}")
        if changed
        else tr(f"{name} はすでに{state_text(new)}です", f"{name} is already {state_text(new)}"),
    )
    return redirect(str(request.url_for("robot_detail", name=name)))
