"""Uiza v1's live entity and live-session endpoints: an entity, and its sessions newest first,
with page tokens.

`page_size` is 1-100 (default 10); `next_page_token` is empty on the last page. The stream key
is `stream_key` in the list and `ingest_key` in get-one, as the API's own examples show, and
`ingest.key` in the entity.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from tui.sim.scenario import Scenario
from tui.sim.uiza import decode_page_token, encode_page_token
from tui.sim.wire import error_response, json_response

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
_NO_SESSION = "The live session you requested does not exist."


def uiza_router(scenario: Scenario) -> Router:
    """The routes under `/uiza`."""
    world = scenario.uiza

    async def list_sessions(request: Request) -> Response:
        entity = world.find_entity(request.path_params["entity_id"])
        if entity is None:
            return error_response("uiza", 404)
        query = request.query_params
        raw_size = query.get("page_size") or str(DEFAULT_PAGE_SIZE)
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
            return error_response("uiza", 400, f"page_size must be between 1 and {MAX_PAGE_SIZE}.")
        size = int(raw_size)
        t = scenario.now()
        newest = world.newest(entity, t)
        first = newest
        if token := query.get("page_token"):
            found = decode_page_token(entity, token)
            if found is None:
                return error_response("uiza", 400, "The page_token is invalid.")
            first = min(found, newest)
        slots = range(first, max(first - size, -1), -1)
        after = first - size
        return json_response(
            {
                "data": [world.session(entity, k, t) for k in slots],
                "next_page_token": encode_page_token(entity, after) if after >= 0 else "",
                "prev_page_token": (
                    encode_page_token(entity, min(first + size, newest)) if first < newest else ""
                ),
            }
        )

    async def get_session(request: Request) -> Response:
        entity = world.find_entity(request.path_params["entity_id"])
        if entity is None:
            return error_response("uiza", 404)
        t = scenario.now()
        k = world.find_session(entity, request.path_params["id"], t)
        if k is None:
            return error_response("uiza", 404, _NO_SESSION)
        return json_response(world.session(entity, k, t, key_field="ingest_key"))

    async def get_entity(request: Request) -> Response:
        entity = world.find_entity(request.path_params["entity_id"])
        if entity is None:
            return error_response("uiza", 404)
        return json_response(world.entity(entity))

    prefix = "/v1/live_entities/{entity_id}/live_sessions"
    return Router(
        routes=[
            Route("/v1/live_entities/{entity_id}", get_entity),
            Route(prefix, list_sessions),
            Route(prefix + "/{id}", get_session),
        ],
        redirect_slashes=False,
        default=error_response("uiza", 404),
    )
