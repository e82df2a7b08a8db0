"""initial schema: the tasks table and its owner-leading indexes

Revision ID: 0001
Revises:
Create Date: 2026-11-27 07:47:43.711232
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column(
            "title",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "description",
            sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_user_id_created_at_id", ["user_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_tasks_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index("ix_tasks_user_id_title_id", ["user_id", "title", "id"], unique=False)
        batch_op.create_index(
            "ix_tasks_user_id_updated_at_id", ["user_id", "updated_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_user_id_updated_at_id")
        batch_op.drop_index("ix_tasks_user_id_title_id")
        batch_op.drop_index("ix_tasks_user_id_id")
        batch_op.drop_index("ix_tasks_user_id_created_at_id")

    op.drop_table("tasks")
