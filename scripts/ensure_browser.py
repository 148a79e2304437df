"""Find or install a Chromium for the browser tests; print its path ('' = Playwright's own browser).

Order: Playwright's own browser where it can be installed; else a Chromium already on the system;
else the system package manager's Chromium when we may install it (root with apt-get). Otherwise
exit 1 with a message saying what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

SYSTEM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable")


def log(message: str) -> None:
    print(f"[browser] {message}", file=sys.stderr)


def playwright_own() -> bool:
    try:
        done = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        log("Playwright's browser download timed out")
        return False
    if done.returncode == 0:
        return True
    log("Playwright's own Chromium cannot be installed here: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200])
    return False


def system_chromium() -> str | None:
    for path in SYSTEM:
        if os.path.exists(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def install_with_apt() -> str | None:
    if os.geteuid() != 0 or not shutil.which("apt-get") or os.environ.get("NO_SYSTEM_INSTALL"):
        return None
    log("installing Debian's chromium with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            return None
    return system_chromium()


def main() -> int:
    if os.environ.get("CHROMIUM_PATH") and os.path.exists(os.environ["CHROMIUM_PATH"]):
        print(os.environ["CHROMIUM_PATH"])
        return 0
    if not os.environ.get("SKIP_PLAYWRIGHT_DOWNLOAD") and playwright_own():
        log("using Playwright's own Chromium")
        print("")
        return 0
    path = system_chromium() or install_with_apt()
    if path:
        log(f"using {path}")
        print(path)
        return 0
    log("no Chromium available: install one (e.g. 'apt-get install chromium') or set CHROMIUM_PATH")
    return 1


if __name__ == "__main__":
    sys.exit(main())
