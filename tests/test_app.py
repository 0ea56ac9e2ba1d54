"""The Streamlit page driven by streamlit.testing.v1.AppTest: demo record, table, chat answer with citation,
and a bad upload that leaves the loaded record in place."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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
    # the loader is the same one the uploader calls; a text CSV is refused with a clear message
    from ui import app as page

    class _Upload:
        name, size = "notes.csv", 20

        @staticmethod
        def getvalue():
            return b"name,comment\nalice,hi\n"

    import streamlit as st

    st.session_state.clear()
    st.session_state.update(analysis=app.session_state["analysis"], error=None)
    page._load_upload([_Upload()], 500.0)
    assert "no numeric lead columns" in st.session_state.error
    assert st.session_state.analysis.ecg.record_id == before
