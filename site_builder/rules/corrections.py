"""更正记录: a report changed after its publication date must say so in ``corrections:``.

Which revisions changed a report folder is read from git (a real ``git`` executable), when the
content is in a git repository: every commit that touched the folder, and uncommitted changes
(dated today), which is what a pre-commit hook sees; the commit that first added the folder and
changes of report.yaml alone are not changes of the published report. Without git the rule cannot tell and says so
with one ``info`` finding. Rule ids: ``report.correction-missing`` (error),
``report.correction-unchecked`` (info).
"""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from site_builder.findings import Finding
from site_builder.model import Report

_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false")  # no configured command runs


@dataclass(frozen=True)
class Change:
    commit: str  # short id; "" for uncommitted changes
    date: str  # YYYY-MM-DD (committer date)


def _git(folder: Path, *args: str) -> str | None:
    if not folder.is_dir():
        return None
    env = dict(os.environ, LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # set for hooks, possibly relative to the
        if env.get(name) and not os.path.isabs(env[name]):    # current folder, which -C would change
            env[name] = os.path.abspath(env[name])
    try:
        done = subprocess.run(["git", *_SAFE, "-C", str(folder), *args], capture_output=True, env=env, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


#: report.yaml alone is left out: recording ``published:`` or a correction entry is no change of
#: the published figures or text (the brief's trade-off: its title or acknowledgements are not watched).
_WATCHED = ("--", ".", ":(exclude)report.yaml")


def folder_changes(folder: Path) -> list[Change] | None:
    """Changes of ``folder`` after it was first committed, newest first: uncommitted ones (dated
    today), then its commits. None when there is no git or the folder is not in a git repository."""
    log = _git(folder, "log", "--format=%h %cs", *_WATCHED)
    if log is None:
        return None
    changes = [Change(*line.split(" ", 1)) for line in log.splitlines() if " " in line][:-1]  # not the first commit
    status = _git(folder, "status", "--porcelain", *_WATCHED)
    if status:
        changes.insert(0, Change("", datetime.date.today().isoformat()))
    return changes


def run(report: Report) -> list[Finding]:
    if not report.published or report.published_place is None:
        return []
    changes = folder_changes(Path(report.folder))
    if changes is None:
        return [Finding("report.correction-unchecked",
                        "the report has a publication date, but its folder is not in a git repository (or git is not "
                        "installed), so changes after publication cannot be checked against its corrections",
                        report.published_place, severity="info", report=report.rel, table="report.yaml")]
    latest_entry = max((c.date for c in report.corrections), default="")
    for change in changes:  # newest first: the newest change without an entry is the one to tell
        if change.date > report.published and change.date > latest_entry:
            what = f"commit {change.commit} of {change.date}" if change.commit else f"uncommitted changes ({change.date})"
            return [Finding("report.correction-missing",
                            f"report folder changed in {what}, after its publication on {report.published}, but no "
                            f"entry of corrections is dated {change.date} or later; add one with date, what and why "
                            "(更正记录)", report.published_place, report=report.rel, table="report.yaml",
                            subject=f"correction:{change.date}")]
    return []
