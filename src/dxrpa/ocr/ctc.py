"""The most probable reading a field's grammar accepts, from the recognizer's per-step probabilities.

A CTC recognizer gives, for every step of the line (8 input pixels), a probability for each label
and for "blank". Its usual reading takes the likeliest label at each step; when that breaks the
field's grammar (分和5年, a G among phone digits, an eleventh digit), the Viterbi path through the
field's automaton (:mod:`dxrpa.ocr.grammar`) is the reading the recognizer itself finds likeliest
among those that can be right. Each character keeps the probability the recognizer gave it, and the
whole reading is no surer than the recognizer found it against its own first choice (a digit it
dropped to make eleven digits ten, with full confidence in that digit, leaves the field in review).
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np

from dxrpa.ocr.engines.base import Lattice, Recognized
from dxrpa.ocr.grammar import SPACE, Automaton, symbol

FLOOR = 1e-12  # probability of a symbol the recognizer's labels do not have at all


@cache
def _states(
    automaton: Automaton, labels: tuple[str, ...]
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Symbols, the label → symbol sum matrix, the emitting states (source, target, symbol), and
    per node the symbols that may be read leaving it (spaces aside)."""
    symbols = tuple(sorted(automaton.alphabet))
    index = {s: i for i, s in enumerate(symbols)}
    merge = np.zeros((len(labels), len(symbols)), np.float32)
    for j, label in enumerate(labels):
        s = symbol(label, automaton.digits)
        if j > 0 and s in index:  # column 0 is blank
            merge[j, index[s]] = 1.0
    src, dst, sym = [], [], []
    for a, b, chars in automaton.edges:
        for c in sorted(chars):
            src.append(a)
            dst.append(b)
            sym.append(index[c])
    nodes = max(max(src, default=0), max(dst, default=0)) + 1
    rivals = tuple(
        np.array(sorted({k for a, k in zip(src, sym, strict=True) if a == n and symbols[k] != SPACE}), int)
        for n in range(nodes)
    )
    return symbols, merge, np.array(src), np.array(dst), np.array(sym), rivals


def decode(lattice: Lattice, automaton: Automaton) -> Recognized | None:
    """The best reading ``automaton`` accepts (None when no path fits the line's steps)."""
    symbols, merge, src, dst, sym, rivals = _states(automaton, lattice.labels)
    probs = np.asarray(lattice.probs, np.float32)
    steps, nodes = probs.shape[0], len(rivals)
    if steps == 0 or dst.size == 0 or not automaton.accept:
        return None
    per_symbol = np.maximum(probs @ merge, FLOOR)
    lp_sym = np.log(per_symbol)
    lp_blank = np.log(np.maximum(probs[:, 0], FLOOR))
    n_states, n_sym = src.size, len(symbols)
    neg = -np.inf
    rest = np.full(nodes, neg)  # at a node, the last step blank (or nothing read yet)
    rest[0] = 0.0
    emit = np.full(n_states, neg)  # reading state k's symbol, having moved to its target node
    back_rest = np.zeros((steps, nodes), np.int64)  # -1 stayed, else the emitting state it came from
    back_emit = np.zeros((steps, n_states), np.int64)  # -1 stayed, -2 from rest, else the state before
    ar_states, rows = np.arange(n_states), np.arange(nodes)
    for t in range(steps):
        # best emitting state arriving at each node, per symbol (a new symbol must differ from it)
        into = np.full((nodes, n_sym), neg)
        np.maximum.at(into, (dst, sym), emit)
        who = np.full((nodes, n_sym), -1)
        top = np.isfinite(emit) & (emit >= into[dst, sym])
        who[dst[top], sym[top]] = ar_states[top]
        best_sym = into.argmax(axis=1)
        best = into[rows, best_sym]
        second_into = into.copy()
        second_into[rows, best_sym] = neg
        second_sym = second_into.argmax(axis=1)
        second = second_into[rows, second_sym]
        # rest: stay blank, or a symbol just ended at this node
        arrive = best
        new_rest = np.maximum(rest, arrive) + lp_blank[t]
        back_rest[t] = np.where(rest >= arrive, -1, who[rows, best_sym])
        # emit: keep reading the same symbol, start it after a blank, or right after another symbol
        same = best_sym[src] == sym
        other = np.where(same, second[src], best[src])
        other_who = np.where(same, who[src, second_sym[src]], who[src, best_sym[src]])
        from_rest = rest[src]
        choice = np.stack([emit, from_rest, other])
        pick = choice.argmax(axis=0)
        new_emit = choice.max(axis=0) + lp_sym[t, sym]
        back_emit[t] = np.where(pick == 0, -1, np.where(pick == 1, -2, other_who))
        rest, emit = new_rest, new_emit
    accept = np.array(sorted(automaton.accept))
    end_rest = rest[accept].max()
    finals = np.isin(dst, accept)
    end_emit = emit[finals].max() if finals.any() else neg
    score = max(end_rest, end_emit)
    if not np.isfinite(score):
        return None
    # how much likelier the recognizer found its own first choice at every step
    cap = float(np.exp(min(score - np.log(np.maximum(lattice.best, FLOOR)).sum(), 0.0)))
    # walk back: which symbol was read at which step
    read: list[tuple[int, int, int]] = []  # (first step, symbol, node it left) per character, right to left
    if end_emit > end_rest:
        kind, at = "emit", int(np.flatnonzero(finals)[emit[finals].argmax()])
    else:
        kind, at = "rest", int(accept[rest[accept].argmax()])
    for t in range(steps - 1, -1, -1):
        if kind == "rest":
            came = int(back_rest[t, at])
            if came >= 0:
                kind, at = "emit", came
            continue
        came = int(back_emit[t, at])
        if came == -1:
            continue
        read.append((t, int(sym[at]), int(src[at])))
        if came == -2:
            kind, at = "rest", int(src[at])
        else:
            at = came
    read.reverse()
    text = "".join(symbols[s] for _, s, _ in read)
    chars = tuple(_within(per_symbol[t], s, rivals[node], symbols) for t, s, node in read)
    if not chars:
        return None
    centers = tuple((t + 0.5) * lattice.px for t, _, _ in read)
    return Recognized(text, float(np.mean(chars)), min(chars), centers, chars, lattice, cap)


def _within(step: np.ndarray, s: int, rivals: np.ndarray, symbols: tuple[str, ...]) -> float:
    """A character's probability: a digit's as the recognizer gave it; any other symbol's among the
    symbols the grammar allows in its place (``rivals``: 令 at 0.63 beside 今 at 0.36 is sure where
    only an era may stand, 今和 is no date). Digits keep their own: any digit may stand where one does."""
    if symbols[s].isdigit():
        return float(step[s])
    return float(step[s] / max(float(step[rivals].sum()), FLOOR))


def _steps(rec: Recognized, lattice: Lattice) -> list[int]:
    """The step each character of ``rec`` was read at (its centre back in lattice steps)."""
    return [round(c / lattice.px - 0.5) for c in rec.centers]


def insert(rec: Recognized, before: list[int], automaton: Automaton) -> Recognized:
    """``rec`` with, in front of each character index of ``before``, the likeliest word of
    ``automaton`` read from the steps between that character and the one before it: the digits of
    丁目 read as 「中央丁目」, where the recognizer gave the 5 a twentieth of its probability."""
    lattice = rec.lattice
    if lattice is None or len(rec.centers) != len(rec.text) or len(rec.chars) != len(rec.text):
        return rec
    steps = _steps(rec, lattice)
    text, chars, centers, cap = list(rec.text), list(rec.chars), list(rec.centers), rec.cap
    for i in sorted(before, reverse=True):
        a, b = (steps[i - 1] + 1 if i > 0 else 0), steps[i]
        if b - a < 1:
            continue
        part = lattice._replace(probs=lattice.probs[a:b], best=lattice.best[a:b])
        found = decode(part, automaton)
        if found is None:
            continue
        text[i:i] = list(found.text)
        chars[i:i] = list(found.chars)
        centers[i:i] = [c + a * lattice.px for c in found.centers]
        cap *= found.cap
    if len(text) == len(rec.text):
        return rec
    return rec._replace(
        text="".join(text), chars=tuple(chars), centers=tuple(centers), weakest=min(chars), cap=cap
    )


def dropped_digit(rec: Recognized) -> float:
    """The probability the recognizer gave a digit at a step where it read nothing: how likely a
    digit was dropped there (「13番」 read as 「3番」 left 0.19 for a 1 between 目 and 3). The digits
    of the characters either side are not counted: a digit's probability spills into the next step."""
    lattice = rec.lattice
    if lattice is None or not rec.centers or len(rec.centers) != len(rec.text):
        return 0.0
    blank = np.flatnonzero(lattice.probs[:, 0] >= lattice.best - 1e-6)
    if blank.size == 0:
        return 0.0
    mass = lattice.probs[blank] @ _digit_columns(lattice.labels)  # blank steps × the ten digits
    steps = np.array(_steps(rec, lattice))
    order = np.argsort(steps, kind="stable")
    after = np.searchsorted(steps[order], blank, side="right")  # first character after each step
    for k, side in ((after - 1, after > 0), (after, after < len(order))):
        near = [symbol(rec.text[order[j]], False) if ok else "" for j, ok in zip(k, side, strict=True)]
        for row, d in enumerate(near):
            if d.isdigit() and d.isascii():
                mass[row, int(d)] = 0.0
    return float(mass.sum(axis=1).max())


#: the least distance between two full-width characters' decoded places, in character widths
SQUEEZE = 0.6


def full_width(ch: str) -> bool:
    """Whether ``ch`` is a full-width character (kanji, kana, ５), about as wide as the line is high."""
    return unicodedata.east_asian_width(ch) in "WF"


def squeezed(text: str, centers: tuple[float, ...], em: float) -> bool:
    """Whether the decoded places cannot be where the ink is: two full-width characters decoded less
    than ``SQUEEZE`` of a character's width apart (the recognizer sometimes emits a line's last
    characters in a run of steps long before their ink: 「株式会社」 within a third of its width)."""
    wide = [full_width(ch) for ch in text]
    return any(
        wide[i] and wide[i + 1] and centers[i + 1] - centers[i] < SQUEEZE * em
        for i in range(min(len(text), len(centers)) - 1)
    )


def digit_left(lattice: Lattice, x0: float, x1: float) -> np.ndarray:
    """For each of the ten digits, the most probability the recognizer gave it at a step between
    crop x ``x0`` and ``x1`` where it read no digit (its blank or a mark won): a trace of a digit it
    dropped, or read as a mark (a small 1 read as 「/」)."""
    a, b = max(int(x0 // lattice.px) - 1, 0), int(x1 // lattice.px) + 2
    mass = lattice.probs[a:b] @ _digit_columns(lattice.labels)
    mass = mass[mass.max(axis=1) < lattice.best[a:b] - 1e-6]
    return np.asarray(mass.max(axis=0)) if len(mass) else np.zeros(10, np.float32)


@cache
def _digit_columns(labels: tuple[str, ...]) -> np.ndarray:
    """labels × 10: which label is which digit (５ and 5 alike; O or l are not digits here)."""
    out = np.zeros((len(labels), 10), np.float32)
    for j, label in enumerate(labels):
        s = symbol(label, False)
        if j > 0 and s.isascii() and s.isdigit():
            out[j, int(s)] = 1.0
    return out
