"""Livepeer Studio's session endpoints, with its paging, ordering and filter rules.

`GET /session` pages with `limit` (default 20, at most 1000: more is a 422) and an opaque
`cursor`; the next page is announced in a `Link` header only when a full page came back.
`order` is `field-true|false,...`; `filters` is URL-encoded JSON whose numeric operators are
`gt|gte|lt|lte` (`eq` is broken on the real server: it always errors, so here too).
`GET /data/views/now` is the realtime viewership (`views.py`).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from tui.sim.livepeer import DEFAULT_ORDER, FIELDS, OPS, Filters, Order
from tui.sim.scenario import Scenario
from tui.sim.views import PATH as VIEWS
from tui.sim.views import views_route
from tui.sim.wire import error_response, json_response

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
COLLECTIONS = ("/session", VIEWS)  # the routes that name no id


class QueryError(ValueError):
    """A query parameter the real API would refuse, with the status it would refuse it with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise QueryError('"limit" must be an integer', 422) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f'"limit" must be between 1 and {MAX_LIMIT}', 422)
    return limit


def parse_cursor(raw: str | None) -> int:
    if not raw:
        return 0
    digits = raw.removeprefix("skip")
    if digits == raw or not digits.isdigit():
        raise QueryError("invalid cursor")
    return int(digits)


def parse_order(raw: str | None) -> Order:
    if not raw:
        return DEFAULT_ORDER
    out = []
    for item in raw.split(","):
        field, _, direction = item.strip().rpartition("-")
        if field not in FIELDS:
            raise QueryError(f"cannot order by {field or item!r}")
        if direction not in ("true", "false"):
            raise QueryError(f"invalid order direction {direction!r}")
        out.append((field, direction == "true"))
    return tuple(out)


def parse_filters(raw: str | None) -> Filters:
    if not raw:
        return ()
    try:
        items: Any = json.loads(raw)
    except ValueError:
        raise QueryError("filters must be URL-encoded JSON") from None
    if not isinstance(items, list):
        raise QueryError("filters must be a JSON array")
    out = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item or "value" not in item:
            raise QueryError('each filter needs an "id" and a "value"')
        field, value = item["id"], item["value"]
        if field not in FIELDS:
            raise QueryError(f"cannot filter on {field!r}")
        if not isinstance(value, dict):
            value = {"eq": value}  # a bare value means equality, which the server rejects
        for op, operand in value.items():
            if op not in OPS:
                raise QueryError(f'error in filter on {field}: operator "{op}" is not supported')
            if isinstance(operand, bool) or not isinstance(operand, int | float):
                raise QueryError(f"filter on {field} needs a number")
            out.append((field, op, float(operand)))
    return tuple(out)


def livepeer_router(scenario: Scenario) -> Router:
    """The routes under `/livepeer/api`."""
    world = scenario.livepeer

    async def list_sessions(request: Request) -> Response:
        query = request.query_params
        try:
            limit = parse_limit(query.get("limit"))
            skip = parse_cursor(query.get("cursor"))
            order = parse_order(query.get("order"))
            filters = parse_filters(query.get("filters"))
        except QueryError as exc:
            return error_response("livepeer", exc.status, str(exc))
        t = scenario.now()
        matching = world.listing(t, order, filters)
        page = matching[skip : skip + limit]
        headers = {}
        if len(page) == limit:  # like the real API: a full page says there may be more
            following = request.url.include_query_params(cursor=f"skip{skip + limit}")
            headers["Link"] = f'<{following}>; rel="next"'
        if query.get("count") in ("1", "true"):
            headers["X-Total-Count"] = str(len(matching))
        return json_response(world.page_json(page, t), headers=headers)

    async def get_session(request: Request) -> Response:
        index = world.find_session(request.path_params["id"])
        body = None if index is None else world.session_json(index, scenario.now())
        return error_response("livepeer", 404) if body is None else json_response(body)

    async def stream_sessions(request: Request) -> Response:
        j = world.find_stream(request.path_params["parent_id"])
        if j is None:
            return error_response("livepeer", 404)
        t = scenario.now()
        record_only = request.query_params.get("record") in ("1", "true")
        return json_response(world.page_json(world.stream_sessions(j, t, record_only), t))

    return Router(
        routes=[
            Route("/session", list_sessions),
            Route("/session/{id}", get_session),
            Route("/stream/{parent_id}/sessions", stream_sessions),
            Route(VIEWS, views_route(scenario)),
        ],
        redirect_slashes=False,
        default=error_response("livepeer", 404),
    )
