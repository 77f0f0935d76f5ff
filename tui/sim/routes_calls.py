"""The live-calls API: `GET /v1/live/calls/{id}`, the row plus the backend's live status."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from tui.sim.scenario import Scenario
from tui.sim.wire import error_response, json_response


def calls_router(scenario: Scenario) -> Router:
    """The routes under `/calls`."""
    world = scenario.calls

    async def get_call(request: Request) -> Response:
        call = world.find(request.path_params["id"])
        if call is None:
            return error_response("calls", 404)
        return json_response(world.record(call, scenario.now()))

    return Router(
        routes=[Route("/v1/live/calls/{id}", get_call)],
        redirect_slashes=False,
        default=error_response("calls", 404),
    )
