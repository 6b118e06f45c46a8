"""SQLite storage of the sample app: accepted applications and every submission attempt.

One connection guarded by a lock (the HTTP server is threaded). The file survives the app, so
``dxrpa demo --keep-serving`` and tests can inspect what robots entered.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_no TEXT UNIQUE,
    uketsuke_no TEXT NOT NULL,
    name TEXT NOT NULL,
    kana TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    kind TEXT NOT NULL,
    copies INTEGER NOT NULL,
    honseki INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    attachment_name TEXT NOT NULL DEFAULT '',
    attachment_size INTEGER NOT NULL DEFAULT 0,
    attachment BLOB,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_applications_uketsuke ON applications (uketsuke_no);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uketsuke_no TEXT NOT NULL,
    stage TEXT NOT NULL,
    outcome TEXT NOT NULL,
    receipt_no TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    user TEXT NOT NULL
);
"""

# Row keys of applications(), in page order; the same names as the form labels.
APPLICATION_KEYS = (
    "id",
    "受付番号",
    "氏名",
    "フリガナ",
    "生年月日",
    "郵便番号",
    "住所",
    "電話番号",
    "請求の種類",
    "必要部数",
    "本籍・筆頭者の記載",
    "使用目的",
    "添付書類",
    "添付書類サイズ",
    "交付番号",
    "登録日時",
    "登録者",
)

_SELECT = (
    "SELECT id, uketsuke_no, name, kana, birth_date, postal_code, address, phone, kind, copies, honseki,"
    " purpose, attachment_name, attachment_size, receipt_no, created_at, created_by FROM applications"
)


@dataclass(frozen=True)
class NewApplication:
    """Validated values of one entry (labels in comments)."""

    uketsuke_no: str  # 受付番号
    name: str  # 氏名
    kana: str  # フリガナ
    birth_date: str  # 生年月日 (YYYY-MM-DD)
    postal_code: str  # 郵便番号
    address: str  # 住所
    phone: str  # 電話番号
    kind: str  # 請求の種類
    copies: int  # 必要部数
    honseki: bool  # 本籍・筆頭者の記載
    purpose: str  # 使用目的
    attachment_name: str = ""  # 添付書類
    attachment: bytes = b""


def now_tokyo() -> datetime:
    return datetime.now(TOKYO).replace(microsecond=0)


def receipt_for(row_id: int, when: datetime) -> str:
    """交付番号 like ``R8-000123`` (令和 year + row id)."""
    return f"R{when.year - 2018}-{row_id:06d}"


def _row_to_dict(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    d = dict(zip(APPLICATION_KEYS, tuple(row), strict=True))
    d["本籍・筆頭者の記載"] = bool(d["本籍・筆頭者の記載"])
    return d


class Storage:
    """The app's database. Every method is atomic under one lock."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn_or_none: sqlite3.Connection | None = self._open()

    def _open(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """The connection; reopened after :meth:`close` so a stopped app's data stays readable."""
        if self._conn_or_none is None:
            self._conn_or_none = self._open()
        return self._conn_or_none

    def close(self) -> None:
        """Close a file database (an in-memory one stays open: closing would lose its rows)."""
        with self._lock:
            if self.path is not None and self._conn_or_none is not None:
                self._conn_or_none.close()
                self._conn_or_none = None

    def exists(self, uketsuke_no: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "SELECT 1 FROM applications WHERE uketsuke_no = ? LIMIT 1", (uketsuke_no,)
            )
            return cur.fetchone() is not None

    def record_attempt(
        self, uketsuke_no: str, stage: str, outcome: str, user: str, receipt_no: str = ""
    ) -> None:
        with self._lock:
            self._record_attempt(uketsuke_no, stage, outcome, user, receipt_no)

    def _record_attempt(self, uketsuke_no: str, stage: str, outcome: str, user: str, receipt_no: str) -> None:
        self._conn.execute(
            "INSERT INTO attempts (uketsuke_no, stage, outcome, receipt_no, at, user)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (uketsuke_no, stage, outcome, receipt_no, now_tokyo().isoformat(), user),
        )

    def insert(self, app: NewApplication, user: str, *, allow_duplicates: bool) -> str | None:
        """Store one application and return its 交付番号, or ``None`` if the 受付番号 exists.

        The check and the insert happen in one transaction under the lock, so two browsers
        submitting the same 受付番号 at once still store it once (unless duplicates are allowed).
        Either way the attempt is recorded.
        """
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if not allow_duplicates:
                    cur = self._conn.execute(
                        "SELECT 1 FROM applications WHERE uketsuke_no = ? LIMIT 1", (app.uketsuke_no,)
                    )
                    if cur.fetchone() is not None:
                        self._record_attempt(app.uketsuke_no, "submit", "duplicate", user, "")
                        self._conn.execute("COMMIT")
                        return None
                when = now_tokyo()
                cur = self._conn.execute(
                    "INSERT INTO applications (uketsuke_no, name, kana, birth_date, postal_code, address,"
                    " phone, kind, copies, honseki, purpose, attachment_name, attachment_size, attachment,"
                    " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        app.uketsuke_no,
                        app.name,
                        app.kana,
                        app.birth_date,
                        app.postal_code,
                        app.address,
                        app.phone,
                        app.kind,
                        app.copies,
                        int(app.honseki),
                        app.purpose,
                        app.attachment_name,
                        len(app.attachment),
                        app.attachment or None,
                        when.isoformat(),
                        user,
                    ),
                )
                row_id = cur.lastrowid
                assert row_id is not None
                receipt = receipt_for(row_id, when)
                self._conn.execute("UPDATE applications SET receipt_no = ? WHERE id = ?", (receipt, row_id))
                self._record_attempt(app.uketsuke_no, "submit", "accepted", user, receipt)
                self._conn.execute("COMMIT")
                return receipt
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def applications(self, query: str = "") -> list[dict[str, Any]]:
        """Every stored row (duplicates included), oldest first; ``query`` matches 受付番号 or 氏名."""
        q = query.strip()
        with self._lock:
            if q:
                like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                rows = self._conn.execute(
                    _SELECT + " WHERE uketsuke_no = ? OR receipt_no = ? OR name LIKE ? ESCAPE '\\'"
                    " OR kana LIKE ? ESCAPE '\\' ORDER BY id",
                    (q, q, like, like),
                ).fetchall()
            else:
                rows = self._conn.execute(_SELECT + " ORDER BY id").fetchall()
        return [_row_to_dict(r) for r in rows]

    def get(self, receipt_no: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(_SELECT + " WHERE receipt_no = ?", (receipt_no,)).fetchone()
        return None if row is None else _row_to_dict(row)

    def attempts(self) -> list[dict[str, Any]]:
        """Every submission attempt, oldest first.

        Keys: 受付番号, 段階 (step1/submit), 結果 (accepted/duplicate), 交付番号, 日時, 利用者.
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, uketsuke_no, stage, outcome, receipt_no, at, user FROM attempts ORDER BY id"
            ).fetchall()
        keys = ("id", "受付番号", "段階", "結果", "交付番号", "日時", "利用者")
        return [dict(zip(keys, r, strict=True)) for r in rows]


def read_applications(db_path: Path) -> list[dict[str, Any]]:
    """Read the stored applications straight from a sample-app database file (read-only)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(_SELECT + " ORDER BY id").fetchall()
    finally:
        conn.close()
    return [_row_to_dict(r) for r in rows]
