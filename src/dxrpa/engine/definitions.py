"""Loading a robot file: YAML → :class:`~dxrpa.model.robot.Robot` with line numbers, plus the
static checks pydantic cannot do (templates compile, secrets are declared, names make sense)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxrpa.config import Loc, Positions, load_definition, load_yaml, read_yaml_text
from dxrpa.engine import paths, templating
from dxrpa.errors import DefinitionError, DefinitionErrors
from dxrpa.i18n import tr
from dxrpa.model.robot import NESTED_STEPS, Robot, Step, env_name_problem
from dxrpa.model.step_specs import STEPS

SECTIONS = ("setup", "item", "verify", "teardown")


@dataclass(frozen=True)
class LoadedRobot:
    robot: Robot
    path: str
    text: str
    content_hash: str


def step_word(section: str, number: int, action: str | None = None) -> str:
    """``item 手順 3 (fill)`` / ``item step 3 (fill)``: how a step is named in definition errors."""
    head = tr(f"{section} 手順 {number}", f"{section} step {number}")
    return f"{head} ({action})" if action is not None else head


def _label_for(data: Any) -> Any:
    """Prefix errors with ``item step 3 (fill)`` so staff find the step quickly."""

    def label(loc: Loc) -> str | None:
        if len(loc) >= 2 and loc[0] in SECTIONS and isinstance(loc[1], int):
            try:
                raw = data[loc[0]][loc[1]]
            except (KeyError, IndexError, TypeError):
                return None
            action = next(iter(raw), "?") if isinstance(raw, dict) and raw else "?"
            return step_word(str(loc[0]), loc[1] + 1, str(action))
        return None

    return label


def _set_lines(steps: list[Step], loc: Loc, pos: Positions) -> None:
    for i, step in enumerate(steps):
        step._line = pos.find((*loc, i))[0]
        for nested_key, attrs in NESTED_STEPS.items():
            args = getattr(step, "if_" if nested_key == "if" else nested_key)
            if args is None:
                continue
            for attr in attrs:
                field = "else_" if attr == "else" else attr
                if hasattr(args, field):
                    _set_lines(getattr(args, field), (*loc, i, nested_key, attr), pos)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _check_templates(robot: Robot, pos: Positions, raw: dict[str, Any]) -> list[DefinitionError]:
    problems: list[DefinitionError] = []
    declared = set(robot.secrets)
    for section in SECTIONS:
        for i, step_raw in enumerate(raw.get(section) or []):
            where = pos.find((section, i))
            label = (
                step_word(section, i + 1, str(next(iter(step_raw), "?")))
                if isinstance(step_raw, dict)
                else ""
            )
            for text in _strings(step_raw):
                try:
                    templating.validate_syntax(text)
                except templating.TemplateProblem as exc:
                    problems.append(
                        DefinitionError(f"{label}: {exc}", path=pos.path, line=where[0], col=where[1])
                    )
                    continue
                for name in templating.references(text, "secret") - declared:
                    problems.append(
                        DefinitionError(
                            tr(
                                f"{label}: シークレット '{name}' が secrets: に宣言されていません",
                                f"{label}: secret '{name}' is used but not declared",
                            ),
                            path=pos.path,
                            line=where[0],
                            col=where[1],
                            hint=tr("追加してください: ", "add it to ")
                            + f"'secrets: [{', '.join([*robot.secrets, name])}]'",
                        )
                    )
    return problems


def _path_error(pos: Positions, loc: Loc, what: str, raw: str, problem: str) -> DefinitionError:
    line, col = pos.find(loc)
    return DefinitionError(
        tr(f"{what} '{raw}' は使えません: {problem}", f"{what} '{raw}' refused: {problem}"),
        path=pos.path,
        line=line,
        col=col,
        hint=tr(
            "ロボットの folders: (既定 data) の中をホームからの相対パスで指定してください",
            "use a path relative to home inside the robot's folders: (default: data)",
        ),
    )


def _check_folder_paths(robot: Robot, pos: Positions) -> list[DefinitionError]:
    """``folders:`` stay under home and off var/, configs/, robots/; data:, results: and the OCR
    drop folder lie inside them (checked again after resolving symlinks when the robot runs)."""
    problems = [
        _path_error(pos, ("folders", i), "folders:", name, problem)
        for i, name in enumerate(robot.folders)
        if (problem := paths.folder_problem(name)) is not None
    ]
    spec = robot.data
    named: list[tuple[Loc, str, str | None]] = [
        (("data", "excel"), "data: excel", spec.excel),
        (("data", "csv"), "data: csv", spec.csv),
        (("data", "ocr", "folder"), "data: ocr folder", spec.ocr.folder if spec.ocr else None),
        (("results", "excel"), "results: excel", robot.results.excel if robot.results else None),
        *(
            (("browser", "assets", url), f"browser: assets {url}", file)
            for url, file in robot.browser.assets.items()
        ),
    ]
    for loc, what, raw in named:
        if raw is None:
            continue
        problem = paths.literal_problem(raw)
        if problem is None and not paths.within_literal(raw, robot.folders):
            problem = tr(
                f"folders: ({', '.join(robot.folders)}) の中にありません",
                f"not inside folders: ({', '.join(robot.folders)})",
            )
        if problem is not None:
            problems.append(_path_error(pos, loc, what, raw, problem))
    return problems


def _check_step_paths(robot: Robot, pos: Positions) -> list[DefinitionError]:
    """Paths written in upload/download/screenshot/ocr steps: relative and without '..'."""
    problems: list[DefinitionError] = []
    for section in SECTIONS:
        for step in iter_steps(getattr(robot, section)):
            named: list[tuple[str, str]] = []
            if step.upload is not None:
                files = step.upload.files
                named += [("upload files", f) for f in ([files] if isinstance(files, str) else files)]
            if step.download is not None:
                named.append(("download save_as", step.download.save_as))
            if step.screenshot is not None:
                named.append(("screenshot name", step.screenshot.name))
            if step.ocr is not None and step.ocr.file is not None:
                named.append(("ocr file", step.ocr.file))
            for what, raw in named:
                problem = paths.literal_problem(raw)
                if problem is not None:
                    problems.append(
                        DefinitionError(
                            tr(
                                f"{what} '{raw}' は使えません: {problem}",
                                f"{what} '{raw}' refused: {problem}",
                            ),
                            path=pos.path,
                            line=step.line,
                            hint=tr(
                                "実行フォルダーまたは folders: の中を相対パスで指定してください",
                                "use a relative path inside the run folder or the robot's folders:",
                            ),
                        )
                    )
    return problems


# Steps whose rendered values are shown to viewers or stored (messages, run log, variables, the
# DB): a secret must never flow into them, whatever filter it went through.
SECRET_SINKS = frozenset(spec.key for spec in STEPS if spec.secret_sink)


def _walk_raw_steps(steps: Any, loc: Loc) -> Iterator[tuple[Loc, str, list[str]]]:
    """``(location, action, its own strings)`` of every step, nested ones (if/for_each/frame) too."""
    for i, raw in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(raw, dict) or not raw:
            continue
        action = str(next(iter(raw)))
        args = raw.get(action)
        nested = NESTED_STEPS.get(action, ())
        own = {k: v for k, v in raw.items() if k != action}
        if isinstance(args, dict):
            own[action] = {k: v for k, v in args.items() if k not in nested}
            for key in nested:
                yield from _walk_raw_steps(args.get(key), (*loc, i, action, key))
        else:
            own[action] = args
        yield (*loc, i), action, _strings(own)


def _step_label(loc: Loc, action: str) -> str:
    """``item step 4 > then step 1 (set)`` for a nested step, ``item step 2 (log)`` otherwise."""
    parts: list[str] = []
    branch = str(loc[0])
    for part in loc[1:]:
        if isinstance(part, int):
            parts.append(step_word(branch, part + 1))
        elif part in ("then", "else", "steps"):
            branch = str(part)
    return f"{' > '.join(parts)} ({action})"


def check_env_and_secret_use(robot: Robot, pos: Positions, raw: dict[str, Any]) -> list[DefinitionError]:
    """The taint rules: ``env.X`` only for names under ``env:``, ``env``/``secret`` only as
    ``.NAME``, and no secret at all in a step whose value is shown or stored (:data:`SECRET_SINKS`)."""
    problems: list[DefinitionError] = []
    declared_env = set(robot.env)

    def problem(loc: Loc, message: str, hint: str | None = None) -> None:
        line, col = pos.find(loc)
        problems.append(DefinitionError(message, path=pos.path, line=line, col=col, hint=hint))

    for section in SECTIONS:
        for loc, action, texts in _walk_raw_steps(raw.get(section), (section,)):
            label = _step_label(loc, action)
            for text in texts:
                for name in sorted(templating.references(text, "env") - declared_env):
                    why = env_name_problem(name)
                    names = ", ".join([*robot.env, name])
                    problem(
                        loc,
                        tr(
                            f"{label}: env '{name}' が 'env:' で宣言されていません",
                            f"{label}: env '{name}' is used but not declared under 'env:'",
                        ),
                        hint=why
                        or tr(f"'env: [{names}]' と書き足してください", f"add it to 'env: [{names}]'"),
                    )
                for root in ("env", "secret"):
                    if templating.bare_use(text, root):
                        problem(
                            loc,
                            tr(
                                f"{label}: '{root}' は宣言した名前で {root}.NAME の形でだけ使えます",
                                f"{label}: '{root}' may only be used as {root}.NAME with a declared name",
                            ),
                            hint=tr(
                                f"使う値ごとに {root}.NAME (または {root}['NAME']) と書いてください",
                                f"write {root}.NAME (or {root}['NAME']) for each value you need",
                            ),
                        )
                if templating.transformed_use(text, "secret"):
                    problem(
                        loc,
                        tr(
                            f"{label}: シークレットはそのままの形 {{{{ secret.NAME }}}} でだけ使えます"
                            " (フィルター・切り出し・演算は不可)",
                            f"{label}: a secret can only be used whole, as {{{{ secret.NAME }}}}"
                            " (no filter, slice or operator)",
                        ),
                        hint=tr(
                            "変形した値は伏せ字にできず、ログや出力に残るおそれがあります。必要な形の値を"
                            "別のシークレットとして dxrpa secrets set で登録してください",
                            "a transformed value cannot be masked and could reach logs or outputs; store the"
                            " form you need as its own secret with dxrpa secrets set",
                        ),
                    )
                if action in SECRET_SINKS and (
                    templating.references(text, "secret") or templating.bare_use(text, "secret")
                ):
                    problem(
                        loc,
                        tr(
                            f"{label}: {action}: ではシークレットを使えません"
                            " (値が閲覧者に見えるか保存されます)",
                            f"{label}: a secret cannot be used in {action}: steps: its value would be shown"
                            " to viewers or stored",
                        ),
                        hint=tr(
                            "シークレットは fill・select・press の手順でだけ使ってください",
                            "use secrets only in fill, select or press steps",
                        ),
                    )
    return problems


def _check_guarded_steps(robot: Robot, pos: Positions, raw: dict[str, Any]) -> list[DefinitionError]:
    """``evaluate:`` runs the robot's own JavaScript in the page: only when the robot says so."""
    if robot.browser.allow_javascript:
        return []
    problems: list[DefinitionError] = []
    for section in SECTIONS:
        for loc, action, _texts in _walk_raw_steps(raw.get(section), (section,)):
            if action == "evaluate":
                line, col = pos.find(loc)
                problems.append(
                    DefinitionError(
                        tr(
                            f"{_step_label(loc, action)}: evaluate: はページで JavaScript を実行します。"
                            "browser: allow_javascript: true がないと使えません",
                            f"{_step_label(loc, action)}: evaluate: runs JavaScript in the page and needs"
                            " browser: allow_javascript: true",
                        ),
                        path=pos.path,
                        line=line,
                        col=col,
                        hint=tr(
                            "ほかのステップでできないときだけ allow_javascript: true を書いてください"
                            "(承認の対象です)",
                            "declare allow_javascript: true only when no other step can do it"
                            " (reviewed at approval)",
                        ),
                    )
                )
    return problems


def parse_robot(path: str | Path, text: str | None = None) -> LoadedRobot:
    """Load and check a robot file; raises DefinitionErrors listing every problem with its line."""
    spath = str(path)
    if text is None:
        text = read_yaml_text(path)
    raw, pos = load_yaml(spath, text)  # parsed once (limits checked first), positions kept
    robot, pos = load_definition(spath, Robot, text=text, label=_label_for(raw), parsed=(raw, pos))
    assert isinstance(raw, dict)
    for section in SECTIONS:
        _set_lines(getattr(robot, section), (section,), pos)
    problems = _check_templates(robot, pos, raw)
    problems += _check_folder_paths(robot, pos) + _check_step_paths(robot, pos)
    problems += check_env_and_secret_use(robot, pos, raw) + _check_guarded_steps(robot, pos, raw)
    stem = Path(spath).stem
    if stem != robot.name and not spath.startswith("<"):
        line, col = pos.find(("name",))
        problems.append(
            DefinitionError(
                tr(
                    f"name '{robot.name}' がファイル名 '{stem}' と違います",
                    f"name '{robot.name}' differs from the file name '{stem}'",
                ),
                path=spath,
                line=line,
                col=col,
                hint=tr(
                    f"ファイル名を {robot.name}.yaml にするか name: を直してください",
                    f"rename the file to {robot.name}.yaml or change name:",
                ),
            )
        )
    if problems:
        raise DefinitionErrors(sorted(problems, key=lambda e: (e.line or 0, e.col or 0)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedRobot(robot=robot, path=spath, text=text, content_hash=digest)


def item_columns(robot: Robot) -> set[str]:
    """Every ``item.X`` a robot's steps refer to (checked against the data before a run starts)."""
    found: set[str] = set()
    for section in SECTIONS:
        for step in getattr(robot, section):
            for text in _strings(step.model_dump(by_alias=True, exclude_none=True)):
                found |= templating.references(text, "item")
    return found


def iter_steps(steps: list[Step]) -> Iterator[Step]:
    """Every step, nested ones (:data:`~dxrpa.model.robot.NESTED_STEPS`: if/else, for_each, frame,
    popup, window) included."""
    for step in steps:
        yield step
        for action, keys in NESTED_STEPS.items():
            args = getattr(step, "if_" if action == "if" else action)
            for key in keys if args is not None else ():
                yield from iter_steps(getattr(args, "else_" if key == "else" else key))


def uses_action(robot: Robot, action: str) -> bool:
    return any(step.action == action for section in SECTIONS for step in iter_steps(getattr(robot, section)))
