"""Streamlit components: ECG paper plot with calipers, measurement table, findings, similar cases,
digitization summary and the chat. Display only; the logic lives in ecg/, retrieval/ and assistant/."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.context import UNCERTAINTY_SHORT, facts_from_measurements, filter_band, fmt


#: The chat intent whose lead-quality hedge applies to each measured value (see assistant.hedging).
_INTENT_OF = {"heart_rate": "heart_rate", "rr": "heart_rate", "pr": "pr", "p_duration": "pr", "qrs": "qrs",
              "qt": "qt", "axis_qrs": "axis"}


def measurement_table(d: dict, from_image: bool = False, lead_quality: dict | None = None,
                      printed: dict | None = None) -> pd.DataFrame:
    """One row per global measurement: name, value, unit, confidence, the interval's estimated
    uncertainty ("+/- ms", ``uncertainty_ms`` of the measurement), source, and a note naming the
    low-quality leads it rests on (or why the chat withholds it); for an image, the value the page
    itself prints, if any (evidence, not ours)."""
    from assistant.grounded import PRINTED_KEY
    from assistant.hedging import hedge

    conf = d.get("confidence") or {}
    unc = d.get("uncertainty_ms") or {}
    evidence = d.get("confidence_evidence") or {}
    keymap = {"heart_rate": "heart_rate_bpm", "rr": "rr_ms", "p_duration": "p_duration_ms", "pr": "pr_ms",
              "qrs": "qrs_ms", "qt": "qt_ms"}
    source = "image" if from_image else "signal"
    rows = []
    for f in facts_from_measurements(d):
        ck = keymap.get(f.key) or (f"qtc_ms.{f.key[4:]}" if f.key.startswith("qtc_") else
                                   f"axis_deg.{f.key[5:]}" if f.key.startswith("axis_") else f.key)
        c = conf.get(ck, conf.get("qtc_ms") if f.key.startswith("qtc_") else f.confidence)
        intent = _INTENT_OF.get(f.key) or ("qt" if f.key.startswith("qtc_") else None)
        note = ""
        if intent and lead_quality:
            h = hedge(intent, d, lead_quality, source)
            if h.decline:
                note = (f"withheld in the chat: too few good leads ({', '.join(h.low)} low quality)" if h.low
                        else "withheld in the chat: too uncertain (confidence below 0.1)")
            elif h.text:
                note = f"low-quality leads: {', '.join(h.low)}"
        row = {"measurement": f.label, "value": round(f.value), "unit": f.unit,
               "confidence": None if c is None else round(float(c), 2),
               "+/- ms": None if unc.get(ck) is None else round(float(unc[ck])),
               "uncertainty from (ms)": _parts_text(evidence.get(ck)),
               "source": "from image" if from_image else "from signal", "note": note}
        if printed:
            pv = printed.get(PRINTED_KEY.get(ck, ""))
            row["printed on page"] = None if pv is None else round(float(pv))
        rows.append(row)
    for k, why in (d.get("null_reasons") or {}).items():
        rows.append({"measurement": k, "value": None, "unit": "", "confidence": None, "source": f"not measured: {why}",
                     "note": ""})
    return pd.DataFrame(rows)


def window_table(lt: dict) -> pd.DataFrame:
    """One row per window of a long record (``Measurements.long_term["per_window"]``): start (min:s or
    h:min:s), beats, mean rate, premature beats, and the intervals where the window was delineated."""
    from ecg.record import clock

    end = max((e["end_s"] for e in lt["per_window"]), default=0.0)
    cols = (("n_beats", "beats"), ("heart_rate_bpm", "HR bpm"), ("n_premature_supraventricular", "PAC"),
            ("n_premature_ventricular", "PVC"), ("pr_ms", "PR ms"), ("qrs_ms", "QRS ms"), ("qt_ms", "QT ms"),
            ("qtc_bazett_ms", "QTc Bazett ms"))
    return pd.DataFrame([{"start": clock(e["start_s"], end), **{name: e.get(k) for k, name in cols}}
                         for e in lt["per_window"]])


def _parts_text(ev: dict | None) -> str:
    """An interval's uncertainty components, largest first ("odd vs even beats 10, T ends across leads 4,
    sampling 2"); "" without evidence."""
    parts = sorted(((ev or {}).get("uncertainty_parts_ms") or {}).items(), key=lambda kv: -kv[1])
    return ", ".join(f"{UNCERTAINTY_SHORT.get(n, n)} {fmt(v)}" for n, v in parts)


#: Per-lead columns of the lead table: (measurement key in ``per_lead``, column name).
LEAD_COLUMNS = (("qrs_morphology", "QRS"), ("q_amp_mv", "Q mV"), ("r_amp_mv", "R mV"), ("s_amp_mv", "S mV"),
                ("t_amp_mv", "T mV"), ("st_j_mv", "ST at J mV"), ("st_j60_mv", "ST at J+60 mV"),
                ("qrs_polarity", "QRS polarity"), ("t_polarity", "T polarity"), ("r_peak_time_ms", "R peak time ms"),
                ("amplitude_se_mv", "+/- mV"), ("amplitude_confidence", "amplitude confidence"))


def lead_table(d: dict) -> pd.DataFrame:
    """One row per lead of the per-lead measurements on the median beat (amplitudes and ST levels
    in mV, R peak time in ms, morphology and polarities), with the amplitudes' standard error and
    confidence and the lead's signal quality."""
    pl, q = d.get("per_lead") or {}, d.get("signal_quality") or {}
    rows = []
    for lead in d.get("leads") or pl:
        v = pl.get(lead) or {}
        row = {"lead": lead}
        for key, name in LEAD_COLUMNS:
            x = v.get(key)
            row[name] = round(x, 3) if isinstance(x, float) and key.endswith("_mv") else x
        row["signal quality"] = (q.get(lead) or {}).get("reason")
        rows.append(row)
    return pd.DataFrame(rows)


def premature_labels(d: dict) -> list[tuple[float, str]]:
    """``[(time_ms, "S" or "V"), ...]`` for the premature beats of a measurement dict."""
    short = {"premature_supraventricular": "S", "premature_ventricular": "V"}
    b = d.get("beats") or {}
    return [(t, short[c]) for t, c in zip(b.get("r_peaks_ms") or [], b.get("classes") or []) if c in short]


def calipers(d: dict) -> dict:
    """Caliper spans (ms from record start) for P, PR, QRS and QT from the global fiducials."""
    g = (d.get("fiducials") or {}).get("global") or {}
    spans = {"P": (g.get("p_on"), g.get("p_off")), "PR": (g.get("p_on"), g.get("qrs_on")),
             "QRS": (g.get("qrs_on"), g.get("qrs_off")), "QT": (g.get("qrs_on"), g.get("t_off"))}
    return {k: v for k, v in spans.items() if None not in v}


def show_ecg(analysis) -> None:
    from ecg.plot import plot_paper

    d = analysis.measurement_dict
    leads = analysis.ecg.leads
    default = leads.index("II") if "II" in leads else 0
    lead = st.selectbox("Calipers on lead", leads, index=default, key="caliper_lead")
    start, labels = 0.0, premature_labels(d)
    dur = analysis.ecg.duration_s
    if dur > 10.0:
        from ecg.record import clock

        jumps = {"(choose with the slider)": None} | {
            f"{lab} at {clock(t / 1000, dur)}": t / 1000 for t, lab in labels[:500]} | {
            # (the view starts 5 s before the time jumped to: a stretch is shown from 1 s before it)
            f"artefact (no lead shows an ECG) at {clock(a, dur)}": a + 4.0
            for a, _ in ((d.get("beats") or {}).get("artefact_s") or [])[:100]}
        jump = st.selectbox("Jump to a premature beat (S = supraventricular, V = ventricular) or an artefact",
                            list(jumps), key="ecg_jump")
        start = st.slider("Start of the 10 s shown (s)", 0.0, float(dur - 10.0), 0.0, 1.0, key="ecg_start")
        if jumps[jump] is not None:
            start = max(0.0, jumps[jump] - 5.0)
    fig = plot_paper(analysis.ecg, calipers=calipers(d), caliper_lead=lead, start_s=start, beat_labels=labels,
                     title=f"{analysis.ecg.record_id}: 25 mm/s, 10 mm/mV")
    st.pyplot(fig, clear_figure=True)


def filters_caption(d: dict) -> str:
    """How the signal was conditioned before it was measured (``filters``), as a line under the
    measurement table: the band-pass, a mains notch, the PR-segment baseline spline."""
    f = d.get("filters") or {}
    band = filter_band(d)
    parts = [f"{band[0]:g}-{band[1]:g} Hz band-pass (zero phase)"]
    parts += [f"{hz:g} Hz notch (a mains hum was found)" for hz in f.get("mains_notch_hz") or []]
    if f.get("pr_spline"):
        parts.append(f"baseline straightened with a spline through the PR segments (the PR level stepped by "
                     f"{f['pr_wander_mv']:.2f} mV from beat to beat)")
    return "Measured on the signal after: " + "; ".join(parts) + ". The tracing is drawn unfiltered."


def show_measurements(analysis) -> None:
    d = analysis.measurement_dict
    st.subheader("Measurements" + (" (from image)" if analysis.source == "image" else ""))
    st.dataframe(measurement_table(d, analysis.source == "image", analysis.lead_quality, analysis.printed),
                 hide_index=True, width="stretch")
    if analysis.printed:
        st.caption("'printed on page': the recording machine's own values read from the image, shown to compare; "
                   "they are not used.")
    st.caption(filters_caption(d))
    with st.expander("Per-lead measurements (median beat)"):
        st.dataframe(lead_table(d), hide_index=True, width="stretch")
    lt = d.get("long_term") or {}
    if lt.get("per_window"):
        with st.expander(f"Long recording: {lt['n_windows']} windows of {lt['window_s']:g} s"):
            st.dataframe(window_table(lt), hide_index=True, width="stretch")
    findings = d.get("findings") or []
    if findings:
        st.subheader("Findings")
        for f in findings:
            st.markdown(f"- **{f['statement']}** — criterion: {f['criterion']}  \n  <small>{f['source']}</small>",
                        unsafe_allow_html=True)


def show_cases(analysis) -> None:
    st.subheader("Similar cases")
    if not analysis.cases:
        st.info(f"No similar cases: {analysis.library_error or 'the library returned none'}.")
        return
    for c in analysis.cases:
        labels = ", ".join(f"{v} ({k})" for k, v in c["labels"].items()) or "no labels"
        with st.expander(f"case {c['case_no']}: {c['record_id']} — similarity {c['similarity']:.2f}"):
            st.markdown(f"**Labels:** {labels}  \n**Cardiologist report:** {c['report'] or '—'}")
            ms = c.get("measurements") or {}
            st.caption(", ".join(f"{k} {round(v)}" for k, v in ms.items() if v is not None))


def show_digitization(meta: dict, overlay) -> None:
    st.subheader("Digitized from image")
    if overlay is not None:
        st.image(overlay[:, :, ::-1], caption="Traces followed by the digitizer, drawn over the image")
    q = meta.get("lead_quality") or {}
    reasons = meta.get("lead_quality_reasons") or {}
    st.dataframe(pd.DataFrame([{"lead": k, "quality": round(v, 2), "note": reasons.get(k, "")} for k, v in q.items()]),
                 hide_index=True)
    st.caption(f"layout {meta.get('layout')}, {meta.get('px_per_mm')} px/mm, rotation {meta.get('rotation_deg')}°, "
               f"calibration: {meta.get('calibration')}")
    if meta.get("header_measurements"):
        st.caption(f"Printed machine statements (evidence only, not trusted): {meta['header_measurements']}")
    from assistant.hedging import PAGE_FLAG_CAUTION

    for flag in meta.get("page_flags") or []:
        if flag in PAGE_FLAG_CAUTION:
            st.warning(f"This page: {PAGE_FLAG_CAUTION[flag][1]}.")
