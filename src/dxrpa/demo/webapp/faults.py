"""Fault switch of the sample app: a seeded share of robot-facing requests fails or stalls.

Issue 3's tests use it to prove that robots classify HTTP 500s and timeouts and never enter an
item twice. ``/api/*`` and ``/static/*`` are never affected, so tests can always read the truth.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class Faults:
    """What share of robot-facing requests misbehave.

    * ``error_rate``: answer HTTP 500 before doing anything (nothing is stored).
    * ``stall_rate``: sleep ``stall_seconds`` first, then handle the request normally (a POST
      that stalls is still stored, as with a slow real system whose client gave up).
    * ``error_after_save_rate``: on the final 登録 POST only, store the application and then
      answer HTTP 500 (the "lost response" case a robot's ``verify:`` block must catch).
    * ``seed``: makes the sequence of draws reproducible (``None`` = random).
    """

    error_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 5.0
    seed: int | None = None
    error_after_save_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("error_rate", "stall_rate", "error_after_save_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1, got {value}")
        if self.error_rate + self.stall_rate > 1.0:
            raise ValueError("Faults.error_rate + Faults.stall_rate must not exceed 1")
        if self.stall_seconds < 0:
            raise ValueError(f"Faults.stall_seconds must be >= 0, got {self.stall_seconds}")

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the ``/api/faults`` endpoint."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Faults:
        """Build from the ``/api/faults`` body; unknown keys are an error."""
        known = {"error_rate", "stall_rate", "stall_seconds", "seed", "error_after_save_rate"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        seed = data.get("seed")
        return cls(
            error_rate=float(data.get("error_rate", 0.0)),
            stall_rate=float(data.get("stall_rate", 0.0)),
            stall_seconds=float(data.get("stall_seconds", 5.0)),
            seed=None if seed is None else int(seed),
            error_after_save_rate=float(data.get("error_after_save_rate", 0.0)),
        )


class Fault(Enum):
    """Outcome of one draw."""

    NONE = "none"
    ERROR = "error"
    STALL = "stall"


class FaultInjector:
    """Thread-safe, seeded draws against the current :class:`Faults`."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._rng = random.Random(self._faults.seed)

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults

    def set(self, faults: Faults) -> None:
        """Switch at run time; the random sequence restarts from the new seed."""
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def draw(self) -> tuple[Fault, float]:
        """One draw per robot-facing request: (what happens, stall seconds)."""
        with self._lock:
            f = self._faults
            if f.error_rate == 0.0 and f.stall_rate == 0.0:
                return Fault.NONE, 0.0
            r = self._rng.random()
            if r < f.error_rate:
                return Fault.ERROR, 0.0
            if r < f.error_rate + f.stall_rate:
                return Fault.STALL, f.stall_seconds
            return Fault.NONE, 0.0

    def lose_response_after_save(self) -> bool:
        """Draw for the final submit: store, then answer 500."""
        with self._lock:
            f = self._faults
            return f.error_after_save_rate > 0.0 and self._rng.random() < f.error_after_save_rate
