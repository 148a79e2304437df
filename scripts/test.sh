#!/usr/bin/env bash
# Quick start 2: set up everything (Python deps, a Chromium for Playwright) and run all tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh"
cd "$ROOT"
CHROMIUM_PATH="$(python scripts/ensure_browser.py)"
export CHROMIUM_PATH
ruff check site_builder tests bench scripts tools
python -m pytest "$@"
