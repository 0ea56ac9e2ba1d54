"""The Streamlit page driven by streamlit.testing.v1.AppTest: demo record, table, chat answer with citation,
and a bad upload that leaves the loaded record in place."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import PHOTOS

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception
    at.button(key="demo").click().run()
    assert not at.exception, at.exception
    return at


def test_demo_record_loads_with_measurement_table(app):
    table = app.dataframe[0].value
    names = list(table["measurement"])
    for name in ("Heart rate", "PR interval", "QRS duration", "QT interval", "QTc (Bazett)", "QTc (Fridericia)", "QRS axis"):
        assert name in names
    hr = float(table.loc[table["measurement"] == "Heart rate", "value"].iloc[0])
    assert 30 < hr < 200
    # each global interval carries its estimated uncertainty, the rate does not
    d = app.session_state["analysis"].measurement_dict
    for name, key in (("PR interval", "pr_ms"), ("QRS duration", "qrs_ms"), ("QT interval", "qt_ms")):
        pm = table.loc[table["measurement"] == name, "+/- ms"].iloc[0]
        assert pm == round(d["uncertainty_ms"][key]), (name, pm)
    assert table.loc[table["measurement"] == "Heart rate", "+/- ms"].isna().all()
    # ... and what that uncertainty is made of, the largest part first
    parts = d["confidence_evidence"]["qt_ms"]["uncertainty_parts_ms"]
    top = max(parts, key=parts.get)
    shown = table.loc[table["measurement"] == "QT interval", "uncertainty from (ms)"].iloc[0]
    assert shown.startswith({"split_half": "odd vs even beats", "t_end_dispersion": "T ends across leads",
                             "flat_t_leads": "flat T leads", "sampling": "sampling"}[top] + f" {round(parts[top])}")
    # the per-lead table: one row per lead with the median-beat amplitudes and their confidence
    leads = app.dataframe[1].value
    assert list(leads["lead"]) == d["leads"]
    for _, row in leads.iterrows():
        pl = d["per_lead"][row["lead"]]
        assert row["R mV"] == round(pl["r_amp_mv"], 3) and row["amplitude confidence"] == pl["amplitude_confidence"]
    assert any("similarity" in e.label for e in app.expander)


def test_chat_question_gets_a_cited_answer(app):
    app.chat_input[0].set_value("What is the heart rate?").run()
    assert not app.exception
    replies = [m for m in app.chat_message if m.name == "assistant"]
    assert replies
    text = " ".join(md.value for md in replies[-1].markdown)
    assert "[HR " in text and "bpm]" in text and "clinician must overread" in text


def test_bad_upload_keeps_the_loaded_record(app):
    before = app.session_state["analysis"].ecg.record_id
    app.file_uploader[0].set_value([("notes.csv", b"name,comment\nalice,hi\n", "text/csv")]).run()
    assert not app.exception
    assert any("no numeric lead columns" in e.value for e in app.error)
    assert app.session_state["analysis"].ecg.record_id == before


def test_phone_photo_upload_digitizes_and_chat_answers_from_it(app):
    """Issue 4's end-to-end check: a real phone photo of a paper ECG, uploaded in the app, gives a
    digitized record marked as from an image, the trace overlay and lead quality, and a grounded
    chat answer about its heart rate and intervals."""
    photo = PHOTOS / "ecg00027.jpg"
    app.file_uploader[0].set_value([(photo.name, photo.read_bytes(), "image/jpeg")]).run()
    assert not app.exception, app.exception
    analysis = app.session_state["analysis"]
    assert analysis.source == "image" and analysis.ecg.record_id == "ecg00027"
    assert any("Traces followed by the digitizer" in (im.caption or "") for im in app.get("imgs")) or \
        app.session_state["overlay"] is not None
    table = app.dataframe[0].value  # the digitizer's per-lead quality
    assert set(table["lead"]) >= {"I", "II", "V1", "V6"}
    meas = app.dataframe[1].value  # the measurement table, marked as from the image
    assert set(meas["source"].dropna()) >= {"from image"}
    for _, row in meas[meas["confidence"].notna()].iterrows():  # what the chat withholds, the table says
        if row["confidence"] < 0.1 and row["measurement"] in ("PR interval", "QRS duration", "QT interval"):
            assert row["note"].startswith("withheld in the chat"), row.to_dict()
    hr_measured = analysis.measurement_dict["heart_rate_bpm"]
    app.chat_input[0].set_value("What are the heart rate and the PR, QRS and QT intervals?").run()
    assert not app.exception
    text = " ".join(md.value for md in [m for m in app.chat_message if m.name == "assistant"][-1].markdown)
    assert f"[HR {round(hr_measured)} bpm]" in text
    assert "digitized from an image" in text and "clinician must overread" in text
    # each interval is either stated with its tag or withheld with the reason, never silently dropped
    m = analysis.measurement_dict
    for key, tag, name in (("pr_ms", "[PR ", "PR interval"), ("qrs_ms", "[QRS ", "QRS duration"),
                           ("qt_ms", "[QT ", "QT interval")):
        conf = m["confidence"].get(key)
        if m[key] is not None and conf is not None and conf >= 0.1:
            assert f"{tag}{round(m[key])} ms]" in text, key
        else:
            assert f"{tag}" not in text and (f"could not measure the {name}" in text), key


def test_long_record_window_table():
    """The app's table of a long record's windows (MIT-BIH 100, 30 min): one row per window, its
    start as min:s, its rate and premature-beat counts as measured."""
    from conftest import MITBIH
    from ecg import load
    from ecg.measure import measure
    from ui.views import window_table

    lt = measure(load(MITBIH / "100")).long_term
    t = window_table(lt)
    assert len(t) == lt["n_windows"] and t["start"].iloc[1] == "1:00.0"
    assert list(t["HR bpm"]) == [e["heart_rate_bpm"] for e in lt["per_window"]]
    assert t["PAC"].sum() + t["PVC"].sum() == sum(e["n_premature_supraventricular"] + e["n_premature_ventricular"]
                                                  for e in lt["per_window"]) > 0


def _ecg_view_of(record: str):
    """The app's ECG view (``ui.views.show_ecg``) of the MIT-BIH-folder record ``record``, run
    once in an AppTest; the analysis is kept in its session state under ``"a"``."""
    def page(record: str):
        import streamlit as st

        from assistant.service import analyze
        from conftest import MITBIH
        from ecg import load
        from ui.views import show_ecg

        if "a" not in st.session_state:
            st.session_state["a"] = analyze(load(MITBIH / record))
        show_ecg(st.session_state["a"])

    at = AppTest.from_function(page, args=(record,), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    return at


def test_long_record_view_jumps_to_a_premature_beat():
    """The ECG view of a long record (MIT-BIH 100) offers its premature beats to jump to; choosing
    the ventricular one shows the 10 s around it."""
    at = _ecg_view_of("100")
    box = at.selectbox(key="ecg_jump")
    v = [o for o in box.options if o.startswith("V at ")]
    assert len(v) == 1 and sum(o.startswith("S at ") for o in box.options) >= 20
    box.set_value(v[0]).run()
    assert not at.exception, at.exception


def test_long_record_view_jumps_to_a_stretch_of_artefact():
    """The ECG view of CinC 2015 a103l offers its stretches where no lead shows an ECG to jump to,
    one per stretch that the measurement lists; choosing one shows the tracing from 1 s before it."""
    at = _ecg_view_of("a103l")
    box = at.selectbox(key="ecg_jump")
    art = [o for o in box.options if o.startswith("artefact ")]
    n = len(at.session_state["a"].measurement_dict["beats"]["artefact_s"])
    assert n and len(art) == n, (art, n)
    box.set_value(art[0]).run()
    assert not at.exception, at.exception


def test_measurements_say_how_the_signal_was_filtered():
    """Under the measurement table: the band the intervals were measured in, and a mains notch
    where the record carries a hum (PTB-XL 304, a real 50 Hz hum) but not where it does not
    (PTB-XL 1)."""
    from conftest import PTBXL
    from ecg import load
    from ecg.measure import measure
    from ui.views import filters_caption

    hum = filters_caption(measure(load(PTBXL / "00000" / "00304_hr")).to_dict())
    plain = filters_caption(measure(load(PTBXL / "00000" / "00001_hr")).to_dict())
    assert "0.5-40 Hz band-pass" in hum and "50 Hz notch" in hum and "spline" not in hum, hum
    assert "0.5-40 Hz band-pass" in plain and "notch" not in plain, plain
