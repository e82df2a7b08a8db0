"""The `/complete` extension behind bearer tokens, with no auth code of its own.

Not collected in this project (its spec has no `auth`): `test_task_spec_with_bearer.py` runs
it in a copy whose Task spec adds `auth: {type: bearer-jwt}`, where the generated
`TaskOwnerParam` that the extension shares checks the token.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_complete_needs_the_owners_own_token(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    bearer: Any,
    owner: str,
    other_owner: str,
) -> None:
    created = await client.post(f"/api/{owner}/tasks", json={"title": "alpha"})
    assert created.status_code == 201, created.text
    url = f"/api/{owner}/tasks/{created.json()['id']}/complete"
    mine = {"Authorization": f"Bearer {bearer.issuer.token(owner)}"}
    theirs = {"Authorization": f"Bearer {bearer.issuer.token(other_owner)}"}

    missing = await anonymous_client.patch(url)
    assert missing.status_code == 401, missing.text
    assert missing.headers["www-authenticate"] == "Bearer"
    forbidden = await anonymous_client.patch(url, headers=theirs)
    assert forbidden.status_code == 403, forbidden.text
    assert forbidden.json()["error"]["code"] == "forbidden"
    other_path = f"/api/{other_owner}/tasks/{created.json()['id']}/complete"
    assert (await anonymous_client.patch(other_path, headers=theirs)).status_code == 404
    unchanged = await client.get(f"/api/{owner}/tasks/{created.json()['id']}")
    assert unchanged.json()["completed"] is False, "refused requests changed nothing"

    done = await anonymous_client.patch(url, headers=mine)
    assert done.status_code == 200, done.text
    assert done.json()["completed"] is True
