"""Turn recorded browser actions into a robot file staff can read, and write it atomically.

Typed values become data columns (``{{ item.氏名 }}``) where the author says so, with the data
sheet's header written beside the robot; password fields become declared secrets (the typed value
was never kept); the login (everything up to the click after the password) becomes ``setup:``;
the chosen click is marked ``submit: true`` so a dry run stops before it; ``verify:`` is left as a
commented stub because only the author knows how the target system shows that an item went in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from dxrpa.browser.recorder import RecordedAction
from dxrpa.engine.definitions import parse_robot
from dxrpa.errors import UsageError
from dxrpa.fileio import atomic_path
from dxrpa.i18n import tr
from dxrpa.model.robot import NAME_RE

_LOCATOR_KEYS = ("role", "name", "label", "placeholder", "text", "test_id", "css", "frame")


@dataclass
class Recording:
    """What :func:`build_robot` makes: the robot text and the data sheet's header (maybe empty)."""

    text: str
    columns: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    submit_step: str = ""  # how the marked submit step reads, for the CLI summary


def check_robot_path(path: Path) -> str:
    """The robot name the file name gives; the name rule is said in Japanese if it does not fit."""
    name = path.stem
    if path.suffix not in (".yaml", ".yml") or not NAME_RE.match(name):
        raise UsageError(
            tr(
                f"ロボットのファイル名「{path.name}」は使えません",
                f"'{path.name}' cannot be a robot file name",
            ),
            hint=tr(
                "英小文字・数字・_ の名前に .yaml を付けてください(例: robots/jumin_entry.yaml)。"
                "日本語の名前は title: に書きます",
                "use lowercase letters, digits and _ with .yaml (e.g. robots/jumin_entry.yaml); "
                "put a Japanese name in title:",
            ),
        )
    return name


def column_name(action: RecordedAction, taken: set[str]) -> str:
    """A readable, unique column name from the element's label (or name, placeholder, ...)."""
    loc = action.locator or {}
    base = next((str(loc[k]) for k in ("label", "name", "placeholder", "test_id") if loc.get(k)), "")
    base = re.sub(r"[\s{}'\"\\]+", "", base)[:40] or tr("列", "column")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _item_ref(column: str) -> str:
    return f"{{{{ item.{column} }}}}" if column.isidentifier() else f"{{{{ item['{column}'] }}}}"


def _flow(value: Mapping[str, Any]) -> str:
    text = yaml.safe_dump(
        dict(value), default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
    )
    return text.strip()


def _scalar(value: str) -> str:
    return yaml.safe_dump(value, allow_unicode=True, width=10_000).strip().removesuffix("...").strip()


def login_secrets(name: str, actions: list[RecordedAction]) -> dict[int, str]:
    """Action index → secret name: each password field, and the field typed just before it (the
    user ID of a login form). Their values are never written into the robot or its data."""
    upper = name.upper()
    out: dict[int, str] = {}
    passwords = [i for i, a in enumerate(actions) if a.kind == "fill" and a.secret]
    for n, i in enumerate(passwords, start=1):
        suffix = "" if n == 1 else str(n)
        out[i] = f"{upper}_PASSWORD{suffix}"
        if i > 0 and actions[i - 1].kind == "fill" and not actions[i - 1].secret:
            out[i - 1] = f"{upper}_USER{suffix}"
    return out


def default_submit(actions: list[RecordedAction]) -> int | None:
    """The final submit, as a clerk would guess it: the last click that raised a dialog, else the
    last click."""
    clicks = [i for i, a in enumerate(actions) if a.kind == "click" and not a.download]
    with_dialog = [i for i in clicks if actions[i].dialog]
    chosen = with_dialog or clicks
    return chosen[-1] if chosen else None


def build_robot(
    name: str,
    actions: list[RecordedAction],
    *,
    columns: Mapping[int, str],
    submit: int | None,
    title: str = "",
    department: str = "",
    recorded_at: datetime | None = None,
) -> Recording:
    """The robot text for ``actions``; ``columns`` maps an action index to its data column."""
    if not any(a.kind != "goto" for a in actions):
        raise UsageError(
            tr("操作が記録されていません", "nothing was recorded"),
            hint=tr("ブラウザで操作してから閉じてください", "use the page, then close the browser"),
        )
    secret_of = login_secrets(name, actions)
    login_end = _login_end(actions, secret_of)
    start = (login_end + 1) if login_end is not None else 0
    if start < len(actions) and actions[start].kind != "goto" and actions[start].page_url.startswith("http"):
        # each item starts from the page it was recorded on, not from wherever the last one ended
        actions = [*actions[:start], RecordedAction("goto", value=actions[start].page_url), *actions[start:]]
        columns = {(i + 1 if i >= start else i): c for i, c in columns.items()}
        secret_of = {(i + 1 if i >= start else i): s for i, s in secret_of.items()}
        submit = submit + 1 if submit is not None and submit >= start else submit
    steps: list[str] = []
    setup: list[str] = []
    for i, action in enumerate(actions):
        column = None if i in secret_of else columns.get(i)
        line = _step(action, column, secret_of.get(i), submit == i)
        (setup if login_end is not None and i <= login_end else steps).append(line)
    hosts = sorted({h for a in actions if (h := urlsplit(str(a.value or a.page_url)).hostname)})
    secrets = sorted(set(secret_of.values()))
    out = [
        tr(
            f"# dxrpa record で記録しました({(recorded_at or datetime.now()).strftime('%Y-%m-%d %H:%M')})。",
            f"# Recorded with dxrpa record ({(recorded_at or datetime.now()).strftime('%Y-%m-%d %H:%M')}).",
        ),
        tr(
            "# baseline(手作業の分数)・department・verify: を実際の業務に合わせて直してください。",
            "# Set baseline (manual minutes), department and verify: to match the real work.",
        ),
        f"name: {name}",
        f"title: {_scalar(title or name)}",
        f"department: {_scalar(department or tr('未設定', 'unassigned'))}",
        "baseline:",
        "  minutes_per_item: 0   "
        + tr("# 職員が手で 1 件入力すると何分か", "# minutes a clerk needs per item"),
        "browser: " + _flow({"allowed_domains": hosts or ["127.0.0.1", "localhost"]}),
    ]
    if secrets:
        out.append("secrets: " + yaml.safe_dump(secrets, default_flow_style=True, allow_unicode=True).strip())
    ordered = list(dict.fromkeys(columns[i] for i in sorted(columns) if i not in secret_of))
    if ordered:
        out += [
            "data:",
            f"  excel: data/{name}.xlsx",
            f"  sheet: {_scalar(tr('データ', 'data'))}",
            tr(
                "  # key: 受付番号   # 1 件を識別する列(同じキーは二度と入力しない)",
                "  # key: receipt_no   # the column that identifies an item (never entered twice)",
            ),
        ]
    if setup:
        out += ["setup:", *setup]
    out += ["item:", *steps]
    out += [
        tr(
            "# verify:   # 中断後の確認: 登録済みなら二重入力しない。検索画面でこの件を探す手順を書きます",
            "# verify:   # after an interruption: find this item in the system so it is not entered twice",
        ),
        '#   - goto: "https://…/search?q={{ item.受付番号 }}"',
        '#   - expect: {visible: {css: "#results"}, business_error: 未登録}',
        "",
    ]
    text = "\n".join(out)
    parse_robot(f"<recorded {name}>", text)  # a recording that does not validate is our bug, not theirs
    submit_line = (
        _step(actions[submit], columns.get(submit), None, True).strip() if submit is not None else ""
    )
    return Recording(text=text, columns=ordered, secrets=secrets, submit_step=submit_line[2:])


def _login_end(actions: list[RecordedAction], secret_of: Mapping[int, str]) -> int | None:
    """Index of the click or Enter that sends the last password, if the recording logs in."""
    passwords = [i for i in secret_of if actions[i].secret]
    if not passwords:
        return None
    for i in range(max(passwords) + 1, len(actions)):
        if actions[i].kind in ("click", "press"):
            return i
    return None


def _locator(action: RecordedAction) -> dict[str, Any]:
    loc = {k: v for k, v in (action.locator or {}).items() if k in _LOCATOR_KEYS and v not in (None, "")}
    if action.frame:
        loc["frame"] = action.frame
    return loc


def _step(action: RecordedAction, column: str | None, secret: str | None, submit: bool) -> str:
    kind = action.kind
    if kind in ("goto", "popup"):
        note = (
            tr("   # 新しいウィンドウで開いたページ", "   # the page opened in a new window")
            if kind == "popup"
            else ""
        )
        return f"  - goto: {_scalar(str(action.value))}{note}"
    args = _locator(action)
    if kind == "fill":
        value = f"{{{{ secret.{secret} }}}}" if secret else _item_ref(column) if column else str(action.value)
        return f"  - fill: {_flow({**args, 'value': value})}"
    if kind == "select":
        chosen = action.value[0] if isinstance(action.value, list) and action.value else action.value
        value = _item_ref(column) if column else str(chosen or "")
        return f"  - select: {_flow({**args, 'value': value})}"
    if kind in ("check", "uncheck"):
        return f"  - {kind}: {_flow(args)}"
    if kind == "upload":
        files = [f"data/{n}" for n in (action.value or [])] or ["data/"]
        return f"  - upload: {_flow({**args, 'files': files[0] if len(files) == 1 else files})}"
    if kind == "press":
        press = {**args, "key": str(action.value or "Enter"), **({"submit": True} if submit else {})}
        return f"  - press: {_flow(press)}"
    if action.download:
        return f"  - download: {_flow({**args, 'save_as': action.download})}"
    extra: dict[str, Any] = {}
    if action.dialog:
        extra["dialog"] = action.dialog
    if submit:
        extra["submit"] = True
    return f"  - click: {_flow({**args, **extra})}"


def write_recording(
    robot_path: Path, recording: Recording, *, home: Path, force: bool = False
) -> Path | None:
    """Write the robot (and its data sheet header) atomically; refuse to overwrite without ``force``.

    Returns the data workbook's path when one was written.
    """
    name = check_robot_path(robot_path)
    data_path = home / "data" / f"{name}.xlsx"
    targets = [robot_path] + ([data_path] if recording.columns else [])
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise UsageError(
            tr(f"{existing[0]} は既にあります", f"{existing[0]} already exists"),
            hint=tr("別の名前にするか --force で上書きしてください", "choose another name or use --force"),
        )
    if recording.columns:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = tr("データ", "data")
        ws.append(recording.columns)
        with atomic_path(data_path) as tmp:
            wb.save(tmp)
    with atomic_path(robot_path) as tmp:
        tmp.write_text(recording.text, encoding="utf-8")
    return data_path if recording.columns else None


__all__ = [
    "Recording",
    "build_robot",
    "check_robot_path",
    "column_name",
    "default_submit",
    "login_secrets",
    "write_recording",
]
