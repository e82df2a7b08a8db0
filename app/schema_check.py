"""Does the database's schema match the code? Alembic's revision in the database against the
head revision of `migrations/`, so `/readyz` can say "run make migrate" instead of letting every
request of a new resource fail.

The answer is cached once the two agree: a ready probe then costs one `SELECT 1`, not a look
at the schema. A request that meets a missing table or column clears the cache, so the next
probe looks again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

# alembic.ini's `script_location`; read directly, as the app needs nothing else of the ini.
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
logger = logging.getLogger("app.schema")


def _database_heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


class SchemaCheck:
    """Compares the database's revision with the code's, until they are seen to agree."""

    def __init__(self, migrations: Path = MIGRATIONS) -> None:
        self._migrations = migrations
        self._script: ScriptDirectory | None = None
        self.confirmed = False

    def _scripts(self) -> ScriptDirectory | None:
        """The revisions, read once; None where the app runs without `migrations/`."""
        if self._script is None and (self._migrations / "env.py").is_file():
            config = Config()
            config.set_main_option("script_location", str(self._migrations))
            self._script = ScriptDirectory.from_config(config)
        return self._script

    async def problem(self, connection: AsyncConnection) -> str | None:
        """What is wrong with the schema, in words that name the fix; None when it matches."""
        script = self._scripts()
        needed = tuple(sorted(script.get_heads())) if script is not None else ()
        if not needed:
            self.confirmed = True
            return None
        current = tuple(sorted(await connection.run_sync(_database_heads)))
        if current == needed:
            self.confirmed = True
            return None
        known = {revision.revision for revision in script.walk_revisions()} if script else set()
        if current and not set(current) <= known:
            # A newer release migrated the database (a rolling deploy): its migrations keep
            # old code working, so this process stays ready rather than drop out mid-rollout.
            logger.warning(
                "the database is at revision %s, which this code does not know (the code's "
                "latest is %s); serving anyway, as a newer release has migrated it",
                ", ".join(current),
                ", ".join(needed),
            )
            self.confirmed = True
            return None
        at = ", ".join(current) if current else "none (no migration applied)"
        return (
            f"the database schema is at revision {at} but the code needs {', '.join(needed)}: "
            "run `make migrate` (alembic upgrade head)"
        )

    def invalidate(self) -> None:
        """Look at the schema again on the next probe."""
        self.confirmed = False
