"""Standard lead names and the mapping of other spellings onto them.

The 12 standard leads are named as in the AHA recommendations for standardization of the ECG
(Kligfield et al., Circulation 2007;115:1306-1324, part I): limb leads I, II, III, augmented
limb leads aVR, aVL, aVF, and precordial leads V1..V6.
"""
from __future__ import annotations

STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)
LIMB_LEADS: tuple[str, ...] = STANDARD_LEADS[:6]
PRECORDIAL_LEADS: tuple[str, ...] = STANDARD_LEADS[6:]

_ALIASES = {
    "MLII": "II", "MLI": "I", "MLIII": "III", "ML2": "II",
    "AVR": "aVR", "AVL": "aVL", "AVF": "aVF",
    "LEAD I": "I", "LEAD II": "II", "LEAD III": "III",
}


def normalize_lead_name(name: str) -> str:
    """Return the standard spelling of a lead name.

    Maps case variants (LUDB's ``avr``, ``v1``), MIT-BIH's ``MLII`` and ``Lead II``-style labels
    onto ``I, II, III, aVR, aVL, aVF, V1..V6``. Names that are not one of the 12 standard leads
    (for example ``V5R``, ``ABP``, ``vx``) are returned stripped but otherwise unchanged.
    """
    raw = str(name).strip()
    key = raw.upper().replace("_", " ").replace("-", " ")
    key = " ".join(key.split())
    if key in _ALIASES:
        return _ALIASES[key]
    for std in STANDARD_LEADS:
        if key == std.upper():
            return std
    return raw


#: What each limb lead records after two limb electrodes are swapped, as (lead recorded correctly,
#: sign), from Einthoven's and Goldberger's definitions (I = LA - RA, II = LL - RA, III = LL - LA,
#: aVR = RA - (LA + LL) / 2, ...). Each swap is its own inverse, so the same table undoes it.
LIMB_SWAPS: dict[str, dict[str, tuple[str, int]]] = {
    "LA/RA": {"I": ("I", -1), "II": ("III", 1), "III": ("II", 1), "aVR": ("aVL", 1), "aVL": ("aVR", 1), "aVF": ("aVF", 1)},
    "LA/LL": {"I": ("II", 1), "II": ("I", 1), "III": ("III", -1), "aVR": ("aVR", 1), "aVL": ("aVF", 1), "aVF": ("aVL", 1)},
    "RA/LL": {"I": ("III", -1), "II": ("II", -1), "III": ("I", -1), "aVR": ("aVF", 1), "aVL": ("aVL", 1), "aVF": ("aVR", 1)},
}


def swap_limb_electrodes(ecg, kind: str):
    """The ECG as it reads with two limb electrodes swapped (``kind``: ``"LA/RA"``, ``"LA/LL"`` or
    ``"RA/LL"``); applied to a recording made with them swapped, it undoes the swap.

    Args:
        ecg: :class:`ecg.ECG` with the six limb leads (precordial leads are returned unchanged: the
            Wilson terminal is the mean of the three limb electrodes and does not change).
    Returns:
        A new ECG; ``meta["limb_swap"]`` names the swap.
    Raises:
        ValueError: unknown ``kind`` or a limb lead missing.
    """
    from .record import ECG

    if kind not in LIMB_SWAPS:
        raise ValueError(f"Unknown limb-electrode swap {kind!r}; use one of {', '.join(LIMB_SWAPS)}.")
    missing = [ld for ld in LIMB_LEADS if ld not in ecg.leads]
    if missing:
        raise ValueError(f"A limb-electrode swap needs all six limb leads; missing: {', '.join(missing)}.")
    ix = {ld: i for i, ld in enumerate(ecg.leads)}
    x = ecg.signal.copy()
    for dst, (src, sign) in LIMB_SWAPS[kind].items():
        x[ix[dst]] = sign * ecg.signal[ix[src]]
    return ECG(x, ecg.fs, list(ecg.leads), {**dict(ecg.meta), "limb_swap": kind})
