"""Training Loop Lab: the library behind the dashboard (importable without Streamlit)."""
