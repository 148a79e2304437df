"""Revisions read with the real ``git`` executable: resolve, list trees, write blobs into a folder.

Nothing of git is reimplemented. The working tree becomes a tree object through a temporary index
(``git add -A`` then ``git write-tree``) whose new objects go to a temporary object folder (the
repository's own objects are borrowed as alternates), so ``diff`` never writes into the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

WORKTREE = "worktree"  # the name REV2 takes for the working tree (its default)
_MAIN_BRANCHES = ("main", "master")


class GitProblem(Exception):
    """Not a repository, no git, an unknown revision: a usage problem (exit 2), one line."""


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str
    kind: str  # blob | tree | commit
    oid: str
    path: str  # relative to the content folder, POSIX


class Repository:
    """A git repository and the content folder inside it."""

    def __init__(self, content: Path) -> None:
        start = content if content.is_dir() else _existing_parent(content)
        self._env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
            self._env.pop(name, None)
        self.cwd = start
        try:
            top = self.git("rev-parse", "--show-toplevel", what="find the git repository").strip()
        except GitProblem as problem:
            if "not inside a git repository" in str(problem):
                raise GitProblem(f"content folder {content} is not in a git repository; diff compares git revisions") from None
            raise
        self.top = Path(top)
        relative = os.path.relpath(os.path.realpath(content), os.path.realpath(self.top))
        if relative.startswith(".."):
            raise GitProblem(f"content folder {content} is outside the git repository {self.top}")
        self.prefix = "" if relative == "." else PurePosixPath(Path(relative).as_posix()).as_posix()
        self.cwd = self.top
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    # -- running git -----------------------------------------------------------------------------
    def git(self, *args: str, what: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
        return self.git_bytes(*args, what=what, env=env, stdin=stdin).decode("utf-8", "surrogateescape")

    def git_bytes(self, *args: str, what: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> bytes:
        try:
            done = subprocess.run(["git", *args], cwd=self.cwd, env=env or self._env, input=stdin,
                                  capture_output=True, check=False)
        except FileNotFoundError:
            raise GitProblem("git is not installed (no 'git' executable on PATH)") from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            first = message[0] if message else f"exit status {done.returncode}"
            if "not a git repository" in first:
                raise GitProblem(f"{self.cwd} is not inside a git repository; diff compares git revisions")
            raise GitProblem(f"cannot {what}: {first.removeprefix('fatal: ')}")
        return done.stdout

    # -- revisions --------------------------------------------------------------------------------
    def commit(self, revision: str) -> str:
        """The commit id of ``revision``; an unknown revision is a GitProblem."""
        if revision.startswith("-"):
            raise GitProblem(f"unknown revision {revision!r}")
        try:
            return self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
                            what=f"resolve revision {revision!r}").strip()
        except GitProblem:
            raise GitProblem(f"unknown revision {revision!r} (not a commit of {self.top})") from None

    def default_base(self) -> str:
        """The merge base of HEAD with ``main`` (else ``master``); HEAD when neither exists."""
        head = self.commit("HEAD")
        for branch in _MAIN_BRANCHES:
            try:
                main = self.commit(f"refs/heads/{branch}")
            except GitProblem:
                continue
            return self.git("merge-base", head, main, what=f"find the merge base of HEAD and {branch}").strip()
        return head

    def tree_of(self, revision: str) -> str:
        """The tree id of a revision, or of the working tree for ``WORKTREE``."""
        if revision == WORKTREE:
            return self._worktree_tree()
        return self.git("rev-parse", f"{self.commit(revision)}^{{tree}}", what="read the revision's tree").strip()

    def _worktree_tree(self) -> str:
        """The working tree's content folder as a tree object: tracked and untracked (not ignored) files."""
        scratch = self.scratch()
        env = dict(self._env)
        objects = Path(self.git("rev-parse", "--path-format=absolute", "--git-path", "objects", what="find the objects").strip())
        index = Path(self.git("rev-parse", "--path-format=absolute", "--git-path", "index", what="find the index").strip())
        temp_index = scratch / "index"
        if index.is_file():  # the real index's file times spare rehashing unchanged files
            shutil.copyfile(index, temp_index)
        (scratch / "objects").mkdir(exist_ok=True)
        env.update(GIT_INDEX_FILE=str(temp_index), GIT_OBJECT_DIRECTORY=str(scratch / "objects"),
                   GIT_ALTERNATE_OBJECT_DIRECTORIES=str(objects))
        self._env_worktree = env
        pathspec = self.prefix or "."
        self.git("add", "-A", "--", pathspec, what="read the working tree", env=env)
        return self.git("write-tree", what="read the working tree", env=env).strip()

    def scratch(self) -> Path:
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="site-builder-diff-")
        return Path(self._scratch.name)

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def _object_env(self) -> dict[str, str]:
        return getattr(self, "_env_worktree", self._env)

    # -- trees and blobs ---------------------------------------------------------------------------
    def list_tree(self, tree: str) -> list[TreeEntry]:
        """Every entry (folders included) below the content folder in ``tree``, paths relative to it."""
        spec = f"{tree}:{self.prefix}" if self.prefix else tree
        try:
            out = self.git_bytes("ls-tree", "-r", "-t", "-z", "--end-of-options", spec, what="list the content",
                                 env=self._object_env())
        except GitProblem:
            return []  # the content folder does not exist in this revision
        entries = []
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, oid = meta.split(" ")
            entries.append(TreeEntry(mode, kind, oid, path))
        return entries

    def write_files(self, entries: list[TreeEntry], root: Path) -> None:
        """Write the blobs of ``entries`` below ``root`` (one ``git cat-file --batch`` for all).

        A symbolic link is written as a link (never followed here) so that the loader refuses it
        exactly as it refuses one in the working tree; submodules are left out.
        """
        blobs = [e for e in entries if e.kind == "blob" and _safe(e.path)]
        if not blobs:
            return
        request = "".join(f"{e.oid}\n" for e in blobs).encode()
        out = self.git_bytes("cat-file", "--batch", what="read the revision's files", env=self._object_env(), stdin=request)
        position = 0
        for entry in blobs:
            header_end = out.index(b"\n", position)
            size = int(out[position:header_end].split(b" ")[2])
            data = out[header_end + 1: header_end + 1 + size]
            position = header_end + 1 + size + 1
            target = root / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if entry.mode == "120000":
                os.symlink(data.decode("utf-8", "surrogateescape"), target)
            else:
                target.write_bytes(data)


def _safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts and "." not in parts


def _existing_parent(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.is_dir():
            return parent
    return Path.cwd()
