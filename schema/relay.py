"""Relay conventions: the Node interface, global ids, and cursor connections."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from ..connectors.records import PageOf
from ..errors import ApiError, ErrorCode
from ..resolvers.common import encode_cursor

T = TypeVar("T")


def to_global_id(type_name: str, raw_id: str) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{raw_id}".encode()).decode())


def from_global_id(global_id: str, expected: str | None = None) -> tuple[str, str]:
    """(type name, raw id); BAD_INPUT when malformed or of another type than `expected`."""
    try:
        type_name, _, raw_id = base64.b64decode(global_id, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        type_name, raw_id = "", ""
    if not type_name or not raw_id or (expected and type_name != expected):
        raise ApiError(ErrorCode.BAD_INPUT, field=["id"], detail=f"id ({expected or 'global id'})")
    return type_name, raw_id


@strawberry.interface(description="An object with a global id that `node(id:)` fetches again.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global, opaque id of this object: pass it to `node(id:)` or to mutations."
    )


@strawberry.type(description="Where a page of a connection starts and ends, and whether more follow.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows this one.")
    has_previous_page: bool = strawberry.field(
        description="True when this page was requested with `after` (pages go forward only)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge of the page.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge: pass it as `after` to get the next page."
    )


@strawberry.type(description="One item of a connection with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item in the list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, newest first unless the field says otherwise.")
class Connection(Generic[T]):
    # Edges and their cursors are made only when a query selects them (most ask for the nodes).
    edges: list[Edge[T]] = strawberry.field(
        description="The items of this page with their cursors.",
        resolver=lambda root: [Edge(cursor=encode_cursor(c), node=n) for c, n in zip(root.cursors, root.nodes, strict=True)],
    )
    nodes: list[T] = strawberry.field(description="The items of this page, without cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages follow.")
    cursors: strawberry.Private[Sequence[str]]
    # Counted only when a query selects totalCount: a query without it costs no statement more.
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="How many items the whole list has under the same filter, ignoring `first` and `after`."
    )
    async def total_count(self) -> int | None:
        return await self.count()


def connection(
    page: PageOf,
    convert: Callable[[Any], T],
    after: str | None,
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """Wrap a source's page; cursors are base64 so clients treat them as opaque. `count` answers
    `totalCount` (how many items the whole listing has), called only when a query selects it."""
    cursors = page.cursors
    return Connection(
        nodes=[convert(item) for item in page.items],
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=encode_cursor(cursors[0]) if cursors else None,
            end_cursor=encode_cursor(cursors[-1]) if cursors else None,
        ),
        cursors=cursors,
        count=count,
    )


First = Annotated[
    int | None,
    strawberry.argument(description="How many items to return (default 20, at most 100)."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Return the items after this cursor (`pageInfo.endCursor`)."),
]
