"""How the API tests talk to the app over HTTP: one GraphQL request (JSON), one multipart request
(the GraphQL multipart request spec, files in parts), and the mixin the portals of the test helpers
share (tests/portal_actions.py, tests/tickets_portal.py, the commitments' fixture)."""

from __future__ import annotations

import json

import httpx

CSRF = {"X-Ventanilla-CSRF": "1"}  # what a multipart request must carry (web/middleware.py)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def post_graphql(
    client: httpx.AsyncClient, query: str, variables: dict | None = None, **headers: str
) -> dict:
    """The answer to one GraphQL request, which must be a 200."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def post_multipart(
    client: httpx.AsyncClient,
    query: str,
    variables: dict,
    files: dict[str, tuple[str, bytes, str]],
    **headers: str,
) -> dict:
    """A GraphQL multipart request: `files` maps a variable path (`input.attachments.0`) to (name,
    bytes, declared type), each in its own part (set to null in the operations, as clients send it)."""
    names = {str(n): path for n, path in enumerate(files)}
    operations = {"query": query, "variables": _nulled(variables, files)}
    form = {
        "operations": json.dumps(operations),
        "map": json.dumps({n: [f"variables.{p}"] for n, p in names.items()}),
    }
    parts = {n: files[p] for n, p in names.items()}
    response = await client.post("/graphql", data=form, files=parts, headers={**CSRF, **headers})
    assert response.status_code == 200, response.text
    return response.json()


def _nulled(variables: dict, files: dict) -> dict:
    """`variables` with null at each top-level file variable (nested paths are the caller's to set)."""
    return {**variables, **{path: None for path in files if "." not in path}}


class AnswersGraphQL:
    """`gql` for a portal that has a `client`: with a bearer `token`, on another `client` if given."""

    client: httpx.AsyncClient

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None,
                  client: httpx.AsyncClient | None = None, **headers: str) -> dict:  # fmt: skip
        return await post_graphql(client or self.client, query, variables, **{**headers, **bearer(token)})
