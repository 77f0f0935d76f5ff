"""Names an operator would recognise, and (only when asked) names built to break a terminal UI."""

from __future__ import annotations

import random

_VENUES = (
    "Main stage",
    "Studio A",
    "Studio B",
    "Newsroom",
    "Keynote hall",
    "Arena West",
    "Chapel",
    "Field cam 3",
    "Press room",
    "Court 1",
    "Pitchside",
    "Greenroom",
    "Hall C",
    "Rooftop cam",
    "Lecture theatre 2",
    "Riverside stage",
    "Booth 14",
    "Control room",
)
_EVENTS = (
    "Day 2",
    "Opening night",
    "Finals",
    "Morning show",
    "Evening service",
    "Q&A",
    "Rehearsal",
    "Main feed",
    "ISO cam",
    "Grand final",
    "Map 3",
    "Press conference",
    "Panel: Future of Media",
    "Weekly briefing",
    "Matchday live",
    "Late edition",
    "Workshop",
    "Closing ceremony",
)
_SOLO = (
    "Studio B backup",
    "Lobby cam",
    "Radio simulcast",
    "Podcast: Tech Weekly",
    "24/7 lofi radio",
    "Town hall",
    "Sunday service",
    "Esports league — Week 7",
    "Charity marathon",
    "Traffic cam N4",
)

# Markup, escape sequences, bidi overrides, wide and zero-width characters, and sheer length:
# what a console must show as plain text without letting it restyle or move the screen.
HOSTILE = (
    "[bold red]PWNED[/] stream",
    "[link=https://evil.example]click me[/link]",
    "\x1b[2J\x1b[31mcleared your screen\x1b[0m",
    "tab\there\nnew line\rcarriage",
    "\u202eevil right-to-left override",
    "配信テスト 🎥🔴 wide chars",
    "zero\u200bwidth\u200bjoiners",
    "[/]unbalanced [b]tag",
    "\x07bell\x08backspace",
    "very long name " + "x" * 300,
)


def stream_name(rng: random.Random) -> str:
    """A realistic stream name ("Main stage — Day 2", "Studio B backup")."""
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(_SOLO)
    venue = rng.choice(_VENUES)
    if roll < 0.3:
        return f"{venue} backup"
    return f"{venue} — {rng.choice(_EVENTS)}"


def maybe_hostile(rng: random.Random, name: str, enabled: bool, share: float = 0.15) -> str:
    """`name`, or with `enabled` and probability `share`, a hostile one."""
    roll = rng.random()  # drawn either way: enabling hostile names changes nothing else
    if enabled and roll < share:
        return HOSTILE[int(roll / share * len(HOSTILE))]
    return name
