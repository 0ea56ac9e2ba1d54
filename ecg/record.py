"""The ECG record type shared by every room of the project."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ECGSignalError
from .leads import normalize_lead_name

#: Shortest record accepted anywhere in the project, in seconds. Two seconds hold at least two
#: beats down to 60 bpm, the least from which an RR interval can be measured.
MIN_DURATION_S = 2.0


@dataclass
class ECG:
    """A multi-lead ECG.

    Attributes:
        signal: float32 array of shape ``(n_leads, n_samples)`` in millivolts. NaN marks samples
            that were not recorded (for example the parts of a lead a paper layout did not print).
        fs: sampling rate in Hz.
        leads: lead names, standard spelling (``I, II, III, aVR, aVL, aVF, V1..V6``), one per row.
        meta: free metadata: ``record_id``, ``source`` (``"wfdb"``, ``"csv"``, ``"image"``),
            ``age``, ``sex`` (``"M"``/``"F"``), and anything a loader or digitizer adds.

    Raises:
        ECGSignalError: if the shape, the lead list or the sampling rate are inconsistent.
    """

    signal: np.ndarray
    fs: float
    leads: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sig = np.asarray(self.signal, dtype=np.float32)
        if sig.ndim == 1:
            sig = sig[None, :]
        if sig.ndim != 2:
            raise ECGSignalError(
                f"An ECG signal must be 2-D (n_leads, n_samples); got an array of shape {sig.shape}."
            )
        self.signal = sig
        self.leads = [normalize_lead_name(n) for n in self.leads]
        if len(self.leads) != sig.shape[0]:
            raise ECGSignalError(
                f"The signal has {sig.shape[0]} rows but {len(self.leads)} lead names were given; "
                "give one name per row."
            )
        if not np.isfinite(self.fs) or self.fs <= 0:
            raise ECGSignalError(f"The sampling rate must be a positive number of Hz; got {self.fs!r}.")
        self.fs = float(self.fs)

    @property
    def n_leads(self) -> int:
        return int(self.signal.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def has_lead(self, name: str) -> bool:
        return normalize_lead_name(name) in self.leads

    def lead(self, name: str) -> np.ndarray:
        """Return one lead, shape ``(n_samples,)``, in mV.

        Raises:
            KeyError: if the record has no such lead (the message lists the leads it has).
        """
        std = normalize_lead_name(name)
        if std not in self.leads:
            raise KeyError(f"Lead {name!r} is not in this record; it has {', '.join(self.leads)}.")
        return self.signal[self.leads.index(std)]

    @property
    def record_id(self) -> str:
        return str(self.meta.get("record_id", "ECG"))


def clock(t_s: float, duration_s: float) -> str:
    """A time in a record as a reader expects it: ``"3.3 s"`` in a record of up to 60 s,
    ``"3:05.5"`` (min:s) up to an hour, ``"1:03:05"`` (h:min:s) beyond."""
    if duration_s <= 60.0:
        return f"{t_s:.1f} s"
    if duration_s < 3600.0:
        m, s = divmod(t_s, 60.0)
        return f"{int(m)}:{s:04.1f}"
    h, rest = divmod(int(round(t_s)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def span(duration_s: float) -> str:
    """A record's length in words: ``"45 s"``, ``"30 min"``, ``"24.0 h"``."""
    if duration_s < 120.0:
        return f"{duration_s:.0f} s"
    if duration_s < 7200.0:
        return f"{duration_s / 60.0:.0f} min"
    return f"{duration_s / 3600.0:.1f} h"
