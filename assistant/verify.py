"""Checking an answer against its context: every number and every citation must come from it.

A number in the answer is accepted when the same value (to the shown precision) appears in the
context text the model was given, or in the user's question, with the same unit when the answer
gives one ("40 bpm" needs a 40 in bpm in the context, not the T axis of 40 degrees). Numbers that are part of a name
(lead ``V1``, ``CHA2DS2``) are not values and are skipped. Signs are ignored when matching
(axis ``-30`` and range ``30`` are the same digits); the deterministic parts of an answer carry
their signs from the measurements.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# A value: digits not glued to a letter before (V1, aVF2) or after (2nd, 3D, CHA2DS2).
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:[.,]\d+)?)(?![A-Za-z]*\d)")
_TAG = re.compile(r"\[([^\[\]]+)\]")


def numbers_in(text: str) -> list[float]:
    """All numeric values written in ``text`` (a decimal comma is read as a point)."""
    out = []
    for m in _NUMBER.finditer(text):
        start, end = m.span(1)
        if start > 0 and text[start - 1].isalpha():
            continue
        tail = text[end:end + 2]
        if tail[:1].isalpha() and tail[:1].lower() not in ("m", "s", "b", "h", "°", "k", "d", "y") and not tail.startswith("mV"):
            # glued to a word like "3rd"/"2nd": ordinal, not a value
            if tail[:2].lower() in ("st", "nd", "rd", "th"):
                continue
        out.append(float(m.group(1).replace(",", ".")))
    return out


_UNIT = re.compile(
    r"\s*(?:°|degrees?\b|deg\b|bpm\b|beats? (?:per|a|/) ?min(?:ute)?\b|ms\b|milliseconds?\b|mv\b|millivolts?\b|s\b|seconds?\b|%)",
    re.I)
_RANGE_JOIN = re.compile(r"\s*(?:to|-|–|and)\s*[-+]?\d+(?:[.,]\d+)?", re.I)
_UNIT_NAMES = {"°": "deg", "degree": "deg", "degrees": "deg", "deg": "deg", "bpm": "bpm", "ms": "ms",
               "millisecond": "ms", "milliseconds": "ms", "mv": "mV", "millivolt": "mV", "millivolts": "mV",
               "s": "s", "second": "s", "seconds": "s", "%": "%"}


def _unit_name(raw: str) -> str:
    raw = raw.strip().lower()
    if raw.startswith("beat"):
        return "bpm"
    return _UNIT_NAMES.get(raw, raw)


def quantities_in(text: str) -> list[tuple[float, str | None]]:
    """``(value, unit)`` pairs in ``text``; unit is ``bpm``, ``ms``, ``deg``, ``mV``, ``s``, ``%`` or None.

    In a range ("60 to 100 bpm", "120-200 ms") the unit after the second value applies to both.
    """
    out = []
    for m in _NUMBER.finditer(text):
        v = float(m.group(1).replace(",", "."))
        rest = text[m.end():]
        rng = _RANGE_JOIN.match(rest)
        if rng:
            rest = rest[rng.end():]
        u = _UNIT.match(rest)
        out.append((v, _unit_name(u.group(0)) if u else None))
    return out


def _key(v: float) -> float:
    return round(abs(v), 2)


@dataclass
class Verdict:
    """Result of checking an answer: ``ok``, the ``unsupported`` numbers, ``bad_citations`` and
    ``missing`` required values."""

    ok: bool
    unsupported: list[float] = field(default_factory=list)
    bad_citations: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        parts = []
        if self.unsupported:
            parts.append("numbers not in the context: " + ", ".join(f"{v:g}" for v in self.unsupported))
        if self.bad_citations:
            parts.append("citations not in the context: " + ", ".join(self.bad_citations))
        if self.missing:
            parts.append("leaves out the measured " + ", ".join(self.missing))
        return "; ".join(parts) or "ok"


def allowed_numbers(*texts: str) -> set[float]:
    """The set of values (rounded, unsigned) written anywhere in ``texts``; integers also allow
    their rounded forms of decimals (451.6 in the context allows 452 in an answer)."""
    allowed: set[float] = set()
    for t in texts:
        for v in numbers_in(t):
            allowed.add(_key(v))
            allowed.add(_key(round(v)))
            allowed.add(_key(round(v, 1)))
    return allowed


def verify(answer: str, context_text: str, question: str = "", valid_tags: set[str] | None = None,
           required: dict[str, float] | None = None) -> Verdict:
    """Check ``answer`` against the context.

    Args:
        answer: the text to check.
        context_text: everything the model was shown (system prompt and rendered context).
        question: the user's question (its numbers are allowed too).
        valid_tags: citation tags that exist (``"[HR 72 bpm]"``...); any other bracketed tag fails.
        required: ``{name: value}`` that the answer must state (the measured values the question asked for).
    """
    allowed = allowed_numbers(context_text, question)
    with_units = {(k, u) for t in (context_text, question) for v, u in quantities_in(t)
                  for k in {_key(v), _key(round(v)), _key(round(v, 1))}}
    unsupported = []
    for v, u in quantities_in(_TAG.sub(" ", answer)):
        ok = (_key(v), u) in with_units if u else _key(v) in allowed
        if not ok:
            unsupported.append(v)
    bad = []
    if valid_tags is not None:
        bad = [f"[{t}]" for t in _TAG.findall(answer) if f"[{t}]" not in valid_tags]
    said = {_key(v) for v in numbers_in(answer)}
    missing = [name for name, v in (required or {}).items() if _key(round(v)) not in said and _key(v) not in said]
    return Verdict(ok=not unsupported and not bad and not missing, unsupported=unsupported,
                   bad_citations=bad, missing=missing)


_STOP = set("""a an the and or but of to in on at by for with from as is are was were be been being this that these
those it its it's your you we our they their there here which what who when where how than then so such can may might
will would should could do does did has have had not no nor into about over under more most less very also just only
each every any all some one two both other its i me my he she his her them""".split())
_WORD = re.compile(r"[a-z][a-z'-]+")


def _stem(w: str) -> str:
    return w[:5]


def support(sentence: str, context_text: str) -> float:
    """Share (0..1) of the sentence's content words (stemmed to 5 letters) that occur in the context.

    A sentence about things the context never mentions ("surgery", "the QS ratio") has low support:
    the model made it up.
    """
    ctx = {_stem(w) for w in _WORD.findall(context_text.lower())}
    words = [w for w in _WORD.findall(_TAG.sub(" ", sentence).lower()) if w not in _STOP and len(w) > 2]
    if not words:
        return 1.0
    return sum(_stem(w) in ctx for w in words) / len(words)


#: Words whose negation decides the meaning of a clinical statement.
POLARITY_TERMS = ("prolonged", "long", "longer", "short", "normal", "abnormal", "wide", "deviation", "block",
                  "fibrillation", "bradycardia", "tachycardia", "elevated", "depression", "hypertrophy")
_NEGATION = re.compile(r"\b(not|no|isn't|is not|without|never|absent)\b(?:\W+\w+){0,3}\W+$", re.I)


def _polarities(text: str) -> dict[str, set[bool]]:
    out: dict[str, set[bool]] = {}
    low = _TAG.sub(" ", text).lower()
    for term in POLARITY_TERMS:
        for m in re.finditer(rf"\b{term}\b", low):
            neg = bool(_NEGATION.search(low[max(0, m.start() - 40):m.start()]))
            out.setdefault(term, set()).add(neg)
    return out


def contradictions(sentence: str, grounded: str) -> list[str]:
    """Terms the sentence uses with the opposite negation of the grounded reply
    ("the QTc is prolonged" against "that is not prolonged"), or that the grounded reply never
    asserts while the sentence states them as facts about this ECG."""
    said, truth = _polarities(sentence), _polarities(grounded)
    bad = []
    for term, pols in said.items():
        if term in truth and not (pols & truth[term]):
            bad.append(term)
        elif term not in truth and False in pols and term not in ("normal", "long", "short"):
            bad.append(term)
    return bad


def check_explanation(text: str, context_text: str, grounded: str, min_support: float = 0.8) -> list[str]:
    """Problems with the LLM's explanatory sentences: low support from the context, or a
    contradiction of the grounded reply. Empty list: the explanation may be shown."""
    problems = []
    for s in re.split(r"(?<=[.!?])\s+", text.strip()):
        if not s:
            continue
        sup = support(s, context_text)
        if sup < min_support:
            problems.append(f"unsupported sentence ({sup:.0%} of its words in the context): {s!r}")
        bad = contradictions(s, grounded)
        if bad:
            problems.append(f"contradicts the measurements on {', '.join(bad)}: {s!r}")
    return problems
