#!/usr/bin/env bash
# Quick start 1: build the demo portal from content/ and serve it on http://127.0.0.1:8000/
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh"
cd "$ROOT"
site-builder build content --out output
exec site-builder serve output --port "${PORT:-8000}"
