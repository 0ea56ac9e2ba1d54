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
