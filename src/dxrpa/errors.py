"""Every error dxrpa raises on purpose, and the exit code the CLI maps it to.

One root, so the CLI can tell "we said what is wrong" (print one line, exit with the named
code) from a bug (traceback in the log, exit ``INTERNAL``)::

    DxrpaError                      exit code
    ├── UsageError                  USAGE (2)            wrong CLI arguments / unknown robot
    │   ├── NotRegistered           USAGE (2)            no robot of that name
    │   └── NotApproved             USAGE (2)            production run of a robot with no approved version
    ├── DefinitionError             DEFINITION (3)       robot/template/config invalid (path:line:col)
    ├── DataError                   DATA (4)             Excel/CSV/scan input unusable (path, row)
    ├── ConfigError                 CONFIG (5)           settings invalid
    ├── SecretError                 SECRET (6)           a declared secret has no value
    ├── DependencyMissing           DEPENDENCY (7)       browser / OCR model / server not installed
    ├── StoreError                  STORE (8)            database unreachable or inconsistent
    ├── LockHeld                    LOCKED (9)           another scheduler/run holds the lock
    ├── RunFailed                   ITEMS_FAILED (10)    the run finished, some items failed
    ├── SomeFilesFailed             FILES_FAILED (11)    OCR finished, some files failed
    ├── IntegrityError              INTEGRITY (12)       audit chain broken
    ├── RobotDisabled               DISABLED (13)        the robot is disabled or archived
    │   (no exception)              STOPPED (14)         a child run stopped early (SIGTERM/limit), resumable
    └── ItemError                   (per item, never reaches the CLI)
        ├── BusinessError           not retried; listed for staff
        ├── ItemSystemError         retried with backoff in a fresh context
        └── RobotDefect             the robot file is wrong for this page (ambiguous locator,
                                    blocked domain, bad template): stops the run, DEFINITION (3)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Named process exit codes, documented in the README."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    DEFINITION = 3
    DATA = 4
    CONFIG = 5
    SECRET = 6
    DEPENDENCY = 7
    STORE = 8
    LOCKED = 9
    ITEMS_FAILED = 10
    FILES_FAILED = 11
    INTEGRITY = 12
    DISABLED = 13
    STOPPED = 14  # a run stopped by SIGTERM, its time limit or a cancel: resumable
    INTERRUPTED = 130


class DxrpaError(Exception):
    """Root of every deliberate dxrpa error. ``str(err)`` is the one line shown to the user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UsageError(DxrpaError):
    exit_code = ExitCode.USAGE


class NotRegistered(UsageError):
    """A robot name that is not registered (the console answers 404 for it)."""


class RobotDisabled(DxrpaError):
    """A run of a robot an operator disabled or archived (nothing is entered)."""

    exit_code = ExitCode.DISABLED


class NotApproved(UsageError):
    """A production run (or schedule) of a robot none of whose versions an operator approved yet."""


class DefinitionError(DxrpaError):
    """A robot, OCR template or settings file is invalid at ``path:line:col``."""

    exit_code = ExitCode.DEFINITION

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.col = col
        super().__init__(message, hint=hint)

    @property
    def where(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {DxrpaError.__str__(self)}"


class DefinitionErrors(DefinitionError):
    """Several definition problems found at once; each is printed on its own line."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, path=first.path, line=first.line, col=first.col, hint=first.hint)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class DataError(DxrpaError):
    """Input data (Excel, CSV, scans) cannot be used; names the file and row."""

    exit_code = ExitCode.DATA


class ConfigError(DxrpaError):
    exit_code = ExitCode.CONFIG


class SecretError(DxrpaError):
    exit_code = ExitCode.SECRET


class DependencyMissing(DxrpaError):
    """Something that must be installed locally is not (browser, OCR model folder, server)."""

    exit_code = ExitCode.DEPENDENCY


class StoreError(DxrpaError):
    exit_code = ExitCode.STORE


class LockHeld(DxrpaError):
    exit_code = ExitCode.LOCKED


class RunFailed(DxrpaError):
    """A run finished but some items ended in a business or system error."""

    exit_code = ExitCode.ITEMS_FAILED


class SomeFilesFailed(DxrpaError):
    exit_code = ExitCode.FILES_FAILED


class IntegrityError(DxrpaError):
    exit_code = ExitCode.INTEGRITY


@dataclass(frozen=True)
class Evidence:
    """What a failed attempt left behind: the page's (redacted) URL, a masked screenshot and a
    scrubbed trace (paths under the run folder), and whether the submit step had started."""

    url: str | None = None
    screenshot: str | None = None
    trace: str | None = None
    submitted: bool = False


class ItemError(DxrpaError):
    """An item failed; carries the step that failed and the attempt's evidence, so staff can find it."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        step: str | None = None,
        hint: str | None = None,
        evidence: Evidence | None = None,
    ) -> None:
        self.step = step
        self.evidence = evidence
        super().__init__(message, hint=hint)


class BusinessError(ItemError):
    """The data or the target system said no (validation, duplicate). Never retried."""

    kind = "business_error"


class ItemSystemError(ItemError):
    """Technical failure (timeout, crash, HTTP 5xx). Retried in a fresh browser context."""

    kind = "system_error"


class RobotDefect(ItemError):
    """The robot itself is wrong (a locator matching two elements, a blocked domain, a template
    referring to a missing value). Retrying cannot help: the run stops and staff fix the file."""

    kind = "robot_defect"
    exit_code = ExitCode.DEFINITION
