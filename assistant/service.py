"""One ECG's analysis, shared by the CLI and the Streamlit app: measure, interpret, retrieve
similar cases, and answer questions about it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from ecg import ECG
from ecg.measure import measure
from retrieval import CaseLibrary, LibraryError, open_or_build

N_CASES = 5


@dataclass
class Analysis:
    """An ECG with everything measured and retrieved for it.

    Attributes:
        ecg: the record.
        measurements: the ``Measurements`` object (``.to_dict()`` for JSON).
        cases: similar-case dicts, most similar first (empty if the library is unavailable).
        library_error: why no cases were retrieved, if so.
    """

    ecg: ECG
    measurements: object
    cases: list[dict] = field(default_factory=list)
    library_error: str | None = None

    @cached_property
    def measurement_dict(self) -> dict:
        """``measurements.to_dict()``, computed once (the page and the chat read it on every rerun)."""
        return self.measurements.to_dict()

    @property
    def findings(self) -> list[dict]:
        return self.measurement_dict.get("findings") or []

    @property
    def sex(self) -> str | None:
        return self.ecg.meta.get("sex")

    @cached_property
    def lead_quality(self) -> dict:
        """Per-lead quality (signal quality, and for an image the digitizer's trace quality; the worse counts)."""
        from .hedging import merge_lead_quality

        dig = self.ecg.meta.get("digitization") if self.source == "image" else None
        return merge_lead_quality(self.measurement_dict, dig)

    @property
    def printed(self) -> dict:
        """Machine measurements printed on a digitized page (evidence read by OCR; empty for signals)."""
        if self.source != "image":
            return {}
        return dict((self.ecg.meta.get("digitization") or {}).get("header_measurements") or {})

    @property
    def page_flags(self) -> list[str]:
        """A digitized page's flags (``time_scale_mismatch``, ``grid_in_ink``, ``layout_uncertain``; empty for signals)."""
        if self.source != "image":
            return []
        return list((self.ecg.meta.get("digitization") or {}).get("page_flags") or [])

    @property
    def source(self) -> str:
        return "image" if self.ecg.meta.get("source") == "image" else "signal"


#: Cosine similarity from which a library case with the record's own id is the record itself.
SELF_SIMILARITY = 0.999


def analyze(ecg: ECG, library: CaseLibrary | None = None, k: int = N_CASES,
            exclude_self: bool = True) -> Analysis:
    """Measure ``ecg`` and find its ``k`` most similar cases in ``library``.

    Args:
        ecg: the record.
        library: an open case library; None to skip retrieval.
        k: number of similar cases.
        exclude_self: leave the record itself out of its cases: a case with the record's id and a
            similarity of at least :data:`SELF_SIMILARITY` (a demo record, or an upload of a file
            that is in the library, would otherwise be its own first case at similarity 1.00). A
            different ECG that happens to share a library record's file name is kept.

    Raises:
        ecg.errors.ECGSignalError: nothing can be measured on the record.
    """
    m = measure(ecg)
    cases, err = [], None
    if library is not None:
        found = library.search(m, k=k + 1)
        if exclude_self:
            found = [c for c in found if not (c.record_id == ecg.record_id and c.similarity >= SELF_SIMILARITY)]
        cases = [dataclasses.replace(c, case_no=i + 1).to_dict() for i, c in enumerate(found[:k])]
    else:
        err = "no case library loaded"
    return Analysis(ecg=ecg, measurements=m, cases=cases, library_error=err)


def library_or_none(progress: Callable[[int, int, str], None] | None = None) -> tuple[CaseLibrary | None, str | None]:
    """The default case library (built on first use), or None with the reason it is unavailable."""
    try:
        return open_or_build(progress=progress), None
    except (LibraryError, OSError) as exc:
        return None, str(exc)


def demographics_from_library(ecg: ECG, library: CaseLibrary | None) -> None:
    """Fill ``ecg.meta`` age and sex from the library's database row when the record is a library record."""
    if library is None:
        return
    for m in library.meta:
        if m["record_id"] == ecg.record_id:
            for key in ("age", "sex"):
                if m.get(key) is not None and ecg.meta.get(key) is None:
                    ecg.meta[key] = m[key]
            return
