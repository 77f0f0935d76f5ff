"""Fault settings, the fault board, schema drift and the generated config, without sockets."""

from __future__ import annotations

import json
import threading
import tomllib
from typing import Any

import pytest

from tui.sim import PROVIDERS, Fault, parse_fault_args
from tui.sim.drift import drift_body
from tui.sim.faults import FaultBoard
from tui.sim.server import SimInfo, render_config_toml


def test_fault_specs_parse_like_the_command_line_writes_them() -> None:
    faults = parse_fault_args(
        ["livepeer:latency=0.5,error_rate=0.1", "uiza,calls:drift", "all:hang", "livepeer:auth"]
    )
    assert faults["livepeer"] == Fault(latency=0.5, error_rate=0.1, hang=1.0, auth=True)
    assert faults["uiza"] == faults["calls"] == Fault(drift=True, hang=1.0)
    assert Fault.parse("rate_limit=1,retry_after=7").retry_after == 7
    assert Fault.parse("not_found=false") == Fault()


@pytest.mark.parametrize(
    "arg",
    [
        "livepeer",  # no settings
        "vimeo:drift",  # unknown provider
        "livepeer:bogus=1",  # unknown setting
        "livepeer:error_rate=1.5",  # not a share
        "livepeer:latency=-1",
        "livepeer:latency=soon",
    ],
)
def test_bad_fault_specs_are_refused(arg: str) -> None:
    with pytest.raises(ValueError):
        parse_fault_args([arg])


def test_faults_round_trip_through_json_settings() -> None:
    fault = Fault(latency=0.25, rate_limit=0.5, retry_after=9, drift=True)
    assert fault.to_dict() == {"latency": 0.25, "rate_limit": 0.5, "retry_after": 9, "drift": True}
    assert Fault.from_dict(json.loads(json.dumps(fault.to_dict()))) == fault
    assert not Fault().active and fault.active
    for bad in ({"drift": 1}, {"latency": "1"}, {"hang": True}, {"nope": 1}):
        with pytest.raises(ValueError):
            Fault.from_dict(bad)


def test_the_board_counts_requests_and_draws_shares_reproducibly() -> None:
    def draws(seed: int) -> list[str | None]:
        board = FaultBoard({"uiza": Fault(error_rate=0.3, drop=0.2)}, seed=seed)
        return [board.admit("uiza")[1] for _ in range(2000)]

    first = draws(1)
    assert first == draws(1) and first != draws(2)
    assert 0.25 < first.count("error_rate") / 2000 < 0.35
    assert 0.15 < first.count("drop") / 2000 < 0.25
    assert set(first) == {"error_rate", "drop", None}

    board = FaultBoard(seed=0)
    workers = [
        threading.Thread(target=lambda: [board.admit("calls") for _ in range(500)])
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert board.counts() == {"livepeer": 0, "uiza": 0, "calls": 2000}
    board.set("livepeer", Fault(auth=True))
    assert board.admit("livepeer") == (Fault(auth=True), None)
    board.clear()
    assert all(not fault.active for fault in board.faults().values())
    with pytest.raises(ValueError):
        board.set("vimeo", Fault())


def _livepeer_record(i: int) -> dict[str, Any]:
    return {
        "name": f"s{i}",
        "id": f"id{i}",
        "kind": "stream",
        "userId": "u",
        "lastSeen": 1000 + i,
        "sourceSegmentsDuration": 2.0,
        "transcodedBytes": 10,
        "ingestRate": 1.0,
        "outgoingRate": 1.0,
        "isHealthy": True,
        "issues": None,
        "createdAt": 1,
        "parentId": "p",
        "projectId": "q",
        "record": False,
        "playbackId": "x",
        "profiles": [],
        "recordingSpec": {"profiles": []},
    }


def test_drift_adds_nulls_and_drops_fields_but_keeps_what_is_true() -> None:
    records = [_livepeer_record(i) for i in range(6)]
    drifted = json.loads(drift_body("livepeer", json.dumps(records).encode()))
    for before, after in zip(records, drifted, strict=True):
        assert {k: after[k] for k in ("id", "name", "lastSeen")} == {
            k: before[k] for k in ("id", "name", "lastSeen")
        }
        assert "parentStream" in after
        assert any(after.get(k, 0) is None and before.get(k) is not None for k in before)
        assert set(before) - set(after)
    page = {
        "data": [{"id": "a", "duration": None, "stream_key": "k", "updated_at": "t"}],
        "next_page_token": "",
    }
    drifted_page = json.loads(drift_body("uiza", json.dumps(page).encode()))
    assert drifted_page["next_page_token"] == "" and drifted_page["data"][0]["duration"] is None
    call = {"id": "c", "status": "live", "live": {"is_live": True}, "stream_call_type": "default"}
    drifted_call = json.loads(drift_body("calls", json.dumps(call).encode()))
    assert drifted_call["status"] == "live" and drifted_call["live"]["is_live"] is True
    assert "stream_call_type" not in drifted_call and "metadata" in drifted_call
    assert drift_body("calls", b"not json") == b"not json"


def test_the_generated_config_is_toml_naming_every_provider() -> None:
    info = SimInfo(
        base_urls={p: f"http://127.0.0.1:1/{p}" for p in PROVIDERS},
        api_keys={p: f'key-"{p}"' for p in PROVIDERS},
        entity_ids=["e1", "e2"],
        call_ids=["c1"],
        stream_ids=["s1"],
        control_url="http://127.0.0.1:1/_control",
    )
    config = tomllib.loads(render_config_toml(info, refresh_interval=1.5))
    assert config["refresh_interval"] == 1.5
    kinds = {p["kind"]: p for p in config["providers"]}
    assert set(kinds) == set(PROVIDERS)
    assert kinds["livepeer"]["name"] == "studio"
    assert kinds["uiza"]["entity_ids"] == ["e1", "e2"] and kinds["calls"]["call_ids"] == ["c1"]
    assert all(kinds[p]["api_key"] == f'key-"{p}"' for p in PROVIDERS)
    assert all(kinds[p]["base_url"] == info.base_urls[p] for p in PROVIDERS)
