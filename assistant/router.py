"""Routing a question to what it asks about (an intent), by keywords.

The intent decides which measured values an answer must state, which knowledge entries it draws
on and which deterministic reply it falls back to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .context import leads_named

# (intent, patterns) in priority order: the first intent with a matching pattern wins.
INTENTS: list[tuple[str, tuple[str, ...]]] = [
    ("similar_cases", (r"\bsimilar\b", r"\bcases?\b", r"\blike this\b", r"\bcompar", r"\bhistorical\b")),
    ("explain_qt", (r"\bwhat (does|do|is|are)\b.*\b(long|prolonged|short)\b.*\bqt", r"\bmean\b.*\bqt",
                    r"\bqtc?\b.*\bmean\b", r"\bcauses?\b.*\bqt", r"\btorsade")),
    ("qt_method", (r"\b(bazett|fridericia|framingham|hodges)('?s)? (formula|correction|method)",
                   r"\bformula\b.*\bqtc?\b", r"\bqtc?\b.*\bformula", r"\bhow\b.*\b(calculat|comput|correct)\w*\b.*\bqtc?\b",
                   r"\bhow\b.*\bqtc?\b.*\b(calculat|comput|correct)")),
    ("pacing", (r"\bpac(ed|ing|emakers?|ers?)\b", r"\bstimul(us|i|ation)\b", r"\bspikes?\b", r"\bcrt\b",
                r"\bbiventricular\b")),
    ("pause", (r"\bpauses?\b", r"\bsinus arrest\b", r"\basystol", r"\blong(est)? rr\b", r"\bsinus exit block\b")),
    ("extra_beats", (r"\bextra\b", r"\bpremature\b", r"\bectopi", r"\bpvcs?\b", r"\bpacs?\b", r"\bextrasystol",
                     r"\bskipped\b", r"\bbigemin", r"\btrigemin", r"\bcouplets?\b",
                     r"\bhow many beats\b", r"\bnumber of beats\b")),
    ("qt", (r"\bqtc?\b", r"\bqt interval\b", r"\bcorrected\b", r"\bbazett", r"\bfridericia", r"\bframingham\b",
            r"\bhodges\b")),
    ("axis", (r"\baxis\b", r"\bdeviation\b")),
    ("pr", (r"\bpr\b", r"\bav block\b", r"\bheart block\b", r"\bfirst[- ]degree\b", r"\bav conduction\b")),
    ("p_wave", (r"\bp[ -]?waves?\b", r"\bp duration\b", r"\bp[ -]?axis\b", r"\batrial (enlargement|abnormality)\b",
                r"\bp (mitrale|pulmonale)\b")),
    ("qrs", (r"\bqrs\b", r"\bbundle\b", r"\bbbb\b", r"\blbbb\b", r"\brbbb\b", r"\bwide\b", r"\bnarrow\b",
             r"\bfascicul", r"\bhemiblock", r"\blafb\b", r"\blpfb\b", r"\bivcd\b", r"\bconduction delay\b")),
    ("amplitudes", (r"\b[qrs][ -]?waves?\b", r"\bamplitudes?\b", r"\bmorpholog", r"\btall\b",
                    r"\brs?r'", r"\br/s\b", r"\bhow (deep|big|high)\b", r"\br peak time\b", r"\bintrinsicoid\b")),
    ("rhythm", (r"\brhythm\b", r"\bsinus\b", r"\bfibrillation\b", r"\bafib\b", r"\bflutter\b", r"\bregular\b",
                r"\birregular\b", r"\barrhythmi", r"\bjunctional\b", r"\bnodal\b", r"\bescape\b", r"\bsvt\b",
                r"\bsupraventricular tachycardia\b", r"\bventricular tachycardia\b", r"\bvt\b", r"\baf\b", r"\ba-fib\b",
                r"\bafl\b")),
    ("heart_rate", (r"\bventricular (rate|response)\b", r"\bheart rate\b", r"\brate\b", r"\bbpm\b", r"\bpulse\b", r"\bhow fast\b", r"\bbrady", r"\btachy")),
    ("low_voltage", (r"\blow (qrs )?voltage", r"\bvoltages? (is |are )?(low|small)\b", r"\bsmall (qrs )?complexes\b",
                     r"\blow (qrs )?amplitude")),
    ("lvh", (r"\bhypertroph", r"\blvh\b", r"\bvoltage\b", r"\bsokolow\b", r"\bcornell\b")),
    ("st", (r"\bst\b", r"\bearly repolari[sz]", r"\breciprocal\b", r"\bacute\b", r"\bheart attack\b", r"\bacute coronary\b", r"\bocclusion\b",
            r"\bterritor", r"\bj[ -]?points?\b", r"\bischemi", r"\binfarct", r"\bstemi\b", r"\bmi\b", r"\bq[ -]?waves?\b", r"\bt[ -]?waves?\b")),
    ("intervals", (r"\bintervals?\b", r"\bmeasure", r"\bnumbers\b", r"\bdurations?\b", r"\bfiducials?\b",
                   r"\bcalipers?\b")),
    ("teach", (r"\bwalk (me |us )?through\b", r"\bgo (me )?through\b", r"\bwhat (am i|i am) looking at\b",
               r"\bhow (do|should|can) i read\b", r"\bteach\b", r"\bsystematic", r"\bsteps?\b", r"\blearn",
               r"\blook at first\b", r"\bwhere (do|should) i (start|begin)\b", r"\bhow to read\b")),
    ("technical", (r"\brevers", r"\bswap", r"\bmisplac", r"\belectrodes?\b", r"\bplacement\b",
                   r"\bleads? (placed|connected)\b")),
    ("quality", (r"\bnois", r"\bartefact", r"\bartifact", r"\bquality\b", r"\binterference\b", r"\bwander",
                 r"\bdrift", r"\btremor\b", r"\bclean\b", r"\breadable\b", r"\binterpretable\b",
                 r"\bfilter", r"\bnotch", r"\bmains\b", r"\bhum\b")),
    ("confidence", (r"\bhow (sure|certain|confident|reliable|accurate|precise|exact)\b", r"\bconfiden",
                    r"\bcertain", r"\btrust\b", r"\breliab", r"\bunsure\b", r"\baccura", r"\bmargin of error\b",
                    r"\blimitations?\b")),
    ("summary", (r"\bsummar", r"\binterpret", r"\bfindings?\b", r"\bdiagnos", r"\bnormal\b", r"\bwhat do you see\b",
                 r"\boverall\b", r"\bwrong\b", r"\babnormal", r"\bworr", r"\bdanger", r"\bserious\b", r"\bconcern",
                 r"\bcriteri", r"\bgoing on\b", r"\bheart doing\b", r"\bhappening\b", r"\bcardiologist\b")),
]
#: The summary patterns that ask for the whole reading even beside a more specific intent ("normal"
#: alone does not: "is the PR normal?").
SUMMARY_BEYOND_NORMAL = (r"\bsummar", r"\binterpret", r"\bfindings?\b", r"\bdiagnos", r"\bwhat do you see\b",
                         r"\boverall\b", r"\bwrong\b", r"\bworr", r"\bdanger", r"\bserious\b", r"\bconcern",
                         r"\bgoing on\b", r"\bheart doing\b", r"\bhappening\b", r"\bcardiologist\b",
                         r"\bany abnormal", r"\babnormalities\b", r"\banything (else )?abnormal")


@dataclass(frozen=True)
class Unassessed:
    """A condition a question names that none of the findings' criteria states.

    Attributes:
        name: the condition, as the answer names it.
        needs: what recognizing it takes that the measurements do not give (no numbers: every
            number in an answer must come from the measurements).
        intents: the intents whose measured answers bear on it, added after the statement.
        leads: leads whose own values (J point, ST level, intervals) the answer adds.
        decision: a clinical decision (a drug, a device, what to do next) rather than a condition:
            the answer says it is the clinician's, and ``needs`` what it rests on.
    """

    name: str
    needs: str
    intents: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()
    decision: bool = False


#: (patterns, condition) for conditions outside the findings (ecg.interpret): the answer says so
#: and what would recognize them, then gives the measured values that bear on them.
NOT_ASSESSED: list[tuple[tuple[str, ...], Unassessed]] = [
    ((r"\bsecond[- ]degree\b", r"\b2nd[- ]degree\b", r"\bthird[- ]degree\b", r"\b3rd[- ]degree\b", r"\bmobitz\b",
      r"\bwenckebach\b", r"\bcomplete (heart|av) block\b", r"\bav dissociation\b", r"\bnon-?conducted\b",
      r"\bdropped beats?\b"),
     Unassessed("Second- or third-degree AV block (or AV dissociation)",
                "P waves that no QRS follows, or P waves that march through the QRS complexes at their own rate; I "
                "measure the PR interval on the median beat and do not follow each P wave, so look on the rhythm "
                "strip for P waves without a QRS and for a PR that changes from beat to beat", ("rhythm", "pr"))),
    ((r"\bwpw\b", r"\bwolff", r"\bpre-?excit", r"\bdelta waves?\b"),
     Unassessed("Pre-excitation (Wolff-Parkinson-White pattern)",
                "a slurred start of the QRS (a delta wave) that shortens the PR and widens the QRS; I measure the PR "
                "and the QRS width, but not the delta wave", ("pr", "qrs"))),
    ((r"\bbrugada\b",),
     Unassessed("A Brugada pattern", "the shape of the ST segment in V1-V2 (a coved elevation falling into a "
                "negative T wave, or a saddle back), which is judged by eye", ("st",), ("V1", "V2"))),
    ((r"\bhyperkal", r"\bhypokal", r"\bpotassium\b", r"\belectrolytes?\b", r"\bcalcium\b", r"\bhypercalc",
      r"\bhypocalc", r"\bmagnesium\b"),
     Unassessed("An electrolyte disturbance", "the shape of the T wave (peaked or flattened), U waves and, above all, "
                "the blood levels: the ECG neither confirms nor excludes it", ("qt", "qrs"))),
    ((r"\bpr[- ]segments?\b",),
     Unassessed("PR-segment depression or elevation", "the level of the segment from the end of the P wave to the "
                "QRS against the TP baseline, which I do not measure (I measure the PR interval)", ("pr",))),
    ((r"\bpericardit",),
     Unassessed("Pericarditis", "widespread concave ST elevation with PR-segment depression, and the clinical "
                "picture; PR-segment depression is not measured", ("st",))),
    ((r"\bu[ -]?waves?\b",),
     Unassessed("A U wave", "a small wave after the T wave; my QT ends where the T wave ends and leaves a U wave out",
                ("qt",))),
    ((r"\balternans\b",),
     Unassessed("Electrical alternans", "QRS amplitudes that alternate from beat to beat; my amplitudes are those "
                "of the median beat")),
    ((r"\br[ -]?wave progression\b",),
     Unassessed("Poor R-wave progression", "the growth of the R wave from V1 to V4 weighed against the QRS width, axis "
                "and electrode position; the R waves of V1 to V4 follow", ("amplitudes", "st"), ("V1", "V2", "V3", "V4"))),
    ((r"\brvh\b", r"\bright ventricular hypertroph"),
     Unassessed("Right ventricular hypertrophy", "a dominant R wave in V1 with right axis deviation; no voltage "
                "criterion for it is applied", ("axis",))),
    ((r"\bdextrocardi",),
     Unassessed("Dextrocardia", "an inverted lead I with R waves that shrink from V1 to V6; I check for "
                "limb-electrode reversal, which looks alike in the limb leads, not for dextrocardia", ("technical",))),
    ((r"\bpulmonary embol", r"\bs1\s*q3\s*t3\b"),
     Unassessed("Pulmonary embolism", "the clinical picture and imaging: its ECG signs (sinus tachycardia, right "
                "axis shift, right bundle branch block, S in I with Q and inverted T in III) are neither sensitive "
                "nor specific", ("rhythm", "axis"))),
    ((r"\bwellens\b", r"\bde winter\b"),
     Unassessed("A Wellens or de Winter pattern", "the shape of the T waves (deep or biphasic in V2-V3) or of the "
                "ST segment (upsloping depression into tall T waves), which is judged by eye", ("st",), ("V2", "V3"))),
    ((r"\bdigoxin\b", r"\bdigitalis\b"),
     Unassessed("A digoxin effect", "the sagging shape of the ST depression, and the drug history", ("st",))),
    ((r"\b(safe|ok|okay|fine|alright) to (give|start|use|prescribe|continue|stop|add)\b",
      r"\b(can|could|should|may) (i|we) (give|start|use|prescribe|continue|stop|add|treat|admit|discharge|refer)\b",
      r"\bwhat (would|should) (you|i|we) do\b", r"\bnext steps?\b", r"\btreat(ment|ed|ing)?\b", r"\bmanag(e|ement)\b",
      r"\bmedications?\b", r"\bdrugs?\b", r"\bprescri", r"\bdischarg", r"\bbeta[- ]?blockers?\b",
      r"\b(sotalol|amiodarone|dofetilide|flecainide|propafenone|haloperidol|methadone|azithromycin|ondansetron)\b",
      r"\bneeds? (a )?(pacemaker|defibrillator|icd|ablation|cardioversion)\b", r"\bthromboly", r"\bcath(eter)? lab\b"),
     Unassessed("A treatment decision (a drug, a device, what to do next)",
                "the patient's symptoms, history, drugs and examination beside this ECG; I report what the ECG "
                "measures, and the values that decisions of this kind check (the rhythm, PR, QRS and QTc) follow",
                ("intervals",), decision=True)),
    ((r"\bhypotherm", r"\bosborn\b"),
     Unassessed("Hypothermia (Osborn waves)", "the body temperature, with prominent J waves (a hump at the end of the "
                "QRS) in many leads, slow rates and a long QT; no hypothermia statement is made", ("st",))),
]


def not_assessed(question: str) -> list[Unassessed]:
    """The conditions outside the findings that ``question`` names, in the order it names them."""
    q = question.lower()
    hits = [(min(m.start() for p in pats if (m := re.search(p, q)) is not None), u)
            for pats, u in NOT_ASSESSED if any(re.search(p, q) for p in pats)]
    return [u for _, u in sorted(hits, key=lambda h: h[0])]


KNOWLEDGE_FOR_INTENT = {
    "heart_rate": ("heart-rate",), "rhythm": ("sinus-rhythm", "atrial-fibrillation"),
    "extra_beats": ("extra-beats",), "pr": ("pr-interval",), "p_wave": ("p-wave",), "qrs": ("qrs-duration",),
    "qt": ("qt-interval", "long-qtc"), "explain_qt": ("long-qtc", "qt-interval"), "qt_method": ("qt-interval",), "axis": ("axis",),
    "lvh": ("lvh",), "st": ("st-changes", "normal-variant-ste"), "teach": ("reading-order",), "intervals": (),
    "summary": (), "similar_cases": (), "general": (), "confidence": (), "technical": (), "quality": (), "low_voltage": (), "pacing": ("pacing",), "pause": (), "amplitudes": (),
    "not_assessed": (),
}


def route(question: str) -> list[str]:
    """Intents asked about in ``question``, in the order the question names them (``["general"]`` if none matched).

    A question can ask about several things ("What is the heart rate and is the QTc prolonged?").
    """
    q = question.lower()
    first = {}
    for name, pats in INTENTS:
        pos = [m.start() for p in pats if (m := re.search(p, q))]
        if pos:
            first[name] = min(pos)
    hits = sorted(first, key=lambda n: first[n])  # in the order the question asks
    for first_qt in ("explain_qt", "qt_method"):
        if first_qt in hits and "qt" in hits:
            hits.remove("qt")  # "what does a long QT mean?", "how is the QTc calculated?": not the QT answer again
    if "axis" in hits and "p_wave" in hits and not re.search(r"(?<!\bp )(?<!\bp-)\baxis\b", q):
        hits.remove("axis")  # "the P axis" asks about the P wave, not the QRS axis
    if "summary" in hits and len(hits) > 1 and not any(re.search(p, q) for p in SUMMARY_BEYOND_NORMAL):
        hits.remove("summary")  # "is the PR normal?" asks about the PR, not for the whole reading
    if "low_voltage" in hits and "lvh" in hits and not re.search(r"\bhypertroph|\blvh\b|\bsokolow|\bcornell", q):
        hits.remove("lvh")  # "is the voltage low?" asks about low voltage, not hypertrophy
    if "qrs" in hits and "axis" in hits and not re.search(r"\bqrs\b(?!\s*axis)", q):
        hits.remove("qrs")  # "the QRS axis" asks about the axis, not the QRS duration
    if re.search(r"\bblocks?\b", q) and not {"pr", "qrs"} & set(hits):
        # "is there any block?": AV block (the PR) and bundle branch or fascicular block (the QRS)
        at = q.index("block")
        hits = [i for i in hits if first[i] < at] + ["pr", "qrs"] + [i for i in hits if first[i] >= at]
    unassessed = not_assessed(question)
    if unassessed:
        # what the findings cannot say comes first, then the measured answers that bear on it
        hits = ["not_assessed"] + [i for i in hits if i not in ("general",)]
        hits += [i for u in unassessed for i in u.intents if i not in hits]
    if "intervals" in hits and len([i for i in hits if i != "not_assessed"]) > 1:
        hits.remove("intervals")  # "the PR interval" asks about PR, not every interval
    if "confidence" in hits:  # "how sure are you about the QT?": the value first, then what it rests on
        hits.remove("confidence")
        hits.append("confidence")
    return hits or ["general"]


#: The start of a question that continues the one before ("and in V5?", "what about the QTc?").
_FOLLOW_UP = re.compile(r"^\s*(and|also|what about|how about|same for|and what about|then)\b", re.I)


def follows_up(question: str) -> bool:
    """Whether ``question``, routed nowhere (``["general"]``), continues the one before: it starts as a
    continuation does ("and in V5?", "what about aVL?") or names only leads ("V5?", "in lead III?")."""
    if _FOLLOW_UP.search(question):
        return True
    rest = re.sub(r"\b(v[1-6]|av[rlf]|i{1,3}|leads?|in|the|and|or|on|please)\b|[^a-z]", " ", question.lower())
    return bool(leads_named(question)) and not rest.strip()
