#!/usr/bin/env python3
"""The workshop's exercises: regions of the real code, cut out and put back.

    exercise.py list               every exercise: chapter, id, title, state
    exercise.py start ID [--force] replace the exercise's region with its stub
    exercise.py check ID           run its check: which tests pass, a hint for the first failure
    exercise.py restore ID [--from REV]
                                   put the solution back (just that region, from REV, default
                                   HEAD), keeping every other edit in the file
    exercise.py verify             for CI: every stub compiles and fails its check, every
                                   solution passes, the tree ends byte-identical, the book's
                                   exercises page is current
    exercise.py docs               rewrite docs/src/exercises.md from exercises/exercises.toml
    exercise.py failures           run the failure demonstrations (ignored tests) and say
                                   what each one showed

An exercise is the lines between `// EXERCISE(ID): title` and `// EXERCISE_END(ID)` in its
file. `start` rewrites only those lines and leaves the markers, so the region can always be
found again; `restore` copies the same region back from git. Nothing else is stored.
"""

import os
import re
import shlex
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "exercises" / "exercises.toml"
PAGE = ROOT / "docs" / "src" / "exercises.md"
MIN_PER_CHAPTER = 4
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CARGO_TEST_LINE = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", re.M)
VITEST_LINE = re.compile(r"^\s*([✓×✗])\s+(.+?)(?:\s+\d+ms)?\s*$", re.M)


class ExerciseError(Exception):
    """A problem the user can act on; printed without a traceback."""


def load():
    with open(MANIFEST, "rb") as f:
        manifest = tomllib.load(f)
    exercises = manifest.get("exercise", [])
    ids = [e["id"] for e in exercises]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ExerciseError(f"exercises.toml lists {', '.join(sorted(duplicates))} twice")
    return manifest, exercises


def find(exercises, ex_id):
    for ex in exercises:
        if ex["id"] == ex_id:
            return ex
    raise ExerciseError(
        f"no exercise {ex_id!r}; `make exercises` lists them: {', '.join(e['id'] for e in exercises)}"
    )


# --- regions ---------------------------------------------------------------------------


class Region:
    """The lines between an exercise's markers in one version of its file."""

    def __init__(self, ex, text):
        self.ex = ex
        self.lines = text.split("\n")
        start = re.compile(rf"^(\s*)// EXERCISE\({re.escape(ex['id'])}\): (.*?)\s*$")
        end = re.compile(rf"^\s*// EXERCISE_END\({re.escape(ex['id'])}\)\s*$")
        starts = [i for i, line in enumerate(self.lines) if start.match(line)]
        ends = [i for i, line in enumerate(self.lines) if end.match(line)]
        if len(starts) != 1 or len(ends) != 1 or ends[0] <= starts[0]:
            raise ExerciseError(
                f"{ex['file']}: expected one `// EXERCISE({ex['id']}): …` line followed by one "
                f"`// EXERCISE_END({ex['id']})` line (found {len(starts)} and {len(ends)})"
            )
        match = start.match(self.lines[starts[0]])
        self.indent, self.title = match.group(1), match.group(2)
        self.first, self.last = starts[0] + 1, ends[0]  # body = lines[first:last]

    @property
    def body(self):
        return self.lines[self.first : self.last]

    def with_body(self, body):
        return "\n".join(self.lines[: self.first] + body + self.lines[self.last :])


def stub_lines(ex, indent):
    text = textwrap.dedent(ex["stub"]).strip("\n")
    return [indent + line if line.strip() else "" for line in text.split("\n")]


def read_file(ex):
    path = ROOT / ex["file"]
    if not path.is_file():
        raise ExerciseError(f"{ex['file']} does not exist")
    return path.read_text(encoding="utf-8")


def write_file(ex, text):
    (ROOT / ex["file"]).write_text(text, encoding="utf-8")


def git_version(ex, rev):
    result = subprocess.run(
        ["git", "show", f"{rev}:{ex['file']}"], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ExerciseError(f"git has no {ex['file']} at {rev}: {result.stderr.strip()}")
    return result.stdout


def state(ex):
    region = Region(ex, read_file(ex))
    if region.body == stub_lines(ex, region.indent):
        return "started (stub)"
    try:
        solution = Region(ex, git_version(ex, "HEAD"))
    except ExerciseError:
        return "edited"
    return "solution" if region.body == solution.body else "edited"


# --- running checks ----------------------------------------------------------------------


class CheckRun:
    """The outcome of one check command: exit status and the tests it reported."""

    def __init__(self, ex, quiet=False):
        env = dict(os.environ, CARGO_TERM_COLOR="never", NO_COLOR="1", FORCE_COLOR="0",
                   NEXT_TELEMETRY_DISABLED="1", RUST_BACKTRACE="0",
                   # A failing property test on a stub must not leave a regression file.
                   PROPTEST_DISABLE_FAILURE_PERSISTENCE="1")
        started = time.monotonic()
        result = subprocess.run(shlex.split(ex["check"]), cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.seconds = time.monotonic() - started
        self.ok = result.returncode == 0
        self.output = ANSI.sub("", result.stdout)
        self.tests = []  # (name, passed)
        for name, outcome in CARGO_TEST_LINE.findall(self.output):
            if outcome != "ignored":
                self.tests.append((name, outcome == "ok"))
        for mark, name in VITEST_LINE.findall(self.output):
            self.tests.append((name, mark == "✓"))
        self.compiled = bool(self.tests) or "test result:" in self.output

    @property
    def failed(self):
        return [name for name, passed in self.tests if not passed]

    def compile_errors(self, limit=25):
        lines = self.output.splitlines()
        first = next((i for i, l in enumerate(lines) if l.startswith("error")), 0)
        return "\n".join(lines[first : first + limit])

    def failure_detail(self, name, limit=8):
        """The panic or assertion message of a failed test, a few lines of it."""
        lines = self.output.splitlines()
        short = name.split(" > ")[-1]
        for i, line in enumerate(lines):
            if line.strip() in (f"---- {name} stdout ----",) or (
                "FAIL" in line and line.rstrip().endswith(short)
            ):
                body = []
                for l in lines[i + 1 : i + 1 + limit * 2]:
                    if l.startswith(("note: ", "stack backtrace", "----", "failures:")):
                        break
                    if l.strip():
                        body.append(l)
                return "\n".join(body[:limit])
        return ""


def hint_for(ex, test_name):
    for key, hint in ex.get("hints", {}).items():
        if key in test_name:
            return hint
    return ex.get("hint", "")


def print_check(ex, run):
    if not run.compiled:
        print(f"{ex['id']}: the code does not compile yet (or the check could not run):\n")
        print(textwrap.indent(run.compile_errors(), "    "))
        return
    for name, passed in run.tests:
        print(f"  {'pass' if passed else 'FAIL'}  {name}")
    passed = sum(1 for _, p in run.tests if p)
    print(f"\n{ex['id']}: {passed} of {len(run.tests)} tests pass", end="")
    if run.ok:
        print(" — done. `make exercise-restore EX=" + ex["id"] + "` shows the original.")
        return
    print()
    first = run.failed[0] if run.failed else None
    if first:
        print(f"\nfirst failure: {first}")
        detail = run.failure_detail(first)
        if detail:
            print(textwrap.indent(detail, "    "))
        hint = hint_for(ex, first)
        if hint:
            print(f"\nhint: {hint}")


# --- commands --------------------------------------------------------------------------


def cmd_list(manifest, exercises):
    print(f"{'ch':<3} {'id':<22} {'state':<15} title")
    for ex in sorted(exercises, key=lambda e: e["chapter"]):
        try:
            current = state(ex)
        except ExerciseError as e:
            current = f"broken: {e}"
        print(f"{ex['chapter']:<3} {ex['id']:<22} {current:<15} {ex['title']}")
    print("\nmake exercise-start EX=<id>   then   make exercise-check EX=<id>")


def cmd_start(exercises, ex_id, force):
    ex = find(exercises, ex_id)
    current = state(ex)
    if current == "edited" and not force:
        raise ExerciseError(
            f"{ex['file']}: the region of {ex_id} has edits of yours; `start` would replace "
            f"them (add --force, or `make exercise-restore EX={ex_id}` first)"
        )
    region = Region(ex, read_file(ex))
    write_file(ex, region.with_body(stub_lines(ex, region.indent)))
    print(f"{ex_id} ({ex['file']}:{region.first}): {ex['title']}\n")
    print(textwrap.fill(ex["instructions"], 88))
    print(f"\ncheck:   make exercise-check EX={ex_id}     ({ex['check']})")
    print(f"give up: make exercise-restore EX={ex_id}   (puts the original back)")


def cmd_check(exercises, ex_id):
    ex = find(exercises, ex_id)
    print(f"$ {ex['check']}", flush=True)
    run = CheckRun(ex)
    print_check(ex, run)
    return 0 if run.ok else 1


def cmd_restore(exercises, ex_id, rev):
    ex = find(exercises, ex_id)
    solution = Region(ex, git_version(ex, rev))
    if solution.body == stub_lines(ex, solution.indent):
        raise ExerciseError(
            f"{rev} holds the stub of {ex_id} (was it committed?); restore from a phase tag, "
            f"e.g. `python3 scripts/exercise.py restore {ex_id} --from main`"
        )
    region = Region(ex, read_file(ex))
    write_file(ex, region.with_body(solution.body))
    print(f"{ex_id}: the solution from {rev} is back in {ex['file']} (other edits kept)")


def untracked():
    """Files git does not track and does not ignore: what a check could leave behind."""
    out = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    return set(out.split())


def crate_of(ex):
    words = shlex.split(ex["check"])
    if "-p" in words:
        return words[words.index("-p") + 1]
    return words[0] if words[0] != "npm" else "web"


def consistency(manifest, exercises):
    """Problems in the manifest itself: fields, markers, titles, chapter counts."""
    problems = []
    required = ("id", "chapter", "title", "file", "instructions", "stub", "check")
    for ex in exercises:
        missing = [k for k in required if not str(ex.get(k, "")).strip()]
        if missing:
            problems.append(f"{ex.get('id', '?')}: missing {', '.join(missing)}")
            continue
        try:
            region = Region(ex, read_file(ex))
        except ExerciseError as e:
            problems.append(str(e))
            continue
        if region.title != ex["title"]:
            problems.append(f"{ex['id']}: marker title {region.title!r} differs from the manifest's")
        if ex["file"].endswith(".rs") and "todo!(" not in ex["stub"] and "Not written yet" not in ex["stub"]:
            problems.append(f"{ex['id']}: a Rust stub must use todo!(…) or say `Not written yet`")
    listed = {e["id"] for e in exercises}
    marked = set()
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.rs", "*.ts",
                            "*.tsx"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name in files:
        path = ROOT / name
        if not path.is_file() or "node_modules" in name:
            continue
        marked.update(re.findall(r"// EXERCISE\(([\w-]+)\):", path.read_text(encoding="utf-8")))
    for orphan in sorted(marked - listed):
        problems.append(f"marker EXERCISE({orphan}) has no entry in exercises.toml")
    for chapter in sorted(manifest.get("chapters", {})):
        count = sum(1 for e in exercises if str(e["chapter"]) == chapter)
        if count < MIN_PER_CHAPTER:
            problems.append(f"chapter {chapter} has {count} exercises; at least {MIN_PER_CHAPTER} wanted")
    current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else None
    if current != render_page(manifest, exercises):
        problems.append("docs/src/exercises.md is stale: run `python3 scripts/exercise.py docs`")
    return problems


def cmd_verify(manifest, exercises):
    started = time.monotonic()
    problems = consistency(manifest, exercises)
    if problems:
        for p in problems:
            print(f"  FAIL {p}")
        return 1
    files = sorted({ex["file"] for ex in exercises})
    original = {f: (ROOT / f).read_bytes() for f in files}
    untracked_before = untracked()
    rows, failures = [], []
    groups = {}
    for ex in exercises:
        groups.setdefault(crate_of(ex), []).append(ex)
    try:
        for crate, members in groups.items():
            print(f"== {crate}: {len(members)} exercises", flush=True)
            stub_runs = {}
            for ex in members:
                text = original[ex["file"]].decode("utf-8")
                region = Region(ex, text)
                write_file(ex, region.with_body(stub_lines(ex, region.indent)))
                run = CheckRun(ex)
                (ROOT / ex["file"]).write_bytes(original[ex["file"]])
                stub_runs[ex["id"]] = run
                verdict = ("FAIL (as it must)" if run.compiled and run.failed and not run.ok
                           else "does not compile" if not run.compiled
                           else "PASSES on the stub")
                print(f"   stub     {ex['id']:<22} {verdict}  {run.seconds:5.0f} s", flush=True)
            for ex in members:
                run, stub = CheckRun(ex), stub_runs[ex["id"]]
                good_stub = stub.compiled and bool(stub.failed) and not stub.ok
                good_solution = run.ok and bool(run.tests) and not run.failed
                print(f"   solution {ex['id']:<22} {'pass' if good_solution else 'FAIL'}  "
                      f"{run.seconds:5.0f} s", flush=True)
                rows.append((ex, stub, run, good_stub and good_solution))
                if not good_stub:
                    failures.append((ex, "stub", stub))
                if not good_solution:
                    failures.append((ex, "solution", run))
    finally:
        for f, data in original.items():
            (ROOT / f).write_bytes(data)
    changed = [f for f, data in original.items() if (ROOT / f).read_bytes() != data]
    changed += sorted(untracked() - untracked_before)
    print(f"\n{'ch':<3} {'exercise':<22} {'stub: failing tests':<20} {'solution: tests':<16} ok")
    for ex, stub, run, ok in rows:
        print(f"{ex['chapter']:<3} {ex['id']:<22} {len(stub.failed):>3} of {len(stub.tests):<13} "
              f"{len(run.tests) - len(run.failed):>3} of {len(run.tests):<9} {'yes' if ok else 'NO'}")
    for ex, which, run in failures:
        print(f"\nFAIL {ex['id']} ({which}): `{ex['check']}`")
        if not run.compiled:
            print(textwrap.indent(run.compile_errors(), "    "))
        elif which == "stub":
            print("    the check passes with the stub in place: no test exercises this region")
        else:
            print(f"    failing: {', '.join(run.failed) or '(no tests ran)'}")
    if changed:
        print(f"\nFAIL the working tree changed: {', '.join(changed)}")
    total = time.monotonic() - started
    print(f"\nverify: {len(rows)} exercises, {len(rows) - len({f[0]['id'] for f in failures})} "
          f"good, {total:.0f} s; working tree {'CHANGED' if changed else 'unchanged'}")
    return 1 if failures or changed else 0


# --- the book page ----------------------------------------------------------------------


def render_page(manifest, exercises):
    chapters = manifest.get("chapters", {})
    out = [
        "<!-- Generated from exercises/exercises.toml by `python3 scripts/exercise.py docs`;",
        "     `make check-exercises` fails when this page is stale. Edit the manifest, not this page. -->",
        "",
        "# Exercises",
        "",
        "Every exercise is a piece of the real code, cut out. You get the function's signature,",
        "its documentation and the tests that already check it; you write the body. The tests",
        "are the same ones the project runs in CI, so when they pass your code is as good as",
        "the original — and you can compare with it at any time.",
        "",
        "```sh",
        "make exercises                      # every exercise and its state (solution, started, edited)",
        "make exercise-start EX=ch1-router   # cut the region out: a stub that compiles takes its place",
        "make exercise-check EX=ch1-router   # run its tests: which pass, a hint for the first failure",
        "make exercise-restore EX=ch1-router # put the original back (only that region; your other edits stay)",
        "```",
        "",
        "The region is marked in the source by two comment lines, `// EXERCISE(id): title` and",
        "`// EXERCISE_END(id)`; `start` replaces only what lies between them, and `restore`",
        "copies the same lines back from git (`HEAD`). Do the exercises on `main`: the phase",
        "tags predate the markers, and each check runs only the tests of its own region, so",
        "the later phases' code around it does not get in the way. Several exercises can be",
        "started at once. To start over completely: `git stash` (keeps your work aside) or",
        "`git checkout -- .` (drops it).",
        "",
    ]
    for key in sorted(chapters, key=int):
        chapter = chapters[key]
        out += [f"## Chapter {key}: {chapter['title']}", "",
                f"Read first: [{chapter['title']}]({chapter['page']}).", ""]
        for ex in (e for e in exercises if str(e["chapter"]) == key):
            out += [
                f"### {ex['id']}: {ex['title']}",
                "",
                f"File: `{ex['file']}`",
                "",
                textwrap.fill(ex["instructions"].strip(), 88),
                "",
                "```sh",
                f"make exercise-start EX={ex['id']}",
                f"make exercise-check EX={ex['id']}     # runs: {ex['check']}",
                f"make exercise-restore EX={ex['id']}",
                "```",
                "",
            ]
        demos = [f for f in manifest.get("failure", []) if str(f["chapter"]) == key]
        if demos:
            out += ["Failures to watch (`make failures` runs them all):", ""]
            for demo in demos:
                out += [f"- {demo['story']} Run: `{demo['check']}`"]
            out.append("")
    return "\n".join(out)


def cmd_docs(manifest, exercises):
    PAGE.write_text(render_page(manifest, exercises), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")


# --- failure demonstrations -------------------------------------------------------------


def cmd_failures(manifest):
    demos = manifest.get("failure", [])
    env = dict(os.environ, CARGO_TERM_COLOR="never")
    outcome = []
    for demo in demos:
        print(f"\n== chapter {demo['chapter']}: {demo['story']}\n$ {demo['check']}", flush=True)
        result = subprocess.run(shlex.split(demo["check"]), cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # With --nocapture a line may start with libtest's `test name ... `.
        shown = [line.split("FAILURE ", 1)[1] for line in result.stdout.splitlines()
                 if "FAILURE " in line]
        for line in shown:
            print("   " + line)
        ran = result.returncode == 0 and shown
        outcome.append((demo, ran))
        if not ran:
            print(textwrap.indent("\n".join(result.stdout.splitlines()[-30:]), "    "))
    print()
    for demo, ran in outcome:
        print(f"  {'shown' if ran else 'DID NOT RUN'}  ch{demo['chapter']}  {demo['story']}")
    return 0 if all(ran for _, ran in outcome) else 1


def main(argv):
    args = argv[1:]
    if not args or args[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if args else 2
    try:
        manifest, exercises = load()
        command, rest = args[0], args[1:]
        if command == "list":
            cmd_list(manifest, exercises)
        elif command == "start" and rest:
            cmd_start(exercises, rest[0], "--force" in rest[1:])
        elif command == "check" and rest:
            return cmd_check(exercises, rest[0])
        elif command == "restore" and rest:
            rev = rest[rest.index("--from") + 1] if "--from" in rest[1:-1] else "HEAD"
            cmd_restore(exercises, rest[0], rev)
        elif command == "verify":
            return cmd_verify(manifest, exercises)
        elif command == "docs":
            cmd_docs(manifest, exercises)
        elif command == "failures":
            return cmd_failures(manifest)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ExerciseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
