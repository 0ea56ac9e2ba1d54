"""Entry point of the Streamlit app: `make run` (or `streamlit run streamlit_app.py`)."""
from ui.app import main

main()
