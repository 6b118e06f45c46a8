"""What a formatted field may say, as automata over characters, for decoding under a field's grammar.

A date is an era, a year, 年, a month 1–12, 月, a day 1–31 and 日 (or 西暦 with / . -); a phone number
is 10 or 11 digits starting with 0; a postal code 7 digits; a My Number 12; an e-mail address one @
between the characters addresses use. :mod:`dxrpa.ocr.ctc` finds the most probable reading the
automaton accepts, from the recognizer's own per-step probabilities, when the unconstrained reading
breaks the grammar: 分和 becomes whichever era the recognizer found likeliest there, not a guess
from a list of look-alikes.

Automata work on *symbols*: every recognizer label that normalization turns into the same value
(５, O and 0 in a digit place; the dashes) is one symbol, see :func:`symbol`.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from dxrpa.ocr.normalize import DASHES, DIGIT_FIXES, ERA_KANJI, ERA_LETTERS, ERAS

DIGITS = "0123456789"
SPACE = " "
DASH = "-"
_LOCAL = frozenset(string.ascii_letters + DIGITS + "._%+-")
_DOMAIN = frozenset(string.ascii_letters + DIGITS + ".-")


def symbol(label: str, digits: bool) -> str:
    """The symbol a recognizer label stands for; ``digits``: in a place where only digits belong,
    the letters normalization reads as digits (O, l, |) are those digits."""
    s = unicodedata.normalize("NFKC", label)
    if len(s) != 1:
        return label
    if digits:
        s = s.translate(DIGIT_FIXES)
    return DASH if s.translate(DASHES) == DASH else s


@dataclass(frozen=True)
class Automaton:
    """A nondeterministic automaton: node 0 starts, edges consume one symbol of a set."""

    edges: tuple[tuple[int, int, frozenset[str]], ...]
    accept: frozenset[int]
    digits: bool  # letters read as digits count as those digits (see :func:`symbol`)

    @property
    def alphabet(self) -> frozenset[str]:
        return frozenset(c for _, _, chars in self.edges for c in chars)

    def accepts(self, text: str) -> bool:
        """Whether ``text``, read symbol by symbol, is a word of the automaton."""
        now = {0}
        for ch in text:
            s = symbol(ch, self.digits)
            now = {b for a, b, chars in self.edges if a in now and s in chars}
            if not now:
                return False
        return bool(now & self.accept)


Frontier = frozenset[int]
Part = Callable[["_Builder", Frontier], Frontier]


class _Builder:
    def __init__(self) -> None:
        self.count = 1
        self.edges: list[tuple[int, int, frozenset[str]]] = []

    def step(self, start: Frontier, chars: Iterable[str]) -> Frontier:
        node, self.count = self.count, self.count + 1
        allowed = frozenset(chars)
        self.edges.extend((a, node, allowed) for a in start)
        return frozenset({node})

    def loop(self, nodes: Frontier, chars: Iterable[str]) -> None:
        allowed = frozenset(chars)
        self.edges.extend((a, a, allowed) for a in nodes)


def chars(allowed: str) -> Part:
    return lambda b, start: b.step(start, allowed)


def seq(*parts: Part) -> Part:
    def build(b: _Builder, start: Frontier) -> Frontier:
        for part in parts:
            start = part(b, start)
        return start

    return build


def alt(*parts: Part) -> Part:
    return lambda b, start: frozenset().union(*(part(b, start) for part in parts))


def repeat(part: Part, least: int, most: int) -> Part:
    def build(b: _Builder, start: Frontier) -> Frontier:
        ends: set[int] = set(start) if least == 0 else set()
        for k in range(most):
            start = part(b, start)
            if k + 1 >= least:
                ends |= start
        return frozenset(ends)

    return build


def _automaton(part: Part, digits: bool, spaces: bool = True) -> Automaton:
    b = _Builder()
    accept = part(b, frozenset({0}))
    if spaces:  # a space read anywhere carries no value (normalization drops it)
        b.loop(frozenset(range(b.count)), SPACE)
    return Automaton(tuple(b.edges), frozenset(accept), digits)


DIGIT = chars(DIGITS)
_MONTH = alt(seq(chars("0"), chars("123456789")), chars("123456789"), seq(chars("1"), chars("012")))
_DAY = alt(
    seq(chars("0"), chars("123456789")),
    chars("123456789"),
    seq(chars("12"), DIGIT),
    seq(chars("3"), chars("01")),
)
_SEP = chars(".-/")
_MONTH_DAY = alt(
    seq(chars("年"), _MONTH, chars("月"), _DAY, repeat(chars("日"), 0, 1)), seq(_SEP, _MONTH, _SEP, _DAY)
)


def _date() -> Part:
    short = "".join(ERA_LETTERS) + "".join(ERA_KANJI)
    era = alt(*(seq(chars(e[0]), chars(e[1])) for e in ERAS), chars(short))
    wareki = seq(era, repeat(chars("."), 0, 1), alt(chars("元"), repeat(DIGIT, 1, 2)), _MONTH_DAY)
    year = seq(chars("12"), repeat(DIGIT, 3, 3))
    seireki = seq(year, _MONTH_DAY)
    return alt(wareki, seireki)


def _digits_with(count: tuple[int, ...], separators: str, first: str = DIGITS, prefix: str = "") -> Part:
    """``count`` digits (one of), the first from ``first``, separators allowed between them."""

    def build(b: _Builder, start: Frontier) -> Frontier:
        if prefix:
            start = start | b.step(start, prefix)
        start = b.step(start, first)
        ends: set[int] = set()
        for k in range(1, max(count)):
            b.loop(start, separators)
            start = b.step(start, DIGITS)
            if k + 1 in count:
                ends |= start
        return frozenset(ends)

    return build


#: the number in front of a 丁目, 番 or 号 (what an address's dropped block number may be)
BLOCK_NUMBER = _automaton(repeat(DIGIT, 1, 4), digits=True, spaces=False)


@cache
def for_field(field_type: str, digits: int | None = None) -> Automaton | None:
    """The automaton of a field type's values as written on paper (None: free text, no grammar)."""
    if field_type == "date":
        return _automaton(_date(), digits=False)
    if field_type == "phone":
        return _automaton(_digits_with((10, 11), DASH + ".・()", first="0", prefix="("), digits=True)
    if field_type == "postal_code":
        return _automaton(_digits_with((7,), DASH + ".・", prefix="〒"), digits=True)
    if field_type == "my_number":
        return _automaton(_digits_with((12,), DASH + ".・"), digits=True)
    if field_type == "number":
        return _automaton(repeat(DIGIT, digits or 1, digits or 24), digits=True)
    if field_type == "email":
        return _automaton(_email, digits=False)
    return None


def _email(b: _Builder, start: Frontier) -> Frontier:
    local = b.step(start, _LOCAL - {"."})
    b.loop(local, _LOCAL)
    domain = b.step(b.step(local, "@"), _DOMAIN - {".", "-"})
    b.loop(domain, _DOMAIN)
    return domain
