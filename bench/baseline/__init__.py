"""The hand-written baseline: the Task contract in FastAPI + SQLAlchemy 2.0 async ORM + asyncpg.

Served by `uvicorn bench.baseline.app:app`, against the same migrated `tasks` table as the
generated app. It is the yardstick of `make bench`: written the way a careful developer would
by hand, neither slowed down nor tuned for the benchmark.
"""
