"""Routing a question to what it asks about (an intent), by keywords.

The intent decides which measured values an answer must state, which knowledge entries it draws
on and which deterministic reply it falls back to.
"""
from __future__ import annotations

import re

# (intent, patterns) in priority order: the first intent with a matching pattern wins.
INTENTS: list[tuple[str, tuple[str, ...]]] = [
    ("similar_cases", (r"\bsimilar\b", r"\bcases?\b", r"\blike this\b", r"\bcompar", r"\bhistorical\b")),
    ("explain_qt", (r"\bwhat (does|do|is|are)\b.*\b(long|prolonged|short)\b.*\bqt", r"\bmean\b.*\bqt",
                    r"\bqtc?\b.*\bmean\b", r"\bcauses?\b.*\bqt", r"\btorsade")),
    ("extra_beats", (r"\bextra\b", r"\bpremature\b", r"\bectopi", r"\bpvcs?\b", r"\bpacs?\b", r"\bextrasystol",
                     r"\bskipped\b")),
    ("qt", (r"\bqtc?\b", r"\bqt interval\b", r"\bcorrected\b")),
    ("axis", (r"\baxis\b", r"\bdeviation\b")),
    ("pr", (r"\bpr\b", r"\bav block\b", r"\bheart block\b", r"\bfirst[- ]degree\b", r"\bav conduction\b")),
    ("p_wave", (r"\bp[ -]?waves?\b", r"\bp duration\b", r"\bp[ -]?axis\b", r"\batrial (enlargement|abnormality)\b",
                r"\bp (mitrale|pulmonale)\b")),
    ("qrs", (r"\bqrs\b", r"\bbundle\b", r"\bbbb\b", r"\blbbb\b", r"\brbbb\b", r"\bwide\b")),
    ("rhythm", (r"\brhythm\b", r"\bsinus\b", r"\bfibrillation\b", r"\bafib\b", r"\bflutter\b", r"\bregular\b",
                r"\birregular\b")),
    ("heart_rate", (r"\bheart rate\b", r"\brate\b", r"\bbpm\b", r"\bpulse\b", r"\bhow fast\b", r"\bbrady", r"\btachy")),
    ("lvh", (r"\bhypertroph", r"\blvh\b", r"\bvoltage\b", r"\bsokolow\b", r"\bcornell\b")),
    ("st", (r"\bst\b", r"\bj[ -]?points?\b", r"\bischemi", r"\binfarct", r"\bstemi\b", r"\bmi\b", r"\bq[ -]?waves?\b", r"\bt[ -]?waves?\b")),
    ("intervals", (r"\bintervals?\b", r"\bmeasure", r"\bnumbers\b", r"\bdurations?\b")),
    ("teach", (r"\bhow (do|should|can) i read\b", r"\bteach\b", r"\bsystematic", r"\bsteps?\b", r"\blearn")),
    ("technical", (r"\brevers", r"\bswap", r"\bmisplac", r"\belectrodes?\b", r"\bplacement\b", r"\bnois",
                   r"\bartefact", r"\bartifact", r"\bsignal quality\b", r"\binterference\b", r"\bleads? (placed|connected)\b")),
    ("confidence", (r"\bhow (sure|certain|confident|reliable|accurate|precise|exact)\b", r"\bconfiden",
                    r"\bcertain", r"\btrust\b", r"\breliab", r"\bunsure\b", r"\baccura", r"\bmargin of error\b")),
    ("summary", (r"\bsummar", r"\binterpret", r"\bfindings?\b", r"\bdiagnos", r"\bnormal\b", r"\bwhat do you see\b",
                 r"\boverall\b", r"\bwrong\b", r"\babnormal")),
]

KNOWLEDGE_FOR_INTENT = {
    "heart_rate": ("heart-rate",), "rhythm": ("sinus-rhythm", "atrial-fibrillation"),
    "extra_beats": ("extra-beats",), "pr": ("pr-interval",), "p_wave": ("p-wave",), "qrs": ("qrs-duration",),
    "qt": ("qt-interval", "long-qtc"), "explain_qt": ("long-qtc", "qt-interval"), "axis": ("axis",),
    "lvh": ("lvh",), "st": ("st-changes", "normal-variant-ste"), "teach": ("reading-order",), "intervals": (),
    "summary": (), "similar_cases": (), "general": (), "confidence": (), "technical": (),
}


def route(question: str) -> list[str]:
    """Intents asked about in ``question``, in the order the question names them (``["general"]`` if none matched).

    A question can ask about several things ("What is the heart rate and is the QTc prolonged?").
    """
    q = question.lower()
    first = {}
    for name, pats in INTENTS:
        pos = [m.start() for p in pats if (m := re.search(p, q))]
        if pos:
            first[name] = min(pos)
    hits = sorted(first, key=lambda n: first[n])  # in the order the question asks
    if "explain_qt" in hits and "qt" in hits:
        hits.remove("qt")
    if "axis" in hits and "p_wave" in hits and not re.search(r"(?<!\bp )(?<!\bp-)\baxis\b", q):
        hits.remove("axis")  # "the P axis" asks about the P wave, not the QRS axis
    if "intervals" in hits and len(hits) > 1:  # "the PR interval" asks about PR, not every interval
        hits.remove("intervals")
    if "confidence" in hits:  # "how sure are you about the QT?": the value first, then what it rests on
        hits.remove("confidence")
        hits.append("confidence")
    return hits or ["general"]
