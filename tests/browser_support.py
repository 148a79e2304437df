"""How the tests find a Chromium: Playwright's own browser where installed, else the system's."""

from __future__ import annotations

import os
import shutil
from typing import Any

SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def system_chromium() -> str | None:
    """CHROMIUM_PATH as chosen by scripts/ensure_browser.py ('' = Playwright's own), else a system one."""
    if "CHROMIUM_PATH" in os.environ:
        return os.environ["CHROMIUM_PATH"] or None
    for candidate in SYSTEM_CHROMIUMS:
        if os.path.exists(candidate):
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def launch_args() -> dict[str, Any]:
    """Launch options: the system Chromium when there is one (Playwright's download is blocked here)."""
    executable = system_chromium()
    args: dict[str, Any] = {"headless": True, "args": FLAGS}
    if executable:
        args["executable_path"] = executable
    return args
