"""The simulator's ASGI app: the three APIs under their own prefixes, plus a control endpoint.

```
/livepeer/api/...   Livepeer Studio     (Authorization: Bearer <key>), realtime viewership too
/uiza/...           Uiza v1             (Authorization: <key>)
/calls/...          the live-calls API  (Authorization: Bearer <token>)
/_control/stats     GET: simulated time, session counts, request counts, faults
/_control/faults    GET: faults in force; POST {"livepeer": {"latency": 0.5}, "uiza": null}
                    sets (or with null clears) each named provider's fault ("all" names all
                    three); DELETE clears every fault
```
The control endpoint has no key: the simulator serves loopback and holds no real data.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from tui.sim.faults import PROVIDERS, Fault, FaultBoard
from tui.sim.gate import ProviderGate, Stopping
from tui.sim.routes_calls import calls_router
from tui.sim.routes_livepeer import COLLECTIONS, livepeer_router
from tui.sim.routes_uiza import uiza_router
from tui.sim.scenario import Scenario
from tui.sim.views import PATH as VIEWS

PREFIXES = {"livepeer": "/livepeer/api", "uiza": "/uiza", "calls": "/calls"}
CONTROL = "/_control"


def build_app(scenario: Scenario, board: FaultBoard, stopping: Stopping) -> Starlette:
    """The whole simulator; `stopping` set ends hung and delayed requests early."""
    keys = scenario.api_keys

    def gate(provider: str, app: Any, **options: Any) -> ProviderGate:
        return ProviderGate(app, provider, keys[provider], board, stopping, **options)

    return Starlette(
        routes=[
            Mount(
                PREFIXES["livepeer"],
                app=gate(
                    "livepeer", livepeer_router(scenario), collections=COLLECTIONS, views=VIEWS
                ),
            ),
            Mount(PREFIXES["uiza"], app=gate("uiza", uiza_router(scenario), bearer=False)),
            Mount(PREFIXES["calls"], app=gate("calls", calls_router(scenario))),
            Mount(CONTROL, routes=control_routes(scenario, board)),
        ]
    )


def control_routes(scenario: Scenario, board: FaultBoard) -> list[Route]:
    def faults() -> dict[str, Any]:
        return {name: fault.to_dict() for name, fault in board.faults().items()}

    async def stats(request: Request) -> Response:
        return JSONResponse({**scenario.summary(), "requests": board.counts(), "faults": faults()})

    async def show_faults(request: Request) -> Response:
        return JSONResponse(faults())

    async def set_faults(request: Request) -> Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object of provider: settings")
            changes: dict[str, Fault | None] = {}
            for target, settings in body.items():
                if settings is not None and not isinstance(settings, dict):
                    raise ValueError(f"{target}: expected an object of settings or null")
                fault = None if settings is None else Fault.from_dict(settings)
                for name in PROVIDERS if target == "all" else [target]:
                    if name not in PROVIDERS:
                        raise ValueError(f"unknown provider {name!r}")
                    changes[name] = fault
        except ValueError as exc:  # bad JSON, unknown names, out-of-range values
            return JSONResponse({"error": str(exc)}, status_code=400)
        for name, fault in changes.items():
            board.set(name, fault)
        return JSONResponse(faults())

    async def clear_faults(request: Request) -> Response:
        board.clear()
        return JSONResponse(faults())

    return [
        Route("/stats", stats),
        Route("/faults", show_faults, methods=["GET"]),
        Route("/faults", set_faults, methods=["POST", "PUT"]),
        Route("/faults", clear_faults, methods=["DELETE"]),
    ]
