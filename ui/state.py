"""Heavy shared objects (cached once per server process) and per-session state for the app."""
from __future__ import annotations

import streamlit as st

from assistant import offline  # noqa: F401


@st.cache_resource(show_spinner=False)
def case_library():
    """The case library, built on first run with a progress bar if absent. Returns (library, error)."""
    from retrieval import LibraryError
    from retrieval.library import DEFAULT_INDEX_DIR, CaseLibrary, is_current, open_or_build

    try:
        if is_current(DEFAULT_INDEX_DIR):
            return CaseLibrary.load(DEFAULT_INDEX_DIR), None
    except LibraryError:
        pass
    bar = st.progress(0.0, text="Building the case library from the bundled PTB-XL records (first run, or after the measurements changed)...")

    def progress(done: int, total: int, rec: str) -> None:
        bar.progress(done / total, text=f"Building the case library: {done}/{total} records ({rec})")

    try:
        lib = open_or_build(progress=progress)
        bar.empty()
        return lib, None
    except (LibraryError, OSError) as exc:
        bar.empty()
        return None, str(exc)


@st.cache_resource(show_spinner="Loading the local language model (4-bit, CPU)...")
def language_model():
    """The process-wide 4-bit LLM, or None with the reason if it cannot be loaded."""
    from assistant.llm import LLMUnavailableError, get_llm

    try:
        return get_llm(), None
    except LLMUnavailableError as exc:
        return None, str(exc)


def session_defaults() -> None:
    """Per-session keys: the current analysis, the chat, the last error, the last processed upload."""
    for key, value in (("analysis", None), ("messages", []), ("assistant", None), ("error", None),
                       ("upload_key", None), ("image", None), ("overlay", None)):
        st.session_state.setdefault(key, value)
