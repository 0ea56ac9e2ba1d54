"""Shared fixtures: paths to the real records in ../shared/data and to the bundled case library."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PTBXL = SHARED / "ptbxl" / "records500"
LUDB = SHARED / "ludb" / "data"
MITBIH = SHARED / "mitbih"
PHOTOS = SHARED / "images" / "ecg-image-kit"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.fail(f"The real test data folder {SHARED} is missing; clone the project beside ../shared.")
    return SHARED


@pytest.fixture(scope="session")
def ptbxl_record(shared_data) -> Path:
    return PTBXL / "00000" / "00001_hr"


@pytest.fixture(scope="session")
def case_library(tmp_path_factory):
    """The case library built from the project's bundled PTB-XL records (data/ptbxl), into a temp folder."""
    from retrieval import CaseLibrary

    return CaseLibrary.build(ROOT / "data" / "ptbxl", tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def record(shared_data):
    """Real PTB-XL record 00003_hr, the source signal of the renderer and digitizer tests."""
    from ecg import load

    return load(PTBXL / "00000" / "00003_hr")


@pytest.fixture(scope="session")
def clean_page(record):
    """``record`` printed as a clean 3x4+1 page at 200 dpi on a red grid (rendered once per run)."""
    from ecg.render import render_paper

    return render_paper(record, layout="3x4+1", dpi=200, grid_color="red", seed=0)


@pytest.fixture(scope="session")
def digitized_page(clean_page):
    """``clean_page`` read back by the digitizer, and the measurements of the digitized signal."""
    from ecg.digitize import digitize
    from ecg.measure import measure

    dig = digitize(clean_page.image, ocr=False)
    return dig, measure(dig).to_dict()
