"""Alembic migrations over the generated models (see env.py)."""
