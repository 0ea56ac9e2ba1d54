"""The ECG assistant page: upload or demo, ECG on paper with calipers, measurements, findings,
similar cases and the grounded chat."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant import offline  # noqa: F401
from ecg.errors import ECGError

from . import views
from .state import case_library, language_model, session_defaults

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_RECORDS = {
    "00001_hr (PTB-XL: sinus rhythm, low limb-lead voltage)": "records500/00000/00001_hr",
    "00102_hr (PTB-XL: first-degree AV block)": "records500/00000/00102_hr",
    "00256_hr (PTB-XL: left bundle branch block, PVC)": "records500/00000/00256_hr",
    "00351_hr (PTB-XL: atrial fibrillation)": "records500/00000/00351_hr",
    "00007_hr (PTB-XL: report mentions QT prolongation)": "records500/00000/00007_hr",
}
SIGNAL_TYPES = ["hea", "dat", "csv"]
IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "pdf"]
EXAMPLES = ["What is the heart rate?", "Is the QT prolonged?", "What is the axis?", "Are there extra beats?",
            "What is the ST level in V2?", "Show me similar cases", "What does a long QTc mean?",
            "Walk me through this ECG"]


def _set_analysis(ecg) -> None:
    """Analyze a newly loaded ECG; on error keep what was loaded before and show why."""
    from assistant.service import analyze, demographics_from_library

    library, _ = case_library()
    demographics_from_library(ecg, library)
    analysis = analyze(ecg, library)
    st.session_state.update(analysis=analysis, messages=[], error=None, assistant=None)


def _load_demo(rel: str) -> None:
    from ecg import load

    try:
        _set_analysis(load(PROJECT_ROOT / "data" / "ptbxl" / rel))
        st.session_state.update(image=None, overlay=None)
    except ECGError as exc:
        st.session_state.error = str(exc)


def _load_upload(files, fs: float | None) -> None:
    from ecg import load_uploaded

    names = [f.name for f in files]
    images = [f for f in files if Path(f.name).suffix.lower().lstrip(".") in IMAGE_TYPES]
    try:
        if images:
            _load_image(images[0])
        else:
            _set_analysis(load_uploaded({f.name: f.getvalue() for f in files}, fs=fs))
            st.session_state.update(image=None, overlay=None)
    except ECGError as exc:
        st.session_state.error = f"Could not use {', '.join(names)}: {exc}"


def _load_image(file) -> None:
    try:
        from ecg.digitize import digitize, overlay
    except ImportError as exc:
        raise ECGError(f"{file.name} is an image, and image digitization is not available in this installation "
                       f"({exc}). Upload a WFDB record or a CSV instead.") from exc
    bar = st.progress(0.0, text=f"Digitizing {file.name}...")

    def progress(frac: float, msg: str) -> None:
        bar.progress(min(max(frac, 0.0), 1.0), text=msg)

    try:
        ecg = digitize(file.getvalue(), progress=progress)
    finally:
        bar.empty()
    ecg.meta["record_id"] = Path(file.name).stem
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(file.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    _set_analysis(ecg)
    st.session_state.update(image=file.name, overlay=overlay(img, ecg) if img is not None else None)


def _sidebar() -> None:
    with st.sidebar:
        st.header("ECG")
        demo = st.selectbox("Demo record (real PTB-XL)", list(DEMO_RECORDS))
        if st.button("Load demo record", key="demo"):
            _load_demo(DEMO_RECORDS[demo])
        files = st.file_uploader("Upload a WFDB record (.hea + .dat together), a CSV, or an ECG image",
                                 type=SIGNAL_TYPES + IMAGE_TYPES, accept_multiple_files=True)
        fs = st.number_input("Sampling rate for a CSV without one (Hz)", min_value=0, max_value=10000, value=0,
                             help="0: read it from the file (an 'fs' column or a '# fs=500' line)")
        if files:
            key = tuple((f.name, f.size) for f in files)
            if key != st.session_state.upload_key:
                st.session_state.upload_key = key
                _load_upload(files, float(fs) if fs else None)
        st.caption("Runs fully offline. Case library: PTB-XL (CC BY 4.0, Wagner et al. 2020).")


def _chat(analysis) -> None:
    from assistant.chat import Assistant

    st.subheader("Ask about this ECG")
    st.caption("Try: " + " · ".join(f"“{q}”" for q in EXAMPLES))
    if st.session_state.assistant is None:
        llm, err = language_model()
        if err:
            st.warning(f"The local language model is unavailable ({err}); answers are the grounded replies only.")
        st.session_state.assistant = Assistant(llm=llm)
    for msg in st.session_state.messages:
        with st.chat_message(msg["role"]):
            st.markdown(msg["content"])
    question = st.chat_input("Ask about rate, rhythm, intervals, axis, similar cases...")
    if question:
        st.session_state.messages.append({"role": "user", "content": question})
        with st.chat_message("user"):
            st.markdown(question)
        with st.chat_message("assistant"):
            with st.spinner("Thinking..."):
                ans = st.session_state.assistant.answer(
                    question, analysis.measurement_dict, cases=analysis.cases, sex=analysis.sex,
                    source=analysis.source, lead_quality=analysis.lead_quality,
                    printed=analysis.printed, page_flags=analysis.page_flags)
            st.markdown(ans.text)
            if ans.fallback_reason:
                st.caption(f"Model text not shown ({ans.fallback_reason[:160]}); grounded reply given instead.")
        st.session_state.messages.append({"role": "assistant", "content": ans.text})


def main() -> None:
    st.set_page_config(page_title="ECG assistant", page_icon="🫀", layout="wide")
    session_defaults()
    st.title("ECG assistant")
    st.caption("Measures first, shows what it measured and the cases it used, and checks every number it says.")
    _sidebar()
    if st.session_state.error:
        st.error(st.session_state.error)
    analysis = st.session_state.analysis
    if analysis is None:
        st.info("Load the demo record or upload an ECG to begin.")
        return
    left, right = st.columns([3, 2])
    with left:
        if analysis.source == "image":
            views.show_digitization(analysis.ecg.meta.get("digitization", {}), st.session_state.overlay)
        views.show_ecg(analysis)
    with right:
        views.show_measurements(analysis)
        views.show_cases(analysis)
    _chat(analysis)
