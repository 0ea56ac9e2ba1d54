"""The clinical knowledge base: short entries in the project's own words, each with its source.

Stored in ``data/knowledge.json`` as a list of ``{id, title, keywords, text, source}``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

KNOWLEDGE_FILE = Path(__file__).resolve().parents[1] / "data" / "knowledge.json"


@dataclass(frozen=True)
class Snippet:
    id: str
    title: str
    keywords: tuple[str, ...]
    text: str
    source: str

    @property
    def tag(self) -> str:
        """Citation tag shown in answers, e.g. ``[knowledge: Long QTc]``."""
        return f"[knowledge: {self.title}]"


@lru_cache(maxsize=1)
def load_knowledge(path: str | None = None) -> tuple[Snippet, ...]:
    """All knowledge entries. Raises FileNotFoundError / ValueError if the file is missing or malformed."""
    entries = json.loads(Path(path or KNOWLEDGE_FILE).read_text())
    out = []
    for e in entries:
        missing = {"id", "title", "keywords", "text", "source"} - set(e)
        if missing:
            raise ValueError(f"Knowledge entry {e.get('id', '?')} lacks {sorted(missing)}.")
        out.append(Snippet(e["id"], e["title"], tuple(k.lower() for k in e["keywords"]), e["text"], e["source"]))
    return tuple(out)


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def find_snippets(question: str, k: int = 2, prefer: tuple[str, ...] = ()) -> list[Snippet]:
    """Up to ``k`` entries whose keywords occur in ``question`` (whole words), best first.

    Entries whose id is in ``prefer`` (chosen by the router) come first.
    """
    q = _words(question)
    scored = []
    for s in load_knowledge():
        score = sum(len(kw.split()) for kw in s.keywords if _words(kw) in q)
        if s.id in prefer:
            score += 10 - prefer.index(s.id)
        if score:
            scored.append((score, s))
    scored.sort(key=lambda t: -t[0])
    return [s for _, s in scored[:k]]


def get_snippet(snippet_id: str) -> Snippet:
    """The entry with this id. Raises KeyError naming the known ids."""
    for s in load_knowledge():
        if s.id == snippet_id:
            return s
    raise KeyError(f"No knowledge entry {snippet_id!r}; known: {', '.join(s.id for s in load_knowledge())}.")
