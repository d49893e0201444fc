"""Lesson maths, no Streamlit: loss penalties, the loop walkthrough, 2-D surfaces, curvature theory, verdicts."""
