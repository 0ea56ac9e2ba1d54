"""Loading ECG records from files and uploads.

Supported: WFDB records (``.hea`` header with its ``.dat`` signal file, read with wfdb) and CSV
files (one column per lead, a header row with lead names; the sampling rate is given by the caller
or read from an ``fs`` column / ``# fs=500`` comment line). Images go through :func:`ecg.digitize`.
"""
from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

from .errors import ECGLoadError, ECGSignalError
from .leads import normalize_lead_name
from .record import ECG, MIN_DURATION_S

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pdf", ".gif", ".webp"}
SIGNAL_HINT = (
    "Upload a WFDB record (its .hea and .dat files together) or a CSV with one column per lead "
    "and a header row of lead names."
)


def _check_signal(ecg: ECG, what: str) -> ECG:
    """Reject records that no measurement can use. Raises ECGSignalError."""
    if ecg.duration_s < MIN_DURATION_S:
        raise ECGSignalError(
            f"{what} holds only {ecg.n_samples} samples ({ecg.duration_s:.3f} s at {ecg.fs:g} Hz); "
            f"at least {MIN_DURATION_S:g} s of signal is needed to measure a heart rate. "
            "Upload a longer recording (a standard 12-lead ECG is 10 s)."
        )
    finite = np.isfinite(ecg.signal)
    if not finite.any():
        raise ECGSignalError(f"{what} contains no numeric samples (all values are missing). {SIGNAL_HINT}")
    return ecg


def load_wfdb(path: str | os.PathLike) -> ECG:
    """Read a WFDB record with wfdb.

    Args:
        path: record path with or without the ``.hea`` suffix (``.../00001_hr`` or ``.../00001_hr.hea``).

    Returns:
        ECG with ``signal`` in mV (float32, ``(n_leads, n_samples)``), the header's ``fs`` and
        standard lead names. Header comments are kept in ``meta["comments"]``; ``age``/``sex``
        are parsed from ``<age>: 51`` style comments where present.

    Raises:
        ECGLoadError: header missing or unreadable, signal file missing, truncated or not a
            WFDB signal file.
    """
    import wfdb

    p = Path(path)
    if p.suffix.lower() in (".hea", ".dat"):
        p = p.with_suffix("")
    hea = p.with_suffix(".hea")
    if not hea.exists():
        raise ECGLoadError(f"No WFDB header {hea.name} was found beside {p}. {SIGNAL_HINT}")
    try:
        header = wfdb.rdheader(str(p))
    except Exception as exc:  # wfdb raises many types on a malformed header
        raise ECGLoadError(f"{hea.name} is not a readable WFDB header ({exc}). {SIGNAL_HINT}") from exc
    files = sorted({f for f in (header.file_name or []) if f})
    for f in files:
        if not (p.parent / f).exists():
            raise ECGLoadError(
                f"The header {hea.name} refers to the signal file {f}, which was not found. "
                f"Upload {hea.name} and {f} together."
            )
    expected_len = header.sig_len
    try:
        rec = wfdb.rdrecord(str(p), physical=True)
    except Exception as exc:
        raise ECGLoadError(
            f"The signal file of {p.name} could not be read ({type(exc).__name__}: {exc}); "
            f"it may be truncated or not match its header. {SIGNAL_HINT}"
        ) from exc
    sig = rec.p_signal
    if sig is None or sig.shape[0] == 0:
        raise ECGLoadError(f"{p.name} holds no samples. {SIGNAL_HINT}")
    if expected_len and sig.shape[0] < expected_len:
        raise ECGLoadError(
            f"{p.name}: the header announces {expected_len} samples but the signal file holds only "
            f"{sig.shape[0]}; the .dat file is truncated. Upload the complete .dat file."
        )
    units = [u or "" for u in (rec.units or [])]
    scale = np.array([1000.0 if u.strip().lower() in ("v", "volt", "volts") else
                      (0.001 if u.strip().lower() in ("uv", "µv", "microvolt") else 1.0) for u in units]
                     or [1.0] * sig.shape[1])
    names = [normalize_lead_name(n) for n in rec.sig_name]
    meta: dict = {"record_id": p.name, "source": "wfdb", "comments": list(rec.comments or [])}
    for c in rec.comments or []:
        m = re.match(r"\s*<?(age|sex)>?\s*:\s*(\S+)", c, re.I)
        if m:
            key, val = m.group(1).lower(), m.group(2)
            if key == "age":
                try:
                    meta["age"] = float(val)
                except ValueError:
                    pass
            else:
                meta["sex"] = "F" if val.upper().startswith("F") else "M" if val.upper().startswith("M") else None
    # keep only electrical ECG channels: mV/V/uV units, or standard lead names
    keep = [i for i, (n, u) in enumerate(zip(names, units or [""] * len(names)))
            if u.strip().lower() in ("mv", "v", "uv", "µv") or normalize_lead_name(n) == n and n[:1] in "IaV"]
    if not keep:
        raise ECGSignalError(
            f"{p.name} has no ECG channel (channels: {', '.join(rec.sig_name)} with units "
            f"{', '.join(units)}). An ECG channel has units of mV."
        )
    signal = (sig[:, keep] * scale[keep]).T.astype(np.float32)
    ecg = ECG(signal=signal, fs=float(rec.fs), leads=[names[i] for i in keep], meta=meta)
    return _check_signal(ecg, p.name)


def load_csv(path_or_buffer, fs: float | None = None, name: str | None = None) -> ECG:
    """Read a CSV with one column per lead and a header row of lead names.

    Args:
        path_or_buffer: file path, or a text/bytes buffer.
        fs: sampling rate in Hz. If None it is read from a column named ``fs`` (first value) or a
            comment line ``# fs=500``.
        name: record id to keep in ``meta``; defaults to the file stem.

    Values are taken as millivolts unless the header names ``(uV)`` or ``(V)`` units.
    A ``time``/``t``/``sample`` column, if present, is dropped.

    Raises:
        ECGLoadError: not parseable, no numeric lead columns, or no sampling rate known.
    """
    import pandas as pd

    if isinstance(path_or_buffer, (str, os.PathLike)):
        name = name or Path(path_or_buffer).stem
        try:
            raw = Path(path_or_buffer).read_bytes()
        except OSError as exc:
            raise ECGLoadError(f"Cannot read {path_or_buffer}: {exc}") from exc
    else:
        raw = path_or_buffer.read()
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    name = name or "csv"
    comment_fs = re.search(r"^\s*#.*?\bfs\s*[=:]\s*([0-9.]+)", text, re.I | re.M)
    body = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    try:
        df = pd.read_csv(io.StringIO(body), sep=None, engine="python")
    except Exception as exc:
        raise ECGLoadError(f"{name} is not a readable CSV ({exc}). {SIGNAL_HINT}") from exc
    cols = {c: str(c).strip() for c in df.columns}
    fs_col = next((c for c, s in cols.items() if s.lower() in ("fs", "fs_hz", "sampling_rate")), None)
    if fs is None and fs_col is not None:
        vals = pd.to_numeric(df[fs_col], errors="coerce").dropna()
        fs = float(vals.iloc[0]) if len(vals) else None
    if fs is None and comment_fs:
        fs = float(comment_fs.group(1))
    drop = {c for c, s in cols.items() if s.lower() in ("time", "t", "sample", "samples", "index", "time_s", "time_ms")}
    if fs_col is not None:
        drop.add(fs_col)
    lead_cols, scales = [], []
    for c, s in cols.items():
        if c in drop:
            continue
        col = pd.to_numeric(df[c], errors="coerce")
        if col.notna().mean() < 0.9:
            continue
        lead_cols.append(c)
        unit = re.search(r"\((uv|µv|mv|v)\)", s, re.I)
        u = unit.group(1).lower() if unit else "mv"
        scales.append(0.001 if u in ("uv", "µv") else 1000.0 if u == "v" else 1.0)
    if not lead_cols:
        raise ECGLoadError(
            f"{name} has no numeric lead columns (columns: {', '.join(map(str, df.columns[:12]))}). "
            "A CSV ECG needs a header row of lead names (I, II, ..., V6) and numbers in millivolts below it."
        )
    if fs is None or not np.isfinite(fs) or fs <= 0:
        raise ECGLoadError(
            f"{name} does not state its sampling rate. Give it (for example 500 Hz), add an 'fs' column, "
            "or a first line '# fs=500'."
        )
    sig = np.stack([pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64) * k
                    for c, k in zip(lead_cols, scales)]).astype(np.float32)
    leads = [normalize_lead_name(re.sub(r"\s*\(.*?\)\s*", "", cols[c])) for c in lead_cols]
    ecg = ECG(signal=sig, fs=fs, leads=leads, meta={"record_id": name, "source": "csv"})
    return _check_signal(ecg, name)


def load(path: str | os.PathLike, fs: float | None = None) -> ECG:
    """Load an ECG from a path: WFDB record (with or without ``.hea``) or CSV.

    Raises:
        ECGLoadError: unknown or unreadable file; images are refused with a pointer to
            :func:`ecg.digitize`.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        if not p.exists():
            raise ECGLoadError(f"File not found: {p}.")
        return load_csv(p, fs=fs)
    if suffix in IMAGE_SUFFIXES:
        raise ECGLoadError(
            f"{p.name} is an image; images are read by the digitizer (`ecgchat digitize {p.name}`), "
            "not by the signal loader."
        )
    if suffix in ("", ".hea", ".dat") or p.with_suffix(".hea").exists() or Path(str(p) + ".hea").exists():
        if suffix not in ("", ".hea", ".dat") and Path(str(p) + ".hea").exists():
            p = Path(str(p) + ".hea")
        return load_wfdb(p)
    raise ECGLoadError(f"{p.name}: unsupported file type {suffix!r}. {SIGNAL_HINT}")


def load_uploaded(files: Mapping[str, bytes], fs: float | None = None) -> ECG:
    """Load an ECG from uploaded files given as ``{file name: content bytes}``.

    Accepts one CSV, or a WFDB ``.hea`` with the signal file(s) it names. Files are written to a
    private temporary folder and read with :func:`load`.

    Raises:
        ECGLoadError: nothing usable uploaded, a header without its data file, an image (with
            a pointer to the digitizer), or any loader error.
    """
    if not files:
        raise ECGLoadError(f"Nothing was uploaded. {SIGNAL_HINT}")
    names = {Path(n).name: data for n, data in files.items()}
    suffixes = {Path(n).suffix.lower() for n in names}
    heas = [n for n in names if n.lower().endswith(".hea")]
    csvs = [n for n in names if n.lower().endswith(".csv")]
    if not heas and not csvs:
        imgs = [n for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES]
        if imgs:
            raise ECGLoadError(f"{imgs[0]} is an image, not a signal file; use the image upload to digitize it.")
        if ".dat" in suffixes:
            raise ECGLoadError(
                f"{', '.join(names)}: a WFDB signal file needs its header. Upload the .hea file together with the .dat."
            )
        raise ECGLoadError(f"Unsupported upload ({', '.join(names)}). {SIGNAL_HINT}")
    with tempfile.TemporaryDirectory(prefix="ecgchat-upload-") as tmp:
        for n, data in names.items():
            (Path(tmp) / n).write_bytes(data)
        target = Path(tmp) / (heas[0] if heas else csvs[0])
        ecg = load(target, fs=fs)
    ecg.meta["record_id"] = Path(heas[0] if heas else csvs[0]).stem
    return ecg
