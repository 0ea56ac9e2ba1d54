"""The project's own errors. Each message says what was wrong and what would work."""
from __future__ import annotations


class ECGError(ValueError):
    """Base class for every error the ECG core raises on bad input."""


class ECGLoadError(ECGError):
    """A file or upload could not be read as an ECG record."""


class ECGSignalError(ECGError):
    """A signal was read but cannot be used (too short, flat, no ECG leads, wrong shape)."""


class DigitizationError(ECGError):
    """An image could not be turned into an ECG signal (no grid, no traces, too low resolution)."""
