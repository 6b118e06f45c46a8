"""Database failures mapped to :class:`~dxrpa.errors.StoreError` at the store adapter.

A full disk, a read-only or corrupt SQLite file, or a PostgreSQL server that went away each become
one Japanese line (English with ``--lang en``) naming the database and what to do: never SQL text,
parameters or a traceback. Constraint violations and programming errors are bugs and pass
through unchanged. :func:`is_connection_loss` tells which failures are worth a retry.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, ProgrammingError

from dxrpa.errors import StoreError
from dxrpa.i18n import tr

_READ_ONLY = ("readonly", "read-only", "read only")
_FULL = ("disk is full", "no space", "disk full", "disk i/o", "quota")
_LOCKED = ("database is locked", "database table is locked")
_CORRUPT = ("not a database", "malformed", "file is encrypted", "corrupt")
_CONNECTION = (
    "connection",
    "could not connect",
    "server closed",
    "terminating",
    "no route",
    "timeout expired",
    "the database system is",
)


def is_store_failure(exc: BaseException) -> bool:
    """A database error that is about the database, not about our SQL or data."""
    return isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError | ProgrammingError)


def is_connection_loss(exc: BaseException, dialect: str) -> bool:
    """A server connection that broke or could not be made (PostgreSQL): worth a retry."""
    if dialect == "sqlite" or not isinstance(exc, OperationalError | InterfaceError):
        return False
    return bool(exc.connection_invalidated) or any(w in _reason(exc) for w in _CONNECTION)


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).lower()


def to_store_error(exc: DBAPIError, where: str) -> StoreError:
    """One line for ``exc`` on the database ``where`` (a URL without password; "" if unknown)."""
    reason = _reason(exc)
    where = where or tr("(設定のデータベース)", "(configured database)")
    if any(w in reason for w in _READ_ONLY):
        return StoreError(
            tr(
                f"データベース {where} は読み取り専用のため書き込めません",
                f"database {where} is read-only: cannot write",
            ),
            hint=tr(
                "ファイルとフォルダの書き込み権限・マウントを確認してください",
                "check the write permission of the file, its folder and the mount",
            ),
        )
    if any(w in reason for w in _FULL):
        return StoreError(
            tr(
                f"データベース {where} に書き込めません(ディスクの空き容量不足または入出力エラー)",
                f"cannot write database {where}: the disk is full or failing",
            ),
            hint=tr(
                "空き容量を確保してから再実行してください(未完了の実行は次回の実行で閉じられます)",
                "free some space and run again (unfinished runs are closed by the next run)",
            ),
        )
    if any(w in reason for w in _LOCKED):
        return StoreError(
            tr(
                f"データベース {where} が別のプロセスにロックされたままです",
                f"database {where} stayed locked by another process",
            ),
            hint=tr(
                "ロックしているプロセス(バックアップ・手作業の SQL など)を終えてから再実行してください",
                "end the process holding it (a backup, a manual SQL session) and run again",
            ),
        )
    if any(w in reason for w in _CORRUPT):
        return StoreError(
            tr(f"データベース {where} のファイルが壊れています", f"database file {where} is corrupt"),
            hint=tr("バックアップから復元してください", "restore it from a backup"),
        )
    if isinstance(exc, OperationalError | InterfaceError) and any(w in reason for w in _CONNECTION):
        return StoreError(
            tr(f"データベース {where} に接続できません", f"cannot connect to the database {where}"),
            hint=tr(
                "データベースサーバーが起動しているか、接続先の設定を確認してください",
                "check that the database server is running and the URL is right",
            ),
        )
    return StoreError(
        tr(
            f"データベース {where} でエラーが発生しました({type(exc.orig).__name__})",
            f"database {where} failed ({type(exc.orig).__name__})",
        ),
        hint=tr(
            "ファイルの場所・権限・空き容量、サーバーの状態を確認してください",
            "check the file's location, permissions and free space, or the server",
        ),
    )


__all__ = ["is_connection_loss", "is_store_failure", "to_store_error"]
