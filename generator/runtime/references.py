"""References between rows of one owner (`type: ref`): their keys, DDL, errors and joins.

A reference is FOREIGN KEY (owner, field) REFERENCES target (owner, id), so the database
itself refuses a row that points at another owner's row, whoever writes it. What differs
between SQLite and PostgreSQL (SET NULL of the field alone) is settled here, as is turning a
refused write into the answer the API gives. Copied into `generated/` like `support`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ForeignKeyConstraint, Select, Table, and_, event, literal, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.compiler import DDLCompiler

from generated.support import from_database

OnDelete = Literal["restrict", "cascade", "set_null"]


class OwnedReference(ForeignKeyConstraint):
    """FOREIGN KEY (owner, field) REFERENCES target (owner, id): a row can point only at a row
    of its own owner, whichever client writes it, since the owner is part of the key.

    `set_null` must null the field alone, never the owner column that is part of the key.
    PostgreSQL (15+) says so with a column list, `ON DELETE SET NULL (field)`; SQLite has no
    column list, so there the constraint takes no action and a trigger on the target nulls
    the field before the target row goes (the constraint still checks the result).
    """

    inherit_cache = True

    def __init__(
        self,
        owner: str,
        field: str,
        target: str,
        target_owner: str,
        *,
        on_delete: OnDelete,
        name: str,
    ) -> None:
        action = {"restrict": "RESTRICT", "cascade": "CASCADE", "set_null": f"SET NULL ({field})"}
        super().__init__(
            [owner, field],
            [f"{target}.{target_owner}", f"{target}.id"],
            name=name,
            ondelete=action[on_delete],
        )
        self.field = field
        if on_delete == "set_null":
            event.listen(self, "after_parent_attach", self._add_sqlite_trigger)

    def _add_sqlite_trigger(self, _constraint: Any, table: Table) -> None:
        def create(_metadata: Any, connection: Connection, **_kw: Any) -> None:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql(set_null_trigger(self))
            else:
                for statement in set_null_version_trigger(self):
                    connection.exec_driver_sql(statement)

        # Once every table exists: the trigger sits on the target, which two resources that
        # point at each other cannot both create before the other.
        event.listen(table.metadata, "after_create", create)


def set_null_trigger(reference: ForeignKeyConstraint, *, versioned: bool | None = None) -> str:
    """SQLite's `ON DELETE SET NULL (field)`: a trigger on the target that nulls the field only.

    It leaves every other column as it is (`updated_at` too), except a `version`
    (`concurrency`), which moves since the row's JSON changes; the constraint, which takes no
    action on SQLite, then finds nothing pointing at the deleted row. Migrations create it
    anew after every run (a batch rebuild of the target drops its triggers); `versioned` says
    whether the migrated table has its `version` yet (by default, whether the model has one).
    """
    owner, field = (element.parent for element in reference.elements)
    target_owner, target_id = (element.column for element in reference.elements)
    if versioned is None:
        versioned = _is_versioned(owner.table)
    version = ', "version" = "version" + 1' if versioned else ""
    return (
        f'CREATE TRIGGER "{reference.name}_set_null" BEFORE DELETE ON "{target_owner.table.name}" '
        f'FOR EACH ROW BEGIN UPDATE "{owner.table.name}" SET "{field.name}" = NULL{version} '
        f'WHERE "{owner.name}" = OLD."{target_owner.name}" '
        f'AND "{field.name}" = OLD."{target_id.name}"; END'
    )


NEXT_VERSION_FUNCTION = "next_row_version"
"""PostgreSQL function of the `set_null_version_trigger`s: `NEW.version := OLD.version + 1`."""


def _is_versioned(table: Any) -> bool:
    return "version" in table.c


def set_null_version_trigger(reference: ForeignKeyConstraint) -> list[str]:
    """PostgreSQL's half of a `set_null` on a table with a `version`: the statements that make
    the row's version move when `ON DELETE SET NULL (field)` empties the reference (none when
    the table has no version).

    The action is the database's own UPDATE, so a trigger moves the version; the API's writes
    move it themselves, and the trigger leaves a row alone whose version already moved.
    Migrations create it anew after every run, as SQLite's trigger.
    """
    owner, field = (element.parent for element in reference.elements)
    if not _is_versioned(owner.table):
        return []
    return [
        f"CREATE OR REPLACE FUNCTION {NEXT_VERSION_FUNCTION}() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN NEW.version := OLD.version + 1; RETURN NEW; END $$",
        f'CREATE OR REPLACE TRIGGER "{reference.name}" BEFORE UPDATE OF "{field.name}" '
        f'ON "{owner.table.name}" FOR EACH ROW WHEN (NEW."version" = OLD."version") '
        f"EXECUTE FUNCTION {NEXT_VERSION_FUNCTION}()",
    ]


def has_column_list(action: str | None) -> bool:
    """Whether an ON DELETE action names its columns (`SET NULL (project_id)`)."""
    return action is not None and "(" in action


@compiles(ForeignKeyConstraint, "sqlite")
def _sqlite_foreign_key(constraint: ForeignKeyConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    """A foreign key without PostgreSQL's column list, which SQLite cannot parse.

    Migrations write the constraint as the models declare it; on SQLite the trigger of
    `set_null_trigger` does what the column list says.
    """
    if not has_column_list(constraint.ondelete):
        return compiler.visit_foreign_key_constraint(constraint, **kw)
    action, constraint.ondelete = constraint.ondelete, None
    try:
        return compiler.visit_foreign_key_constraint(constraint, **kw)
    finally:
        constraint.ondelete = action


class ReferenceNotFound(Exception):
    """A write named, in `fields`, no row of its owner: a missing one or another owner's (422).

    The database refused it (the composite foreign key), so nothing was written.
    """

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__(f"no row of this owner for {', '.join(fields)}")
        self.fields = fields


class ReferenceInUse(Exception):
    """A delete refused because rows still point at the row (`on_delete: restrict`): 409."""


# SQLSTATE 23503 foreign_key_violation and 23001 restrict_violation (PostgreSQL).
_REFERENCE_STATES = ("23503", "23001")


def _driver_error(error: sa_exc.DBAPIError) -> Any:
    """The driver's own exception: asyncpg's behind SQLAlchemy's adapter, or sqlite3's."""
    return getattr(error.orig, "__cause__", None) or error.orig


def _is_reference_violation(error: sa_exc.IntegrityError) -> bool:
    driver = _driver_error(error)
    if getattr(driver, "sqlstate", None) in _REFERENCE_STATES:
        return True
    # SQLite words every foreign-key failure so; its code is SQLITE_CONSTRAINT_FOREIGNKEY, or
    # SQLITE_CONSTRAINT_TRIGGER when a RESTRICT action refused a delete.
    return str(error.orig) == "FOREIGN KEY constraint failed"


async def refuse_reference(
    conn: AsyncConnection,
    error: sa_exc.IntegrityError,
    table: FromClause,
    owner: str,
    values: Mapping[str, Any],
) -> None:
    """Raise `ReferenceNotFound` when the write that failed with `error` broke a reference.

    PostgreSQL names the constraint, and so the field. SQLite names none, but it checks
    every constraint of the one statement: the culprit is among the references the write set
    to a value. When there are several, each is looked up (the write failed, so nothing was
    written whatever the lookup finds; it only chooses which field the answer names).
    """
    if not _is_reference_violation(error):
        return
    constraints = table.constraints if isinstance(table, Table) else set()
    columns = list(table.columns.keys())
    references = sorted(
        (c for c in constraints if isinstance(c, OwnedReference)),
        key=lambda reference: columns.index(reference.field),
    )
    failed = getattr(_driver_error(error), "constraint_name", None)
    named = [c for c in references if c.name == failed]
    if not named:
        named = [c for c in references if values.get(c.field) is not None]
    if len(named) > 1:
        missing = [c for c in named if not await _points_at_own_row(conn, c, owner, values)]
        named = missing or named
    raise ReferenceNotFound(tuple(c.field for c in named)) from error


async def _points_at_own_row(
    conn: AsyncConnection, reference: OwnedReference, owner: str, values: Mapping[str, Any]
) -> bool:
    target_owner, target_id = (element.column for element in reference.elements)
    found = select(literal(1)).where(target_owner == owner, target_id == values[reference.field])
    return (await conn.execute(found)).first() is not None


@contextmanager
def deletion_guarded() -> Iterator[None]:
    """Turn a delete that a `restrict` reference refuses into `ReferenceInUse`."""
    try:
        yield
    except sa_exc.IntegrityError as error:
        if not _is_reference_violation(error):
            raise
        raise ReferenceInUse("rows still point at this row; delete or change them first") from error


SQL_NAME_LENGTH = 63
"""PostgreSQL's longest identifier: it cuts longer ones, silently, so two can become one."""


def sql_name(name: str) -> str:
    """`name`, or for one longer than PostgreSQL keeps, its first 54 characters and 8 hex
    digits of its digest, as SQLAlchemy shortens long constraint names: cut by the server,
    `included_<long relation>_one` and `..._two` would be one table name (an error), and the
    labels of two long fields one column (a value lost)."""
    if len(name) <= SQL_NAME_LENGTH:
        return name
    digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()[-8:]
    return f"{name[: SQL_NAME_LENGTH - 9]}_{digest}"


@dataclass(frozen=True)
class Relation:
    """A reference `?include=` may embed: the target row under the relation's name.

    The target is joined in the statement that reads the rows (a LEFT JOIN on the owner and
    the id, so a null reference embeds null), never fetched with a query per row. The join's
    alias is `included_<name>` and each target column's label `<name>__<column>`, through
    `sql_name` so that long names stay distinct.
    """

    name: str
    owner: Any
    """The referencing resource's owner column (`Task.user_id`)."""
    field: Any
    """The reference (`Task.project_id`)."""
    target: Any
    """The target's mapped class."""
    target_owner: str
    read: type[BaseModel]
    """The target's response schema."""
    labels: dict[str, str] = dataclasses.field(init=False, repr=False, compare=False)
    """Each of the target's fields, by the label its column is read under."""

    def __post_init__(self) -> None:
        labels = {sql_name(f"{self.name}__{key}"): key for key in self.read.model_fields}
        object.__setattr__(self, "labels", labels)

    def join(self, query: Select[Any]) -> Select[Any]:
        target = aliased(self.target, name=sql_name(f"included_{self.name}"))
        on = and_(getattr(target, self.target_owner) == self.owner, target.id == self.field)
        columns = [getattr(target, key).label(label) for label, key in self.labels.items()]
        return query.outerjoin(target, on).add_columns(*columns)

    def embed(self, row: dict[str, Any]) -> None:
        """Move the joined columns of `row` into one embedded target (or None)."""
        values = {key: row.pop(label) for label, key in self.labels.items()}
        row[self.name] = None if values["id"] is None else from_database(self.read, values)


def split_names(value: object) -> object:
    """`?include=a,b`, or `?include=a&include=b`: each name once, sorted.

    One order per set of names, so the statement cache holds a statement per set rather than
    one per ordering a client may send.
    """
    if isinstance(value, list):
        return sorted({name for item in value for name in str(item).split(",")})
    return value


def with_relations(row: dict[str, Any], relations: Sequence[Relation]) -> dict[str, Any]:
    for relation in relations:
        relation.embed(row)
    return row
