"""Writing ECG records (kept apart from loading, as in wfdb-python)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import ECGSignalError
from .leads import STANDARD_LEADS
from .record import ECG


def write_wfdb(ecg: ECG, out_dir: str | os.PathLike, name: str) -> Path:
    """Write ``ecg`` as a WFDB record ``out_dir/<name>.hea`` + ``.dat``.

    The 12 standard leads in standard order (a lead the record lacks is written as all
    missing), at the record's sampling rate (500 Hz for digitized images), physical units mV,
    format 16 with a gain of 1000 ADC units per mV (1 uV resolution). NaN samples (leads not
    printed for the whole 10 s) are written as WFDB's missing-sample value (-32768 in format 16)
    and read back as NaN by ``wfdb.rdrecord``.

    Args:
        ecg: the record.
        out_dir: folder (created if missing).
        name: record name (file stem); characters other than letters, digits, ``_`` and ``-``
            are replaced by ``_`` (WFDB record names allow no others).

    Returns:
        Path of the ``.hea`` file.

    Raises:
        ECGSignalError: a signal value outside +-32.767 mV (cannot be stored at 1 uV in 16 bits).
    """
    import re

    import wfdb

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rec_name = re.sub(r"[^A-Za-z0-9_-]", "_", str(name)) or "ecg"
    sig = np.full((ecg.n_samples, len(STANDARD_LEADS)), np.nan, np.float64)
    for j, lead in enumerate(STANDARD_LEADS):
        if ecg.has_lead(lead):
            sig[:, j] = ecg.lead(lead)
    if np.nanmax(np.abs(sig), initial=0.0) > 32.7:
        raise ECGSignalError(
            f"A sample of {np.nanmax(np.abs(sig)):.1f} mV cannot be written at 1 uV resolution in 16 bits; "
            "values must stay within +-32.7 mV.")
    n = len(STANDARD_LEADS)
    # wfdb cannot write an all-missing channel with adc_gain given; write such channels as 0 then
    # mark them missing through d_signal.
    d = np.where(np.isfinite(sig), np.round(sig * 1000.0), -32768).astype(np.int16)
    comments = [f"source: {ecg.meta.get('source', 'unknown')}"]
    dig = ecg.meta.get("digitization") if ecg.meta else None
    if dig:
        comments.append(f"digitized from an image: layout {dig.get('layout')}, {dig.get('paper_speed_mm_s')} mm/s, "
                        f"{dig.get('gain_mm_mv')} mm/mV; NaN (missing) where a lead was not printed")
    wfdb.wrsamp(rec_name, fs=float(ecg.fs), units=["mV"] * n, sig_name=list(STANDARD_LEADS),
                d_signal=d, fmt=["16"] * n, adc_gain=[1000.0] * n, baseline=[0] * n,
                comments=comments, write_dir=str(out))
    return out / f"{rec_name}.hea"
