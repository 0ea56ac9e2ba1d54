"""Case library: FAISS search over measured PTB-XL records with their reports and labels."""
from .library import Case, CaseLibrary, LibraryError, open_or_build

__all__ = ["Case", "CaseLibrary", "LibraryError", "open_or_build"]
