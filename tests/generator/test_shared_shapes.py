"""Paths that share a shape are served as the format says: a fixed segment beats a placeholder.

The `shared_shapes` golden has Task at `/{user_id}/tasks` and Note at `/owners/{owner}/notes`
(list and create only). `/api/owners/tasks/notes` matches Note's collection and Task's item;
Note's fixed `owners` wins, for every method. The golden is served by the hand-written app in
a scratch root (generated code and app side by side, no extensions) on SQLite.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fixtures import ROOT
from tests.generator.test_golden import CASES
from tests.generator.test_goldens_typecheck import install_golden

NO_EXTENSIONS = '"""No extensions."""\n\nEXTENSIONS = ()\n'

# Creates the tables, then sends each request of stdin's JSON list in order and prints, for
# each, [status, Allow header or null, JSON body or null].
SERVE = """
import asyncio, json, sys
import httpx
from sqlalchemy.ext.asyncio import create_async_engine
from app.main import create_app
from app.settings import Settings
from generated.models import Base

async def main() -> None:
    url = sys.argv[1]
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    app = create_app(Settings(database_url=url))
    transport = httpx.ASGITransport(app=app)
    answers = []
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for method, path, body in json.load(sys.stdin):
            response = await client.request(method, path, json=body)
            content = response.json() if response.content else None
            answers.append([response.status_code, response.headers.get("allow"), content])
    await app.state.database.dispose()
    print(json.dumps(answers))

asyncio.run(main())
"""


def _serve(root: Path, requests: list[tuple[str, str, Any]]) -> list[list[Any]]:
    url = f"sqlite+aiosqlite:///{root / 'app.db'}"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", SERVE, url],
        cwd=root,
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers: list[list[Any]] = json.loads(result.stdout)
    return answers


def test_each_url_reaches_the_resource_whose_fixed_segment_wins(tmp_path: Path) -> None:
    root = install_golden(CASES / "shared_shapes", tmp_path)
    shutil.copytree(ROOT / "app", root / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(root / "app" / "extensions")
    (root / "app" / "extensions").mkdir()
    (root / "app" / "extensions" / "__init__.py").write_text(NO_EXTENSIONS)
    # (method, path, body) -> (status, Allow, what the body shows)
    cases: list[tuple[tuple[str, str, Any], tuple[int, str | None, Any]]] = [
        # Two segments: only Task's collection, even for the user called "owners".
        (("POST", "/api/owners/tasks", {"title": "t"}), (201, None, ("task of", "owners"))),
        (("GET", "/api/owners/tasks", None), (200, None, ("tasks of", ["owners"]))),
        (("DELETE", "/api/owners/tasks", None), (405, "GET, POST", None)),
        # Three segments, `owners` first: Note's collection (owner "tasks"), not Task's item.
        (("POST", "/api/owners/tasks/notes", {"body": "n"}), (201, None, ("note of", "tasks"))),
        (("GET", "/api/owners/tasks/notes", None), (200, None, ("notes of", ["tasks"]))),
        (("DELETE", "/api/owners/tasks/notes", None), (405, "GET, POST", None)),
        (("PUT", "/api/owners/tasks/notes", {"title": "t"}), (405, "GET, POST", None)),
        (("OPTIONS", "/api/owners/tasks/notes", None), (405, "GET, POST", None)),
        (("GET", "/api/owners/bob/notes", None), (200, None, ("notes of", []))),
        # Three segments that Note's path cannot match: Task's item.
        (("GET", "/api/owners/tasks/1", None), (200, None, ("task of", "owners"))),
        (("PATCH", "/api/owners/tasks/1", {"title": "u"}), (200, None, ("task of", "owners"))),
        (("GET", "/api/alice/tasks/notes", None), (422, None, None)),
        (("POST", "/api/owners/tasks/1", None), (405, "DELETE, GET, PATCH, PUT", None)),
        # Note's item serves nothing: 405 for every method, with nothing to allow.
        (("GET", "/api/owners/tasks/notes/1", None), (405, "", None)),
    ]
    answers = _serve(root, [request for request, _ in cases])
    for (request, (status, allow, shows)), (got_status, got_allow, body) in zip(
        cases, answers, strict=True
    ):
        assert (got_status, got_allow) == (status, allow), (request, body)
        if shows is None:
            continue
        what, owner = shows
        if what == "task of":
            assert body["user_id"] == owner, (request, body)
        elif what == "note of":
            assert body["owner"] == owner, (request, body)
        else:
            key = "user_id" if what == "tasks of" else "owner"
            assert [row[key] for row in body["data"]] == owner, (request, body)
