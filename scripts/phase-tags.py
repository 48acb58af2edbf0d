#!/usr/bin/env python3
"""The phase tags, from the repository alone (tags.tsv at the root).

Git does not carry tags when a branch is published, so the tags live in a committed
manifest and are created locally from it.

    phase-tags.py create          create every tag in tags.tsv as a local annotated tag
    phase-tags.py check           cheap: every commit exists, is an ancestor of HEAD, and its
                                  Cargo.lock is accepted by `cargo --locked` (no build)
    phase-tags.py check-phases [TAG...]
                                  heavy: build and test every tagged commit in its own
                                  worktree (rustfmt, clippy -D warnings, cargo test, web
                                  unit tests), print a pass/fail table

`create` is idempotent; a tag that already exists and points elsewhere is reported and
never moved (the command then fails). `check-phases` shares one cargo target directory
between the commits ($CHECK_PHASES_TARGET_DIR, default target/check-phases).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tags.tsv"


class Tag:
    def __init__(self, name, commit, title, line):
        self.name, self.commit, self.title, self.line = name, commit, title, line


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def read_manifest():
    tags, seen = [], set()
    for number, raw in enumerate(MANIFEST.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 3 or not all(f.strip() for f in fields):
            fail(f"tags.tsv line {number}: expected `tag<TAB>commit<TAB>title`, got {raw!r}")
        name, commit, title = (f.strip() for f in fields)
        if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
            fail(f"tags.tsv line {number}: {commit!r} is not a full 40-hex commit hash")
        if name in seen:
            fail(f"tags.tsv line {number}: tag {name} is listed twice")
        seen.add(name)
        tags.append(Tag(name, commit, title, number))
    if not tags:
        fail("tags.tsv lists no tags")
    return tags


def git(*args, check=True, env=None):
    result = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )
    if check and result.returncode != 0:
        fail(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result


def commit_exists(commit):
    return git("cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0


def existing_tag_target(name):
    """The commit an existing tag points to, or None if there is no such tag."""
    result = git("rev-parse", "-q", "--verify", f"refs/tags/{name}^{{commit}}", check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def tagger_env():
    """Annotated tags need a tagger; a fresh clone may have no identity configured."""
    env = dict(os.environ)
    if git("config", "user.email", check=False).returncode != 0:
        env.setdefault("GIT_COMMITTER_NAME", "Liveboard tags")
        env.setdefault("GIT_COMMITTER_EMAIL", "tags@liveboard.invalid")
    return env


def create():
    tags, moved = read_manifest(), []
    env = tagger_env()
    for tag in tags:
        if not commit_exists(tag.commit):
            moved.append(f"{tag.name}: commit {tag.commit} is not in this clone (shallow clone?)")
            continue
        current = existing_tag_target(tag.name)
        if current == tag.commit:
            print(f"  ok       {tag.name} -> {tag.commit[:12]}  (already there)")
        elif current is None:
            git("tag", "-a", tag.name, tag.commit, "-m", tag.title, env=env)
            print(f"  created  {tag.name} -> {tag.commit[:12]}  {tag.title}")
        else:
            moved.append(
                f"{tag.name} points to {current[:12]}, tags.tsv says {tag.commit[:12]}; "
                f"left as it is (to follow tags.tsv: git tag -d {tag.name} && make tags)"
            )
    for problem in moved:
        print(f"  REFUSED  {problem}", file=sys.stderr)
    if moved:
        sys.exit(1)
    print(f"make tags: {len(tags)} tags match tags.tsv; try `git checkout {tags[0].name}`")


@contextmanager
def worktree(parent, tag):
    path = Path(parent) / tag.name
    git("worktree", "add", "--quiet", "--detach", str(path), tag.commit)
    try:
        yield path
    finally:
        git("worktree", "remove", "--force", str(path), check=False)
        git("worktree", "prune", check=False)


def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("host: "))


def lock_accepted(path, host):
    """`cargo metadata --locked` resolves without building; offline first, online if the
    registry cache lacks a crate. Returns None when accepted, else cargo's complaint."""
    command = ["cargo", "metadata", "--locked", "--format-version", "1",
               "--filter-platform", host]
    for extra in (["--offline"], []):
        result = subprocess.run(command + extra, cwd=path, capture_output=True, text=True)
        if result.returncode == 0:
            return None
        if "--offline was specified" not in result.stderr:
            break
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return " / ".join(lines[:2])


def check():
    tags = read_manifest()
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        print("note: this is a shallow clone; missing commits are reported as such")
    host, problems = host_triple(), []
    with tempfile.TemporaryDirectory(prefix="liveboard-tags-") as parent:
        for tag in tags:
            if not commit_exists(tag.commit):
                problems.append(f"{tag.name}: commit {tag.commit} does not exist here")
                continue
            if git("merge-base", "--is-ancestor", tag.commit, "HEAD", check=False).returncode:
                problems.append(f"{tag.name}: {tag.commit[:12]} is not an ancestor of HEAD")
                continue
            with worktree(parent, tag) as path:
                complaint = lock_accepted(path, host)
            if complaint:
                problems.append(f"{tag.name}: Cargo.lock refused with --locked: {complaint}")
                continue
            print(f"  ok  {tag.name:<10} {tag.commit[:12]}  {tag.title}")
            current = existing_tag_target(tag.name)
            if current and current != tag.commit:
                print(f"      note: your local tag {tag.name} points to {current[:12]}")
    for problem in problems:
        print(f"  FAIL {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"tags.tsv: {len(tags)} tags, every commit on this history and --locked clean")


def run_step(label, command, cwd, env, log):
    started = time.monotonic()
    log.write(f"\n$ {' '.join(command)}   # {label}\n")
    log.flush()
    result = subprocess.run(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return result.returncode == 0, time.monotonic() - started


def web_node_modules(path, env, log):
    """Copy the working tree's node_modules when the lockfile is the same, else npm ci."""
    ours, theirs = ROOT / "web" / "package-lock.json", path / "web" / "package-lock.json"
    if (ROOT / "web" / "node_modules").is_dir() and ours.read_bytes() == theirs.read_bytes():
        shutil.copytree(ROOT / "web" / "node_modules", path / "web" / "node_modules",
                        symlinks=True)
        return True
    ok, _ = run_step("web deps", ["npm", "--prefix", "web", "ci", "--prefer-offline",
                                  "--no-audit", "--no-fund"], path, env, log)
    return ok


def check_phases(names):
    tags = read_manifest()
    if names:
        unknown = set(names) - {t.name for t in tags}
        if unknown:
            fail(f"not in tags.tsv: {', '.join(sorted(unknown))}")
        tags = [t for t in tags if t.name in names]
    target = Path(os.environ.get("CHECK_PHASES_TARGET_DIR", ROOT / "target" / "check-phases"))
    logs = ROOT / "target" / "check-phases-logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target.resolve()), CARGO_TERM_COLOR="never",
               NEXT_TELEMETRY_DISABLED="1", CI="true")
    steps = [
        ("fmt", ["cargo", "fmt", "--all", "--", "--check"]),
        ("clippy", ["cargo", "clippy", "--workspace", "--all-targets", "--locked",
                    "--", "-D", "warnings"]),
        ("test", ["cargo", "test", "--workspace", "--locked"]),
    ]
    rows, all_passed, started = [], True, time.monotonic()
    with tempfile.TemporaryDirectory(prefix="liveboard-phases-") as parent:
        for tag in tags:
            log_path = logs / f"{tag.name}.log"
            print(f"== {tag.name} {tag.commit[:12]} (log: {log_path.relative_to(ROOT)})",
                  flush=True)
            results = []
            with worktree(parent, tag) as path, open(log_path, "w") as log:
                for label, command in steps:
                    ok, seconds = run_step(label, command, path, env, log)
                    results.append((label, ok, seconds))
                    print(f"   {label:<7} {'pass' if ok else 'FAIL'}  {seconds:6.0f} s", flush=True)
                web_started = time.monotonic()
                if web_node_modules(path, env, log):
                    ok, _ = run_step("web", ["npm", "--prefix", "web", "run", "test"],
                                     path, env, log)
                else:
                    ok = False
                results.append(("web", ok, time.monotonic() - web_started))
                print(f"   {'web':<7} {'pass' if ok else 'FAIL'}  "
                      f"{results[-1][2]:6.0f} s", flush=True)
            all_passed &= all(ok for _, ok, _ in results)
            rows.append((tag, results))
    print()
    labels = [label for label, _ in steps] + ["web"]
    print(f"{'tag':<10} {'commit':<12} " + " ".join(f"{l:<7}" for l in labels) + " seconds")
    for tag, results in rows:
        cells = " ".join(f"{'pass' if ok else 'FAIL':<7}" for _, ok, _ in results)
        print(f"{tag.name:<10} {tag.commit[:12]} {cells} {sum(s for _, _, s in results):7.0f}")
    print(f"total {time.monotonic() - started:.0f} s; logs in {logs.relative_to(ROOT)}/")
    if not all_passed:
        sys.exit(1)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("create", "check", "check-phases"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if argv[1] == "create":
        create()
    elif argv[1] == "check":
        check()
    else:
        check_phases(argv[2:])


if __name__ == "__main__":
    main(sys.argv)
