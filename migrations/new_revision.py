"""`make migration m="..."`: autogenerate the next revision, numbered 0001, 0002, ...

Sequential ids make the history readable at a glance and the file names sort in order.
Applied revisions are never edited: a spec change always adds a new one.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

VERSIONS = Path(__file__).resolve().parent / "versions"


def next_revision_id() -> str:
    numbers = [
        int(match.group(1))
        for path in VERSIONS.glob("*.py")
        if (match := re.match(r"^(\d{4})_", path.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print('usage: python -m migrations.new_revision "what changed"', file=sys.stderr)
        return 2
    config = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    command.revision(config, message=argv[0], autogenerate=True, rev_id=next_revision_id())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
