#!/usr/bin/env bash
# Before the Textual pin moves: the app tests and the benchmark's smoke run against the newest
# Textual, in a throwaway venv, and which private touches (tui/textual_touches) engage on it.
#   bash tests/textual_newest.sh [VERSION]      # default: the newest release
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install --quiet --disable-pip-version-check -e "$here[dev]"
# Past the pin on purpose: this venv is thrown away.
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade --no-deps "textual${1:+==$1}"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
from tui.textual_touches import engaged
print(f"textual {version('textual')}")
for touch, on in engaged().items():
    print(f"  {touch:<26} {'engaged' if on else 'STOCK TEXTUAL (fallback)'}")
PY
cd "$here"
"$venv/bin/pytest" -q -p no:cacheprovider tests/app
"$venv/bin/python" tests/bench/bench_console.py --sessions 100 --seconds 5 --settle 2 --only livetop
