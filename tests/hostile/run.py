"""Run the hostile-content corpus: every case of ``tests/hostile/cases/*.yaml`` against ``site-builder``.

Each case copies ``tests/fixtures/mini`` into a fresh temporary folder (as ``c/``), applies its
operations, runs ``site-builder check c`` (or the case's own command) in a subprocess with a timeout,
and compares the outcome with the case's expectation. Accepted cases marked ``build: true`` are also
built. The ``markup`` cases are additionally applied all together to one copy that is built once and
opened page by page in Chromium, which must run none of the payloads and show each as literal text.

    .venv/bin/python tests/hostile/run.py                 # the whole corpus, then the summary line
    .venv/bin/python tests/hostile/run.py --only yaml-tab  # some cases (ids or classes), verbose
    .venv/bin/python tests/hostile/run.py --no-browser     # skip the Chromium phase

Every subprocess gets ``SECRET_MARKER`` in its environment; neither it nor the text of
``/etc/passwd`` may appear in any output, finding or built file.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.hostile import generators  # noqa: E402

CASES = HERE / "cases"
BASE = ROOT / "tests" / "fixtures" / "mini"
CONTENT = "c"  # the content folder's name inside each case's temporary folder
CHECK_TIMEOUT = 45  # seconds; a hang is a failure, not a wait
BUILD_TIMEOUT = 180
WORKERS = 2
SECRET = "SECRET_MARKER_" + secrets.token_hex(8)
PASSWD_MARKERS = ("root:x:0:0",)
FINDING = re.compile(r"(?m)^(?P<path>[^\n]*?):\d+:\d+: (?P<severity>error|warning|acknowledged) \[(?P<rule>[\w.-]+)\]")
PAYLOAD_ID = re.compile(r"^[a-z0-9-]+$")


def payload_forms(payload_id: str) -> dict[str, str]:
    """The markup a case can place with ``{P}`` (raw), ``{PY}`` (as a YAML string), ``{S}``, ``{A}``."""
    img = f"hostilemark <img src=x onerror=window.__pwned.push('{payload_id}')>"
    script = f"hostilemark <script>window.__pwned.push('{payload_id}')</script>"
    attr = f"hostilemark \"'><svg onload=window.__pwned.push('{payload_id}')>"
    return {"P": img, "S": script, "A": attr}


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (JSON escapes are valid YAML escapes)."""
    import json

    return json.dumps(text, ensure_ascii=False)


# -- cases ---------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    klass: str
    what: str
    ops: list[dict[str, Any]]
    expect: str  # "refused" | "accepted"
    exit: int | list[int]
    rules: list[str] = field(default_factory=list)  # each "a" or "a|b" (any of)
    warnings: list[str] = field(default_factory=list)
    file: str | None = None
    build: bool = False
    command: list[str] | None = None
    payload: str | None = None
    form: str = "P"
    visible: bool = True
    shown_on: str | None = None
    html: list[dict[str, str]] = field(default_factory=list)
    max_seconds: float | None = None  # a linear-time promise: slower is a failure
    cwd: str = ""  # for command cases: where to run, relative to the case's folder
    absent: list[str] = field(default_factory=list)  # files (relative to the case's folder) that must not appear

    @property
    def exits(self) -> list[int]:
        return self.exit if isinstance(self.exit, list) else [self.exit]

    def text(self, value: str) -> str:
        """Substitute the payload placeholders and the outside folder into an operation's text."""
        if self.payload:
            forms = payload_forms(self.payload)
            for name, raw in forms.items():
                value = value.replace("{" + name + "Y}", yaml_string(raw)).replace("{" + name + "}", raw)
        return value

    @property
    def payload_text(self) -> str:
        assert self.payload
        return payload_forms(self.payload)[self.form]


def load_cases(folder: Path = CASES) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        klass = data["class"]
        for raw in data["cases"]:
            cases.append(make_case(klass, raw, path.name))
    ids = [case.id for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate case ids: {duplicates}")
    return cases


def make_case(klass: str, raw: dict[str, Any], source: str) -> Case:
    known = {"id", "what", "ops", "expect", "exit", "rules", "warnings", "file", "build", "command",
             "payload", "form", "visible", "shown_on", "html", "max_seconds", "cwd", "absent"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{source}: case {raw.get('id')}: unknown keys {sorted(unknown)}")
    expect = raw["expect"]
    if expect not in ("refused", "accepted"):
        raise ValueError(f"{source}: case {raw['id']}: expect must be refused or accepted")
    default_exit = 0 if expect == "accepted" else 1
    case = Case(id=raw["id"], klass=klass, what=raw["what"], ops=raw.get("ops", []), expect=expect,
                exit=raw.get("exit", default_exit), rules=raw.get("rules", []), warnings=raw.get("warnings", []),
                file=raw.get("file"), build=raw.get("build", False), command=raw.get("command"),
                payload=raw.get("payload"), form=raw.get("form", "P"), visible=raw.get("visible", True),
                shown_on=raw.get("shown_on"), html=raw.get("html", []), max_seconds=raw.get("max_seconds"),
                cwd=raw.get("cwd", ""), absent=raw.get("absent", []))
    if expect == "refused" and not case.rules and not case.command:
        raise ValueError(f"{source}: case {case.id}: a refused case names its rule ids")
    if case.payload and not PAYLOAD_ID.match(case.payload):
        raise ValueError(f"{source}: case {case.id}: payload id must match {PAYLOAD_ID.pattern}")
    return case


# -- operations ----------------------------------------------------------------------------------
@dataclass
class Sandbox:
    """One case's temporary folder: ``c/`` (the content) and ``outside/`` (what links point to)."""

    base: Path

    @property
    def content(self) -> Path:
        return self.base / CONTENT

    @property
    def outside(self) -> Path:
        return self.base / "outside"


def make_sandbox(base: Path) -> Sandbox:
    box = Sandbox(base)
    shutil.copytree(BASE, box.content, symlinks=True)
    make_outside(box.outside)
    return box


def make_outside(outside: Path) -> None:
    """A folder beside the content whose every file carries the secret: reading it shows in the output."""
    shutil.copytree(BASE / "demo-center", outside / "demo-center")
    unit = outside / "demo-center" / "unit.yaml"
    unit.write_text(unit.read_text(encoding="utf-8").replace("示例社会保险中心", SECRET, 1), encoding="utf-8")
    overview = outside / "demo-center" / "2023" / "overview.md"
    overview.write_text(f"## {SECRET}\n\n{SECRET}\n", encoding="utf-8")
    (outside / "leak.md").write_text(f"## {SECRET}\n\n{SECRET}\n", encoding="utf-8")
    (outside / "leak.yaml").write_text(f"title: {SECRET}\ndescription: {SECRET}\n", encoding="utf-8")
    (outside / "leak.html").write_text(f"<!doctype html><title>{SECRET}</title>{SECRET}\n", encoding="utf-8")
    (outside / "leak.css").write_text(f"/* {SECRET} */\n", encoding="utf-8")


def resolve(box: Sandbox, path: str) -> Path:
    """A case's path: relative to the content folder; ``../x`` is ``x`` beside it in the case's folder."""
    if path.startswith("../"):
        return box.base / path[3:]
    return box.content / path


def op_bytes(case: Case, op: dict[str, Any]) -> bytes:
    if "b64" in op:
        return base64.b64decode(op["b64"])
    text = case.text(op["text"])
    encoding = op.get("encoding", "utf-8")
    if encoding == "utf-8-surrogates":
        return text.encode("utf-8", "surrogatepass")
    return text.encode(encoding)


def apply_op(case: Case, box: Sandbox, op: dict[str, Any]) -> None:
    kind = op["op"]
    target = resolve(box, op["path"]) if "path" in op else box.content
    if kind == "write":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(op_bytes(case, op))
    elif kind == "prepend":
        target.write_bytes(op_bytes(case, op) + target.read_bytes())
    elif kind == "append":
        target.write_bytes(target.read_bytes() + op_bytes(case, op))
    elif kind == "replace":
        text = target.read_text(encoding="utf-8")
        old, new = case.text(op["old"]), case.text(op["new"])
        count = op.get("count", 1)
        if text.count(old) != count:
            raise ValueError(f"case {case.id}: {old!r} occurs {text.count(old)} times in {op['path']}, not {count}")
        target.write_text(text.replace(old, new), encoding="utf-8", newline="")
    elif kind == "newlines":
        text = target.read_bytes().replace(b"\r\n", b"\n")
        style = op["style"]
        if style == "mixed":  # alternate LF, CRLF and CR line ends
            lines = text.split(b"\n")
            ends = [b"\n", b"\r\n", b"\r"]
            text = b"".join(line + ends[i % 3] for i, line in enumerate(lines[:-1])) + lines[-1]
        else:
            text = text.replace(b"\n", {"crlf": b"\r\n", "cr": b"\r"}[style])
        target.write_bytes(text)
    elif kind == "delete":
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    elif kind == "rename":
        destination = resolve(box, op["to"])
        destination.parent.mkdir(parents=True, exist_ok=True)
        target.rename(destination)
    elif kind == "copy":
        destination = resolve(box, op["to"])
        if target.is_dir():
            shutil.copytree(target, destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, destination)
    elif kind == "mkdir":
        target.mkdir(parents=True, exist_ok=True)
    elif kind == "symlink":
        link_target = op["target"].replace("{outside}", str(box.outside))
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        target.symlink_to(link_target)
    elif kind == "fifo":
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        os.mkfifo(target)
    elif kind == "generate":
        generator: Callable[..., None] = getattr(generators, op["name"])
        generator(target, **op.get("args", {}))
    else:
        raise ValueError(f"case {case.id}: unknown operation {kind!r}")


def apply_ops(case: Case, box: Sandbox) -> None:
    for op in case.ops:
        apply_op(case, box, op)


# -- running -------------------------------------------------------------------------------------
@dataclass
class Outcome:
    case: Case
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    problems: dict[str, list[str]] = field(default_factory=dict)  # category → messages

    def fail(self, category: str, message: str) -> None:
        self.problems.setdefault(category, []).append(message)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["SECRET_MARKER"] = SECRET
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def run_tool(args: list[str], cwd: Path, timeout: int) -> tuple[int | None, str, str, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True,
                              timeout=timeout, env=environment(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        out = (expired.stdout or b"").decode("utf-8", "replace")
        err = (expired.stderr or b"").decode("utf-8", "replace")
        return None, out, err, time.perf_counter() - start
    return (done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
            time.perf_counter() - start)


def findings(output: str) -> list[tuple[str, str, str]]:
    """(path, severity, rule) of every finding line."""
    return [(m["path"], m["severity"], m["rule"]) for m in FINDING.finditer(output)]


def leaks(text: str) -> list[str]:
    found = []
    if SECRET in text:
        found.append("the SECRET_MARKER environment variable")
    for marker in PASSWD_MARKERS:
        if marker in text:
            found.append(f"/etc/passwd text {marker!r}")
    return found


def judge_run(outcome: Outcome, what: str) -> None:
    """The checks shared by every run: no traceback, no hang, no leak."""
    if outcome.returncode is None:
        outcome.fail("traceback", f"{what}: timed out (hang)")
    if "Traceback (most recent call last)" in outcome.stderr or "Traceback (most recent call last)" in outcome.stdout:
        outcome.fail("traceback", f"{what}: traceback: {last_lines(outcome.stderr or outcome.stdout)}")
    for leak in leaks(outcome.stdout + outcome.stderr):
        outcome.fail("leak", f"{what}: output contains {leak}")


def last_lines(text: str, count: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-count:])


def judge_check(outcome: Outcome) -> None:
    case = outcome.case
    judge_run(outcome, "check")
    if outcome.returncode is None:
        return
    found = findings(outcome.stdout + "\n" + outcome.stderr)
    errors = [(path, rule) for path, severity, rule in found if severity == "error"]
    warned = {rule for _, severity, rule in found if severity == "warning"}
    for wanted in case.warnings:
        if not set(wanted.split("|")) & warned:
            outcome.fail("mismatch", f"no warning [{wanted}]")
    if case.expect == "accepted":
        if outcome.returncode != 0 or errors:
            outcome.fail("unexpected-refusal", f"exit {outcome.returncode}, errors {sorted({r for _, r in errors})}: "
                          f"{last_lines(outcome.stdout + outcome.stderr)}")
        return
    if outcome.returncode == 0:
        outcome.fail("unexpected-acceptance", f"exit 0, expected {case.exit} with {case.rules}")
        return
    rules_seen = {rule for _, rule in errors}
    for wanted in case.rules:
        alternatives = set(wanted.split("|"))
        if not alternatives & rules_seen:
            outcome.fail("unexpected-acceptance", f"no error [{wanted}] (exit {outcome.returncode}, errors "
                          f"{sorted(rules_seen)}): {last_lines(outcome.stdout + outcome.stderr)}")
        elif case.file:
            shown = f"{CONTENT}/{case.file}"
            if not any(path == shown for path, rule in errors if rule in alternatives):
                paths = sorted({path for path, rule in errors if rule in alternatives})
                outcome.fail("mismatch", f"[{wanted}] does not name {shown} (names {paths})")
    if outcome.returncode not in case.exits:
        outcome.fail("mismatch", f"exit {outcome.returncode}, expected {case.exit}")


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under ``folder`` with its kind, size and mtime, links not followed."""
    state: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            if name.startswith(".") and name.endswith(".lock"):
                continue  # the build's lock file beside --out may stay (it is how the lock works)
            path = Path(dirpath) / name
            info = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            state[str(path.relative_to(folder))] = (kind, info.st_size if kind == "file" else 0,
                                                    info.st_mtime_ns if kind == "file" else 0)
    return state


def judge_command(outcome: Outcome, before: dict[str, Any], after: dict[str, Any]) -> None:
    """A usage case: the expected exit, one ``site-builder: `` line, nothing touched."""
    case = outcome.case
    judge_run(outcome, " ".join(case.command or []))
    if outcome.returncode is None:
        return
    if case.expect == "accepted":
        if outcome.returncode not in case.exits:
            outcome.fail("unexpected-refusal", f"exit {outcome.returncode}: {last_lines(outcome.stdout + outcome.stderr)}")
        return
    if outcome.returncode == 0:
        outcome.fail("unexpected-acceptance", f"exit 0, expected {case.exit}: {last_lines(outcome.stdout)}")
    elif outcome.returncode not in case.exits:
        outcome.fail("mismatch", f"exit {outcome.returncode}, expected {case.exit}: {last_lines(outcome.stderr)}")
    elif outcome.returncode == 2 and not outcome.stderr.startswith("site-builder: "):
        outcome.fail("mismatch", f"stderr does not start with 'site-builder: ': {last_lines(outcome.stderr)}")
    elif outcome.returncode == 1 and not (findings(outcome.stdout + outcome.stderr) or "site-builder: " in outcome.stderr):
        outcome.fail("mismatch", f"exit 1 without a finding or a 'site-builder: ' line: {last_lines(outcome.stderr)}")
    errors = {rule for _, severity, rule in findings(outcome.stdout + "\n" + outcome.stderr) if severity == "error"}
    for wanted in case.rules:
        if not set(wanted.split("|")) & errors:
            outcome.fail("unexpected-acceptance", f"no error [{wanted}] (errors {sorted(errors)})")
    if before != after:
        changed = sorted(set(before.items()) ^ set(after.items()))[:5]
        outcome.fail("mismatch", f"refused, but files were touched: {changed}")


def judge_build(outcome: Outcome, box: Sandbox, out: Path) -> None:
    code, stdout, stderr, seconds = run_tool(["build", CONTENT, "--out", str(out)], box.base, BUILD_TIMEOUT)
    build = Outcome(outcome.case, code, stdout, stderr, seconds)
    judge_run(build, "build")
    if code not in (None, 0):
        build.fail("unexpected-refusal", f"build exit {code}: {last_lines(stdout + stderr)}")
    if code == 0:
        for problem in built_leaks(out):
            build.fail("leak", problem)
        for expectation in outcome.case.html:
            check_html(build, out, expectation)
    for category, messages in build.problems.items():
        for message in messages:
            outcome.fail(category, message)


def built_leaks(out: Path) -> list[str]:
    problems = []
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.is_symlink():
            text = path.read_bytes().decode("utf-8", "replace")
            problems += [f"built file {path.relative_to(out)} contains {leak}" for leak in leaks(text)]
        elif path.is_symlink():
            problems.append(f"built site contains a symbolic link {path.relative_to(out)}")
    return problems


def check_html(outcome: Outcome, out: Path, expectation: dict[str, str]) -> None:
    page = out / expectation["page"]
    text = page.read_text(encoding="utf-8") if page.is_file() else ""
    if "contains" in expectation and expectation["contains"] not in text:
        outcome.fail("mismatch", f"{expectation['page']} lacks {expectation['contains']!r}")
    if "lacks" in expectation and expectation["lacks"] in text:
        outcome.fail("mismatch", f"{expectation['page']} contains {expectation['lacks']!r}")


def judge_after(outcome: Outcome, box: Sandbox) -> None:
    case = outcome.case
    for name in case.absent:
        if (box.base / name).exists():
            outcome.fail("leak", f"{name} exists: it must not (a command ran, or a refused build wrote its output)")
    if "uid=" in outcome.stdout + outcome.stderr:
        outcome.fail("leak", "the output of `id` appears: content ran a command")
    if case.max_seconds and outcome.seconds > case.max_seconds:
        outcome.fail("mismatch", f"took {outcome.seconds:.1f} s, more than {case.max_seconds} s")


def run_case(case: Case) -> Outcome:
    outcome = Outcome(case)
    with tempfile.TemporaryDirectory(prefix=f"hostile-{case.id}-") as temp:
        box = make_sandbox(Path(temp))
        try:
            apply_ops(case, box)
        except Exception as error:  # a broken case is reported, not raised (the others still run)
            outcome.fail("mismatch", f"case setup failed: {type(error).__name__}: {error}")
            return outcome
        if case.command:
            args = [arg.replace("{content}", CONTENT).replace("{outside}", str(box.outside)) for arg in case.command]
            before = snapshot(box.base)
            outcome.returncode, outcome.stdout, outcome.stderr, outcome.seconds = run_tool(
                args, box.base / case.cwd, BUILD_TIMEOUT)
            after = snapshot(box.base)
            if case.expect == "accepted":
                before = after  # an accepted command may write its output
            judge_command(outcome, before, after)
            judge_after(outcome, box)
            if case.expect == "accepted" and "--out" in args and outcome.returncode == 0:
                out = box.base / case.cwd / args[args.index("--out") + 1]
                for problem in built_leaks(out):
                    outcome.fail("leak", problem)
            return outcome
        outcome.returncode, outcome.stdout, outcome.stderr, outcome.seconds = run_tool(
            ["check", CONTENT], box.base, CHECK_TIMEOUT)
        judge_check(outcome)
        judge_after(outcome, box)
        if case.build and case.expect == "accepted" and not outcome.problems:
            judge_build(outcome, box, box.base / "out")
    return outcome


# -- the markup build, opened in Chromium ----------------------------------------------------------
@dataclass
class BrowserResult:
    executed: list[str] = field(default_factory=list)  # payload ids that ran, dialogs, injected handlers
    invisible: list[str] = field(default_factory=list)  # payload ids whose text is shown nowhere
    problems: list[str] = field(default_factory=list)
    pages: int = 0


INIT_SCRIPT = "window.__pwned = []; window.alert = window.confirm = window.prompt = (m) => { window.__pwned.push('dialog:' + m); };"
INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on') && /__pwned|alert/.test(attr.value)) bad.push(el.tagName + ' ' + name);
      const jsUrl = /^\\s*javascript:/i.test(attr.value) && !/^javascript:void\\(0\\);?$/.test(attr.value);  // Pagefind's own form
      if ((name === 'href' || name === 'src' || name === 'action' || name === 'formaction') && jsUrl) bad.push(el.tagName + ' ' + name + '=' + attr.value);
    }
    if (el.tagName === 'SCRIPT' && /__pwned/.test(el.textContent)) bad.push('SCRIPT ' + el.textContent.slice(0, 60));
  }
  return bad;
}"""
SEARCH = "search/?q=hostilemark"  # every payload carries the word: the query finds every page with one
FILTERS = "search-filters"  # the text of the search page's filter list, opened
FILTER_TEXT = """() => Array.from(document.querySelectorAll('.search-filters fieldset, fieldset'))
  .map(e => e.innerText).join('\\n')"""
OPEN_SEARCH = """async () => {
  for (let round = 0; round < 40; round++) {
    const more = document.querySelector('.search-more');
    if (!more || more.hidden) break;
    more.click();
    await new Promise(r => setTimeout(r, 200));
  }
  for (const d of document.querySelectorAll('details')) d.open = true;
  await new Promise(r => setTimeout(r, 300));
}"""


def markup_copy(cases: list[Case], base: Path) -> tuple[Sandbox, list[str]]:
    """One content copy carrying every markup case's payload (for a single build)."""
    box = make_sandbox(base)
    problems = []
    for case in cases:
        try:
            apply_ops(case, box)
        except Exception as error:
            problems.append(f"{case.id}: cannot join the markup build: {type(error).__name__}: {error}")
    return box, problems


def run_markup_build(cases: list[Case], use_browser: bool) -> BrowserResult:
    result = BrowserResult()
    with tempfile.TemporaryDirectory(prefix="hostile-markup-") as temp:
        box, result.problems = markup_copy(cases, Path(temp))
        out = box.base / "www" / "site"
        code, stdout, stderr, _ = run_tool(["build", CONTENT, "--out", str(out)], box.base, BUILD_TIMEOUT)
        probe = Outcome(cases[0], code, stdout, stderr)
        judge_run(probe, "markup build")
        result.problems += [m for messages in probe.problems.values() for m in messages]
        if code != 0:
            result.problems.append(f"markup build exit {code}: {last_lines(stdout + stderr, 8)}")
            return result
        result.problems += built_leaks(out)
        if use_browser:
            browse(out, cases, result)
    return result


@contextmanager
def serving(www: Path, not_found: Path) -> Iterator[int]:
    from site_builder.serve import make_server

    server = make_server(www, 0, quiet=True, not_found=not_found)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


def site_pages(out: Path) -> list[str]:
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html") if "pagefind" not in p.parts)
    return [p[: -len("index.html")] if p.endswith("index.html") else p for p in pages]


def browse(out: Path, cases: list[Case], result: BrowserResult) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_support import launch_args

    texts: dict[str, str] = {}
    with serving(out.parent, out / "404.html") as port, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        try:
            base = f"http://127.0.0.1:{port}/{out.name}/"
            expected = [c.payload_text for c in cases if c.payload and c.visible and c.shown_on == FILTERS]
            for path in site_pages(out) + [SEARCH]:
                texts.update(visit(browser, base + path, path, result, expected))
                result.pages += 1
        finally:
            browser.close()
    everything = "\n".join(texts.values())
    for case in cases:
        if not case.payload or not case.visible:
            continue
        where = texts.get(case.shown_on, "") if case.shown_on else everything
        if case.payload_text not in where:
            result.invisible.append(f"{case.id}: payload text not shown as text on {case.shown_on or 'any page'}")


FILTER_GROUPS = ("单位", "主管部门", "地区")


def settle_filters(page: Any, expected: list[str], seconds: float = 60.0) -> None:
    """Wait until the filter list (loaded after the results) shows all its groups and every payload
    expected there, and stops changing for 1.5 s; on a loaded CI machine Pagefind fills the groups'
    values one by one, and a pause of 1.5 s between two of them was seen. A payload that never shows
    as text is still reported (by ``browse``) when the 60 s are up."""
    deadline, last, stable = time.monotonic() + seconds, None, 0
    while time.monotonic() < deadline:
        page.evaluate("() => { for (const d of document.querySelectorAll('details')) d.open = true; }")
        text = page.evaluate(FILTER_TEXT)
        complete = all(group in text for group in FILTER_GROUPS) and all(p in text for p in expected)
        stable = stable + 1 if text == last and complete else 0
        if stable >= 5:
            return
        last = text
        page.wait_for_timeout(300)


def visit(browser: Any, url: str, path: str, result: BrowserResult, expected_filters: list[str]) -> dict[str, str]:
    """Open one page; record what ran; return its text (and, for the search page, its filter list's)."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(INIT_SCRIPT)
    errors: list[tuple[str, str]] = []  # (where, message)
    page.on("dialog", lambda dialog: (result.executed.append(f"{path}: dialog {dialog.message!r}"), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append((path, f"page error {error}")))
    page.on("console", lambda message: errors.append((path, f"console {message.text}"))
            if message.type == "error" else None)
    try:
        page.goto(url, wait_until="networkidle")
        if "?q=" in path:
            page.wait_for_selector("#search[data-state=ready]", timeout=15000)
            page.evaluate(OPEN_SEARCH)
            settle_filters(page, expected_filters)
        ran = page.evaluate("window.__pwned")
        result.executed += [f"{path}: payload {item!r} ran" for item in ran]
        result.executed += [f"{path}: injected {item}" for item in page.evaluate(INJECTED)]
        texts = {path: page.evaluate("document.body.innerText")}
        if "?q=" in path:
            texts[FILTERS] = page.evaluate(FILTER_TEXT)
    except Exception as error:  # a page that cannot be read is a failure of this case, not of the run
        result.problems.append(f"{path}: {type(error).__name__}: {str(error).splitlines()[0]}")
        texts = {}
    finally:
        context.close()
    for where, message in errors:
        if "pwned" in message or "hostilemark" in message:
            result.executed.append(f"{where}: {message}")
        elif "404" not in message:  # the markdown image cases point at missing files on purpose
            result.problems.append(f"{where}: {message}")
    return texts


# -- the whole run -------------------------------------------------------------------------------
@dataclass
class Summary:
    outcomes: list[Outcome]
    browser: BrowserResult | None

    def count(self, category: str) -> int:
        return sum(1 for o in self.outcomes if category in o.problems)

    @property
    def executed(self) -> int:
        return len(self.browser.executed) if self.browser else 0

    def lines(self) -> list[str]:
        t, u, r = self.count("traceback"), self.count("unexpected-acceptance"), self.count("unexpected-refusal")
        leaks_, other = self.count("leak"), self.count("mismatch")
        invisible = len(self.browser.invisible) if self.browser else 0
        browser_problems = len(self.browser.problems) if self.browser else 0
        return [
            f"hostile corpus: {len(self.outcomes)} cases, {t} tracebacks, {u} unexpected acceptances, "
            f"{r} unexpected refusals, {self.executed} executed payloads",
            f"also: {leaks_} leaks, {other} other mismatches, {invisible} payloads not shown as text, "
            f"{browser_problems} markup-build problems"
            + (f" ({self.browser.pages} pages opened in Chromium)" if self.browser else ""),
        ]

    @property
    def failed(self) -> bool:
        if any(o.problems for o in self.outcomes):
            return True
        return bool(self.browser and (self.browser.executed or self.browser.invisible or self.browser.problems))

    def details(self) -> list[str]:
        lines = []
        for outcome in self.outcomes:
            for category, messages in sorted(outcome.problems.items()):
                for message in messages:
                    lines.append(f"FAIL {outcome.case.id} [{outcome.case.klass}] {category}: {message}")
        if self.browser:
            lines += [f"FAIL markup-build executed: {m}" for m in self.browser.executed]
            lines += [f"FAIL markup-build not shown: {m}" for m in self.browser.invisible]
            lines += [f"FAIL markup-build: {m}" for m in self.browser.problems]
        return lines


def select(cases: list[Case], only: list[str]) -> list[Case]:
    if not only:
        return cases
    return [c for c in cases if c.id in only or c.klass in only or any(c.id.startswith(o.rstrip("*")) and o.endswith("*") for o in only)]


def run_corpus(cases: list[Case], use_browser: bool = True, workers: int = WORKERS,
               progress: Callable[[Outcome], None] | None = None) -> Summary:
    markup = [c for c in cases if c.payload and c.expect == "accepted"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        markup_future = pool.submit(run_markup_build, markup, use_browser) if markup else None
        outcomes = []
        for outcome in pool.map(run_case, cases):
            outcomes.append(outcome)
            if progress:
                progress(outcome)
        browser = markup_future.result() if markup_future else None
    return Summary(outcomes, browser)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="case ids or classes (prefix* allowed)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium phase of the markup build")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every case's outcome and output")
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    cases = select(load_cases(), args.only)
    verbose = args.verbose or bool(args.only)

    def progress(outcome: Outcome) -> None:
        if verbose:
            status = "FAIL" if outcome.problems else "ok"
            print(f"{status:4} {outcome.case.id} exit={outcome.returncode} {outcome.seconds:.1f}s")
            if outcome.problems or args.verbose:
                print("     " + (outcome.stdout + outcome.stderr).strip().replace("\n", "\n     ")[:3000])

    start = time.perf_counter()
    summary = run_corpus(cases, use_browser=not args.no_browser, workers=args.workers, progress=progress)
    for line in summary.details():
        print(line)
    for line in summary.lines():
        print(line)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
