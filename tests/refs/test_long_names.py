"""`?include=` with names as long as the spec allows: every relation and column stays distinct.

PostgreSQL cuts identifiers past 63 bytes without an error. The reading statement names each
joined target `included_<relation>` and each of its columns `<relation>__<column>`; cut, two
relations sharing a long prefix became one table name (a 500) and two long columns of one
target one label (a value lost). The statement is built and read here as the generated routes
do, on both databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.db import Database
from app.settings import Settings
from generated.references import SQL_NAME_LENGTH, Relation, sql_name, with_relations
from generated.support import row_dicts
from tests.fixtures import POSTGRES_HELP, scratch_postgres_url

pytestmark = pytest.mark.anyio

PREFIX = "relation_with_a_long_common_prefix_0123456789_abcdefghij"
"""56 characters: `included_` + it + `_one` is past 63, and cut there equals `..._two`."""
ONE, TWO = f"{PREFIX}_one", f"{PREFIX}_two"
LONG_X = "a_very_long_description_field_name_that_goes_on_and_on_x"
LONG_Y = "a_very_long_description_field_name_that_goes_on_and_on_y"


class Base(DeclarativeBase):
    pass


class Target(Base):
    __tablename__ = "long_name_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    a_very_long_description_field_name_that_goes_on_and_on_x: Mapped[str] = mapped_column(
        sa.String(10)
    )
    a_very_long_description_field_name_that_goes_on_and_on_y: Mapped[str] = mapped_column(
        sa.String(10)
    )


class Source(Base):
    __tablename__ = "long_name_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    relation_with_a_long_common_prefix_0123456789_abcdefghij_one_id: Mapped[int | None]
    relation_with_a_long_common_prefix_0123456789_abcdefghij_two_id: Mapped[int | None]


class TargetRead(BaseModel):
    id: int
    user_id: str
    a_very_long_description_field_name_that_goes_on_and_on_x: str
    a_very_long_description_field_name_that_goes_on_and_on_y: str


RELATIONS = [
    Relation(
        ONE,
        Source.user_id,
        Source.relation_with_a_long_common_prefix_0123456789_abcdefghij_one_id,
        Target,
        "user_id",
        TargetRead,
    ),
    Relation(
        TWO,
        Source.user_id,
        Source.relation_with_a_long_common_prefix_0123456789_abcdefghij_two_id,
        Target,
        "user_id",
        TargetRead,
    ),
]


def test_long_names_are_shortened_to_distinct_names_and_short_ones_kept() -> None:
    long_names = [f"included_{ONE}", f"included_{TWO}", f"{ONE}__{LONG_X}", f"{ONE}__{LONG_Y}"]
    shortened = [sql_name(name) for name in long_names]
    assert all(len(name) == SQL_NAME_LENGTH for name in shortened), shortened
    assert len(set(shortened)) == len(long_names)
    # The digest, not anything of this process (a hash seed): every worker names it alike.
    assert shortened[0] == "included_relation_with_a_long_common_prefix_0123456789_a051a27b"
    assert sql_name("included_project") == "included_project"
    assert sql_name("p" * SQL_NAME_LENGTH) == "p" * SQL_NAME_LENGTH


def test_the_reading_statement_names_nothing_past_postgresqls_limit() -> None:
    """What the server would cut, checked without one: the joined tables' aliases and the
    embedded columns' labels are at most 63 bytes and all distinct."""
    query = sa.select(Source)
    for relation in RELATIONS:
        query = relation.join(query)
    labels = [str(column.key) for column in query.selected_columns]
    aliases = [str(join.right.name) for join in _joins(query)]
    for names in (labels, aliases):
        assert len(set(names)) == len(names), names
        assert all(len(name.encode()) <= SQL_NAME_LENGTH for name in names), names
    assert len(aliases) == len(RELATIONS)


def _joins(query: sa.Select[Any]) -> list[Any]:
    """The outer joins of `query`, innermost first."""
    (joined,) = query.get_final_froms()
    joins = []
    while isinstance(joined, sa.Join):
        joins.append(joined)
        joined = joined.left
    return joins[::-1]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind (a scratch one on PostgreSQL)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'long.db'}"
    found = scratch_postgres_url("crudgen_test_long_names")
    if found is None:
        pytest.skip(POSTGRES_HELP)
    return found


@pytest.fixture
async def database(url: str) -> AsyncIterator[Database]:
    """The app's database object over `url`, holding the two tables."""
    database = Database(Settings(database_url=url))
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()


async def test_two_long_relations_embed_their_own_rows_with_every_long_column(
    database: Database,
) -> None:
    async with database.connect() as conn:
        await conn.execute(
            sa.insert(Target),
            [
                {"id": 1, "user_id": "al", LONG_X: "x1", LONG_Y: "y1"},
                {"id": 2, "user_id": "al", LONG_X: "x2", LONG_Y: "y2"},
            ],
        )
        await conn.execute(
            sa.insert(Source),
            [
                {"id": 1, "user_id": "al", f"{ONE}_id": 1, f"{TWO}_id": 2},
                {"id": 2, "user_id": "al", f"{ONE}_id": None, f"{TWO}_id": 1},
            ],
        )
        query = sa.select(Source).where(Source.user_id == "al").order_by(Source.id)
        for relation in RELATIONS:
            query = relation.join(query)
        rows = [with_relations(row, RELATIONS) for row in row_dicts(await conn.execute(query))]
    embedded: list[dict[str, Any]] = [
        {name: None if row[name] is None else row[name].model_dump() for name in (ONE, TWO)}
        for row in rows
    ]
    first = {"id": 1, "user_id": "al", LONG_X: "x1", LONG_Y: "y1"}
    second = {"id": 2, "user_id": "al", LONG_X: "x2", LONG_Y: "y2"}
    assert embedded == [{ONE: first, TWO: second}, {ONE: None, TWO: first}]
