"""The floor under the Task API's read routes, for `make bench`'s decomposition.

Two apps serve `GET /api/{owner}/tasks` (the first page) and `GET /api/{owner}/tasks/{id}`
with the same SQL and JSON as the generated app, minus one layer each:
- `fastapi_asyncpg`: FastAPI routes straight on an asyncpg pool (no SQLAlchemy, no FastCRUD);
- `bare`: a bare ASGI callable on the same pool (no FastAPI or Starlette either).

They check nothing else (no 422s, no envelope): they show how much of a request the framework
and the database layer cost, not an alternative to the generated app.
"""
