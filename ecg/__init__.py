"""The ECG domain core: record type, loaders, filtering, measurement, interpretation,
digitization of paper ECG images and paper-style rendering.

Public entry points::

    from ecg import ECG, load, measure, interpret, digitize
"""
from __future__ import annotations

from .errors import DigitizationError, ECGError, ECGLoadError, ECGSignalError
from .io import load, load_csv, load_uploaded, load_wfdb
from .leads import STANDARD_LEADS, normalize_lead_name
from .record import ECG


def measure(ecg, **kwargs):
    """See :func:`ecg.measure.measure`."""
    from .measure import measure as _measure

    return _measure(ecg, **kwargs)


def interpret(ecg_or_measurements, **kwargs):
    """See :func:`ecg.interpret.interpret`."""
    from .interpret import interpret as _interpret

    return _interpret(ecg_or_measurements, **kwargs)


def digitize(image, **kwargs):
    """See :func:`ecg.digitize.digitize`."""
    from .digitize import digitize as _digitize

    return _digitize(image, **kwargs)


__all__ = [
    "ECG", "load", "load_csv", "load_uploaded", "load_wfdb", "measure", "interpret", "digitize",
    "STANDARD_LEADS", "normalize_lead_name",
    "ECGError", "ECGLoadError", "ECGSignalError", "DigitizationError",
]
