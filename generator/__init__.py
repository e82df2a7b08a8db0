"""Turns a YAML resource spec into an owner-scoped FastAPI + SQLAlchemy + FastCRUD application.

The pipeline is load -> validate -> render -> output; only `cli` prints or exits.
"""
