"""Where a robot may read and write files: its declared ``folders:`` under home, and its run folder.

One rule set for every path a robot names: ``data:`` (excel/csv), ``results:``, ``upload:``, the
OCR drop folder (``data: {ocr: {folder: ...}}``) live in the robot's ``folders:`` (default
``[data]``); ``download:`` ``save_as``, ``screenshot:`` and the ``ocr:`` step's ``file:`` live in
the run's own folder under ``var/runs/``. A path is resolved with symlinks followed and must then
lie inside an allowed folder; ``var/``, ``configs/``, ``robots/``, the secret key file and anything
outside home are never allowed, even when declared. A robot author cannot read the console's
signing key or overwrite a file of the server this way.

:func:`folder_problem` and :func:`literal_problem` are the static (lexical) checks used by
``dxrpa robots validate``; :class:`Folders` and :func:`inside_run_folder` are the run-time checks
after template rendering (symlinks followed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from dxrpa.config import Settings
from dxrpa.errors import DefinitionError, DxrpaError
from dxrpa.i18n import tr

DEFAULT_FOLDERS = ("data",)
RESERVED = ("var", "configs", "robots")  # never readable or writable by a robot
PRIVATE_UMASK = 0o077  # files 0600, folders 0700
_KEY_FILE_ENV = "DXRPA_SECRET_KEY_FILE"  # as in engine.secrets (not imported: keep this module light)

ErrorFactory = Callable[..., DxrpaError]  # (message, hint=...) -> the error to raise


def restrict_new_files() -> None:
    """Make every file this process creates private to its user (0600 files, 0700 folders): the
    database and its WAL, evidence, run folders, results and reports hold residents' data."""
    os.umask(PRIVATE_UMASK)


def _parts(raw: str) -> tuple[str, ...]:
    return tuple(p for p in PurePosixPath(raw.replace("\\", "/")).parts if p not in ("", "."))


def _is_absolute(raw: str) -> bool:
    return PurePosixPath(raw).is_absolute() or bool(PureWindowsPath(raw).drive) or raw.startswith("\\")


def literal_problem(raw: str) -> str | None:
    """Why a path as written can never be allowed (absolute, ``..``, empty); None when fine."""
    if _is_absolute(raw):
        return tr("絶対パスは使えません", "absolute paths are not allowed")
    parts = _parts(raw)
    if ".." in parts:
        return tr("'..' は使えません", "'..' is not allowed")
    if not parts:
        return tr("パスが空です", "the path is empty")
    return None


def folder_problem(folder: str) -> str | None:
    """Why a declared ``folders:`` entry can never be allowed; None when it is fine (lexical)."""
    if not _parts(folder) and not _is_absolute(folder):
        return tr("ホーム全体は指定できません (var/ と重なります)", "home itself overlaps var/")
    problem = literal_problem(folder)
    if problem is not None:
        return tr(f"ホームの外を指しています ({problem})", f"points outside home ({problem})")
    if "{{" in folder or "{%" in folder:
        return tr("テンプレートは使えません", "templates are not allowed here")
    top = _parts(folder)[0]
    if top in RESERVED:
        return tr(
            f"{top}/ はロボットから読み書きできません", f"{top}/ can never be read or written by a robot"
        )
    return None


def within_literal(raw: str, folders: Sequence[str]) -> bool:
    """Does a literal relative path lie inside one of the usable ``folders`` (lexically)?"""
    parts = _parts(raw)
    usable = [_parts(f) for f in folders if folder_problem(f) is None]
    return any(parts[: len(fp)] == fp and len(parts) > len(fp) for fp in usable)


def _refused(what: str, raw: str, where: str, error: ErrorFactory, hint: str) -> DxrpaError:
    shown = raw if len(raw) <= 120 else raw[:117] + "..."
    return error(
        tr(
            f"{what} '{shown}' は{where}の外です: ロボットはそこを読み書きできません",
            f"{what} '{shown}' is outside {where}: a robot cannot read or write there",
        ),
        hint=hint,
    )


@dataclass(frozen=True)
class Folders:
    """The folders one robot may read and write under home (resolved, symlinks followed)."""

    home: Path
    names: tuple[str, ...]
    roots: tuple[Path, ...]
    never: tuple[Path, ...]

    @classmethod
    def of(cls, settings: Settings, folders: Sequence[str] = DEFAULT_FOLDERS, *, source: str = "") -> Folders:
        """Resolve ``folders`` under ``settings.home``; a folder that escapes home or overlaps a
        reserved one is a :class:`DefinitionError` (checked again here: symlinks can do it)."""
        home = settings.home.resolve()
        never = [(home / name).resolve() for name in (*RESERVED, settings.robots_dir)]
        key_file = os.environ.get(_KEY_FILE_ENV)
        if key_file:
            never.append(Path(key_file).resolve())
        if settings.db_url.startswith("sqlite:///"):  # a database kept outside var/
            db = Path(settings.db_url.removeprefix("sqlite:///").split("?")[0]).resolve()
            never += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        roots: list[Path] = []
        for name in folders:
            problem = folder_problem(name)
            root = (home / name).resolve()
            if problem is None and not root.is_relative_to(home):
                problem = tr("ホームの外を指しています", "points outside home")
            if problem is None and any(root.is_relative_to(n) or n.is_relative_to(root) for n in never):
                problem = tr(
                    "var/・configs/・robots/ や鍵ファイルと重なります",
                    "overlaps var/, configs/, robots/ or the key file",
                )
            if problem is not None:
                raise DefinitionError(
                    tr(f"folders: '{name}' は使えません: {problem}", f"folders: '{name}' refused: {problem}"),
                    path=source or None,
                    hint=tr(
                        "ホーム配下のフォルダー (例: data) を指定してください",
                        "name a folder under home, e.g. data",
                    ),
                )
            roots.append(root)
        return cls(home=home, names=tuple(folders), roots=tuple(roots), never=tuple(never))

    def resolve(self, raw: str | Path, what: str, error: ErrorFactory = DefinitionError) -> Path:
        """``home / raw`` with symlinks followed; raises ``error`` unless it lies in a declared folder."""
        text = str(raw)
        path = (self.home / text).resolve()
        allowed = (
            literal_problem(text) is None
            and any(path.is_relative_to(root) and path != root for root in self.roots)
            and not any(path.is_relative_to(n) for n in self.never)
        )
        if not allowed:
            folders = ", ".join(self.names) or "-"
            raise _refused(
                what,
                text,
                tr(f"ロボットのフォルダー ({folders})", f"the robot's folders ({folders})"),
                error,
                tr(
                    f"ホームからの相対パスで folders: ({folders}) の中を指定してください",
                    f"use a path relative to home inside folders: ({folders})",
                ),
            )
        return path


def inside_run_folder(run_folder: Path, raw: str, what: str, error: ErrorFactory) -> Path:
    """``run_folder / raw`` with symlinks followed; ``error`` unless it lies inside the run folder.
    An absolute path is accepted only when it already points into the run folder (the path a
    ``download:`` step stored with ``into:``)."""
    base = run_folder.resolve()
    target = (base / raw).resolve()
    lexical = literal_problem(raw)
    ok = target.is_relative_to(base) and target != base and bool(_parts(raw))
    if lexical is not None and not (_is_absolute(raw) and ".." not in _parts(raw)):
        ok = False
    if not ok:
        raise _refused(
            what,
            raw,
            tr("実行フォルダー", "the run folder"),
            error,
            tr("'..' のない相対パスにしてください", "use a relative path without '..'"),
        )
    return target


def local_assets(assets: dict[str, str], folders: Folders, source: str) -> dict[str, Path]:
    """``browser.assets:`` resolved inside the robot's folders; a missing copy is named before the
    first item, not discovered when a page breaks."""
    resolved: dict[str, Path] = {}
    for pattern, raw in assets.items():
        path = folders.resolve(raw, f"browser: assets {pattern}")
        if not path.is_file():
            raise DefinitionError(
                tr(
                    f"browser.assets の '{pattern}' の写し '{raw}' がありません",
                    f"browser.assets '{pattern}': local copy '{raw}' not found",
                ),
                path=source,
                hint=tr(
                    "ファイルを置くか、assets: から外してください",
                    "put the file there or remove it from assets:",
                ),
            )
        resolved[pattern] = path
    return resolved
