"""OCR review in the browser: a queue of doubtful fields with their crop and read value, done with
the keyboard only. Review minutes are measured (active time on the page, capped by the time since
the page was opened) and recorded in the ledger as staff time, as the Excel round trip does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from dxrpa.console import ocr_page
from dxrpa.console.web import NO_STORE, ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.engine.ocr_review import apply_sheet
from dxrpa.errors import DxrpaError
from dxrpa.i18n import tr
from dxrpa.ocr import crops
from dxrpa.ocr.review import ReviewSheet
from dxrpa.store import audit_repo, ocr_repo, ocr_views
from dxrpa.store.base import utcnow
from dxrpa.store.ocr_tables import OcrField


def _queue(st: ConsoleState) -> list[dict[str, Any]]:
    with st.reader.session() as s:
        counts = ocr_views.doubtful_counts(s)
        return [{"batch": b, "doubtful": counts.get(b.id, 0)} for b in ocr_repo.list_batches(s, limit=50)]


async def ocr_queue(request: Request) -> Response:
    user = await require(request)
    rows = await db(request, _queue, state(request))
    return render(request, "ocr_queue.html", user=user, batches=rows)


def _start(st: ConsoleState, batch_id: str, user: str) -> dict[str, Any]:
    with st.store.session() as s:
        batch = ocr_repo.get_batch(s, batch_id)
        rows = ocr_repo.doubtful_fields(s, batch.id)
        review = ocr_repo.start_review(s, batch.id, fields_exported=len(rows), by=user) if rows else None
        pages = {f.id: ocr_page.page_of(f.crop) for _d, f in rows}
        fields = [
            {
                "id": f.id,
                "name": f.name,
                "type": f.type,
                "value": f.value,
                # the reading as written (variant kanji kept) when normalizing changed its 字形
                "raw": f.raw_value if f.raw_value and f.raw_value != f.value else "",
                "text": f.ocr_text,
                "confidence": f.confidence,
                "reason": f.reason,
                "file": Path(d.source_file).name,
                "page": d.page,
                "crop": bool(f.crop),
                "first_reviewer": f.first_reviewer if f.status == "check" else None,
                "page_image": pages[f.id] is not None,
                "box": (pages[f.id] or (None, None))[1],
            }
            for d, f in rows
        ]
        return {"batch": batch, "fields": fields, "token": review.token if review else ""}


async def ocr_review(request: Request) -> Response:
    user = await require(request, "operator")
    data = await db(request, _start, state(request), str(request.path_params["batch_id"]), user.name)
    return render(request, "ocr_review.html", user=user, **data)


def _apply(
    st: ConsoleState, batch_id: str, token: str, typed: dict[int, str], active_s: float, user: str
) -> tuple[int, int, float]:
    with st.store.session() as s:
        batch = ocr_repo.get_batch(s, batch_id)
        review = ocr_views.review_by_token(s, token)
        if review is None or review.batch_id != batch.id:
            raise HTTPException(
                400,
                tr(
                    "この確認画面は古くなっています。開き直してください",
                    "this review page is stale; open it again",
                ),
            )
        names = ocr_views.field_names(s, typed)
        sheet = ReviewSheet(
            token=token,
            batch_id=batch.id,
            reviewer=user,
            minutes=None,
            values={fid: (names.get(fid, ""), value) for fid, value in typed.items()},
        )
        elapsed = (utcnow() - review.exported_at).total_seconds()
        minutes = round(max(0.0, min(active_s, elapsed)) / 60, 2)
        outcome = apply_sheet(
            s,
            st.settings,
            batch,
            sheet,
            Path(tr("確認画面", "review page")),
            reviewer=user,
            minutes=minutes,
            measured_source="measured",
        )
        audit_repo.append(
            s,
            user,
            "ocr.review",
            batch.id,
            {"corrected": outcome.corrected, "confirmed": outcome.confirmed, "minutes": outcome.minutes},
        )
        return outcome.corrected, outcome.confirmed, outcome.minutes


async def ocr_apply(request: Request) -> Response:
    user, form = await posted(request, "operator")
    batch_id = str(request.path_params["batch_id"])
    typed: dict[int, str] = {}
    for key, value in form.multi_items():
        if key.startswith("v_") and key[2:].isdigit() and form.get(f"a_{key[2:]}") == "1":
            typed[int(key[2:])] = str(value).strip()
    try:
        active_s = float(str(form.get("active_seconds") or "0"))
    except ValueError:
        active_s = 0.0
    try:
        corrected, confirmed, minutes = await db(
            request,
            _apply,
            state(request),
            batch_id,
            str(form.get("token") or ""),
            typed,
            active_s,
            user.name,
        )
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        return redirect(str(request.url_for("ocr_review", batch_id=batch_id)))
    flash(
        request,
        tr(
            f"取込完了: 修正 {corrected} / 確認のみ {confirmed} / 作業時間 {minutes:.1f} 分",
            f"applied: {corrected} corrected, {confirmed} confirmed, {minutes:.1f} min",
        ),
    )
    return redirect(str(request.url_for("ocr_queue")))


def _crop(st: ConsoleState, field_id: int) -> Path:
    with st.reader.session() as s:
        field = s.get(OcrField, field_id)
        raw = field.crop if field else None
    if not raw:
        raise HTTPException(404)
    path = Path(raw).resolve()
    if not path.is_relative_to((st.settings.var_dir / "ocr").resolve()) or not path.is_file():
        raise HTTPException(404)
    return path


async def ocr_crop(request: Request) -> Response:
    await require(request, "operator")
    st = state(request)
    path = await db(request, _crop, st, int(request.path_params["field_id"]))
    if not crops.is_sealed(path):
        return FileResponse(path, headers=NO_STORE)
    png = await db(request, crops.read, path, st.store.vault.open_bytes)
    if png is None:
        raise HTTPException(404)
    return Response(png, media_type="image/png", headers=NO_STORE)
