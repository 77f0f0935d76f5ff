"""Filter language and sort orders of the sessions list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tui.models import ProviderKind, Session, SessionState
from tui.session_list import SortKey, SortOrder, parse_filter, sort_sessions, visible_keys

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def s(
    id: str,
    name: str = "",
    *,
    provider: str = "studio",
    kind: ProviderKind = ProviderKind.LIVEPEER,
    state: SessionState = SessionState.LIVE,
    healthy: bool | None = True,
    ingest: float | None = None,
    seen: int = 0,
    started: int | None = None,
) -> Session:
    return Session(
        provider=provider,
        kind=kind,
        id=id,
        name=name or id,
        state=state,
        healthy=healthy,
        ingest_bps=ingest,
        last_seen=NOW - timedelta(seconds=seen),
        started_at=None if started is None else NOW - timedelta(seconds=started),
    )


SESSIONS = [
    s("a1", "Main stage", ingest=5e6, seen=1, started=3600),
    replace(
        s("b2", "Backup", healthy=False, ingest=1e6, seen=3),
        issues=("No keyframes in the last 10 s", "Bitrate dropped"),
    ),
    s("c3", "Old talk", state=SessionState.ENDED, healthy=None, seen=900),
    s("u1", "entity-9", provider="uiza", kind=ProviderKind.UIZA, healthy=None, seen=20, started=60),
    s(
        "k1",
        "Q&A",
        provider="calls",
        kind=ProviderKind.CALLS,
        state=SessionState.ERRORED,
        healthy=False,
        seen=60,
    ),
]


def ids(flt: str, order: SortOrder | None = None) -> list[str]:
    return [k.id for k in visible_keys(SESSIONS, parse_filter(flt), order or SortOrder())]


def test_default_order_puts_live_unhealthy_first_and_ended_last() -> None:
    # Live sessions: the longest on air first; the others: the latest seen first.
    assert ids("") == ["b2", "a1", "u1", "k1", "c3"]


def test_live_rows_keep_their_places_as_they_report() -> None:
    # Live sessions report every few seconds; ordering them by last seen would swap rows
    # under the operator's eyes on every poll.
    before = sort_sessions(SESSIONS, SortOrder())
    reported = [replace(x, last_seen=NOW) if x.is_live else x for x in SESSIONS]
    assert [x.id for x in sort_sessions(reported, SortOrder())] == [x.id for x in before]
    # One going live joins the end of its group: the rows above it stay where they were.
    joined = sort_sessions([*SESSIONS, s("n1", "A new one", started=5)], SortOrder())
    assert [x.id for x in joined][:4] == ["b2", "a1", "u1", "n1"]


def test_text_matches_name_id_and_provider_case_insensitively() -> None:
    assert ids("STAGE") == ["a1"]
    assert ids("u1") == ["u1"]
    assert ids("calls") == ["k1"]


def test_field_terms_and_negation() -> None:
    assert ids("state:live") == ["b2", "a1", "u1"]
    assert ids("health:bad") == ["b2", "k1"]
    assert ids("health:unknown") == ["u1", "c3"]
    assert ids("provider:uiza") == ["u1"]
    assert ids("kind:calls") == ["k1"]
    assert ids("state:live -provider:uiza health:ok") == ["a1"]


def test_health_words_match_the_issues() -> None:
    assert ids("health:keyframe") == ["b2"]
    assert ids("health:KEYFRAMES -health:bitrate") == []
    assert ids("-health:keyframe state:live") == ["a1", "u1"]
    assert parse_filter("health:").problems


def test_unknown_terms_are_reported_not_raised() -> None:
    flt = parse_filter("state:flying color:red main")
    assert len(flt.problems) == 2
    assert [k.id for k in visible_keys(SESSIONS, flt, SortOrder())] == ["a1"]


def test_markup_in_a_filter_is_just_text() -> None:
    assert ids("[bold]") == []


def test_sort_keys_and_reverse_on_second_press() -> None:
    by_name = SortOrder().pressed(SortKey.NAME)
    assert ids("", by_name) == ["b2", "u1", "a1", "c3", "k1"]
    reversed_name = by_name.pressed(SortKey.NAME)
    assert reversed_name.reverse
    assert ids("", reversed_name) == ["k1", "c3", "a1", "u1", "b2"]
    assert reversed_name.pressed(SortKey.STATE) == SortOrder(SortKey.STATE, False)
    assert ids("", SortOrder(SortKey.BITRATE))[:2] == ["a1", "b2"]
    assert ids("", SortOrder(SortKey.LAST_SEEN)) == ["a1", "b2", "u1", "k1", "c3"]
    assert ids("", SortOrder(SortKey.HEALTH))[:2] == ["b2", "k1"]


def test_sort_is_stable_for_equal_keys() -> None:
    twins = [s("z", "same"), s("y", "same"), s("x", "same")]
    assert [x.id for x in sort_sessions(twins, SortOrder(SortKey.NAME))] == ["x", "y", "z"]


def test_session_list_kept_up_to_date_equals_a_fresh_sort() -> None:
    import random
    from dataclasses import replace

    from tui.session_list import SessionList

    rng = random.Random(7)
    states = list(SessionState)
    pool = {
        f"s{i}": s(
            f"s{i}",
            f"name {rng.randrange(30)}",
            state=rng.choice(states),
            healthy=rng.choice([True, False, None]),
            ingest=rng.choice([None, 1e6, 2e6, 3e6]),
            seen=rng.randrange(100),
        )
        for i in range(200)
    }
    for order in [SortOrder(k, r) for k in SortKey for r in (False, True)]:
        for text in ("", "state:live", "-health:bad name"):
            shown = dict(pool)
            view = SessionList(parse_filter(text), order)
            view.rebuild(shown.values())
            for _ in range(30):
                touched = set()
                for sid in rng.sample(sorted(shown), 10):
                    old = shown[sid]
                    shown[sid] = replace(
                        old,
                        state=rng.choice(states),
                        healthy=rng.choice([True, False, None]),
                        ingest_bps=rng.choice([None, 1e6, 2e6]),
                        last_seen=NOW - timedelta(seconds=rng.randrange(100)),
                    )
                    touched.add(old.key)
                gone = rng.choice(sorted(shown))
                touched.add(shown.pop(gone).key)
                added = s(f"n{rng.randrange(10**6)}", "new", seen=rng.randrange(100))
                shown[added.id] = added
                touched.add(added.key)
                lookup = {x.key: x for x in shown.values()}.get
                before = list(view.keys)
                moved = view.update(lookup, touched)
                expected = visible_keys(shown.values(), parse_filter(text), order)
                assert view.keys == expected, (order, text)
                assert moved == (expected != before)


def test_session_list_update_without_order_changes_reports_none() -> None:
    from dataclasses import replace

    from tui.session_list import SessionList

    view = SessionList(parse_filter(""), SortOrder(SortKey.NAME))
    view.rebuild(SESSIONS)
    keys = view.keys
    faster = replace(SESSIONS[0], ingest_bps=9e9)  # not what "name" sorts by
    assert not view.update({x.key: x for x in [faster, *SESSIONS[1:]]}.get, {faster.key})
    assert view.keys is keys
