"""What keeps an author's robot out of production: the dry-run guard and the pending diff.

A dry run skips the steps marked ``submit: true`` and stops an item at the first of them, so it
can only be trusted not to enter anything when the robot marks its submit. A robot without
any submit step is refused for a dry run unless an operator says it has nothing to submit
(``--no-submit-steps-ok``). Which version production runs is decided in
:func:`dxrpa.store.robots_repo.version_for_run`.
"""

from __future__ import annotations

import difflib

from dxrpa.engine.definitions import LoadedRobot, iter_steps
from dxrpa.errors import DefinitionError
from dxrpa.i18n import tr
from dxrpa.model.robot import Step

# the sections a dry run executes (verify: runs only to check an interrupted production item)
DRY_RUN_SECTIONS = ("setup", "item", "teardown")


def has_submit(steps: list[Step]) -> bool:
    return any(step.is_submit for step in iter_steps(steps))


def check_dry_run(loaded: LoadedRobot, *, allow_no_submit: bool) -> None:
    """Refuse a dry run of a robot with no ``submit: true`` step: it would enter everything."""
    robot = loaded.robot
    if allow_no_submit or any(has_submit(getattr(robot, sec)) for sec in DRY_RUN_SECTIONS):
        return
    raise DefinitionError(
        tr(
            f"ロボット '{robot.name}' には submit: true のステップがないため、ドライランでも"
            "本当に登録してしまいます",
            f"robot '{robot.name}' has no step marked submit: true, so a dry run would really enter the data",
        ),
        path=loaded.path,
        hint=tr(
            "最後の登録ボタンのクリックに submit: true を付けてください"
            " (例: - click: {role: button, name: 登録, submit: true})。登録操作がない業務だと"
            "確認済みなら、運用者が --no-submit-steps-ok を付けて実行できます",
            "mark the final click with submit: true (e.g. - click: {role: button, name: Register,"
            " submit: true}); if the robot really submits nothing, an operator may pass"
            " --no-submit-steps-ok",
        ),
    )


def dry_run_steps(steps: list[Step]) -> list[Step]:
    """The item steps a dry run executes: up to and including the first step that is or holds
    a submit (inside if/for_each/frame too); what follows checks an outcome that never happened."""
    for i, step in enumerate(steps):
        if has_submit([step]):
            return steps[: i + 1]
    return steps


def yaml_diff(old: str, new: str, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff of two robot files as (kind, line), kind ∈ add/del/hunk/ctx."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm="", n=3
    ):
        if line.startswith(("+++", "---")):
            kind = "ctx"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "hunk" if line.startswith("@@") else "ctx"
        out.append((kind, line))
    return out
