"""Mutation testing of the core (``make mutation``): how much of the method the tests really hold.

mutmut (3.x, configured in pyproject.toml's ``[tool.mutmut]``) changes the core's code one small
edit at a time (an operator, a constant, a comparison, a dropped argument…) and runs the tests that
cover the changed function; a *mutant* the tests do not notice has *survived*. This script runs
mutmut on the core modules (all of them, or those named), then reports, per module, the share of
non-equivalent mutants killed, and fails (exit 1) when a module is below :data:`REQUIRED`.

A surviving mutant is either a missing test (write it) or *equivalent*: it cannot change any
result (e.g. ``np.asarray(x, dtype=float)`` → ``dtype=None`` on arrays that are float already).
Equivalent mutants are recorded in ``tests/mutation_equivalents.toml``, each with its reason, by
its function and the mutated line, so that the record survives the renumbering of mutants when
code moves. A recorded mutant that no longer exists is reported (the record is kept honest).

Usage::

    make mutation                                 # every core module (3,600 mutants: about two hours on 2 idle cores)
    .venv/bin/python scripts/mutation.py classes priorities   # some modules
    .venv/bin/python scripts/mutation.py --report-only        # the last run's figures again

Tests run under the ``mutation`` hypothesis profile (fewer examples: tests/conftest.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]
PACKAGE = "innexport.core"
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.toml"
REQUIRED = 0.95
"""The share of non-equivalent mutants each core module's tests must kill."""

KILLED = {"killed", "timeout", "segfault"}
"""mutmut statuses where the tests noticed the mutant (a hang or a crash is noticed too)."""

_RESULT = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>.+?)\s*$")


def core_modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / "src" / "innexport" / "core").glob("*.py") if p.stem != "__init__")


def run(modules: list[str], children: int) -> None:
    # mutmut copies the tests into mutants/ only when they are not there yet: refresh them, so that
    # a test written since the last run is run
    copy = ROOT / "mutants" / "tests"
    if copy.is_dir():
        shutil.copytree(ROOT / "tests", copy, dirs_exist_ok=True)
    patterns = [f"{PACKAGE}.{m}.*" for m in modules]
    env = os.environ | {"HYPOTHESIS_PROFILE": "mutation"}
    done = subprocess.run([*MUTMUT, "run", "--max-children", str(children), *patterns], cwd=ROOT, env=env,
                          check=False)
    if done.returncode not in (0, 1):  # mutmut returns 1 when mutants survived
        sys.exit(f"mutmut failed (exit {done.returncode})")


def results() -> dict[str, str]:
    """Every mutant's status, by name, from mutmut's last run."""
    out = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return {m["name"]: m["status"] for line in out.splitlines() if (m := _RESULT.match(line))}


def mutation_key(name: str) -> tuple[str, str]:
    """(function, mutated line) of a mutant: how equivalents are recorded."""
    diff = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    module, _, mangled = name.split("__mutmut_")[0].rpartition(".")
    function = mangled[2:].replace("ǁ", ".")  # x_f → f; xǁClassǁmethod → Class.method
    return f"{module}.{function}", " / ".join(added)


def load_equivalents() -> dict[tuple[str, str], str]:
    if not EQUIVALENTS.exists():
        return {}
    entries = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", [])
    for i, e in enumerate(entries):
        if not {"function", "mutation", "reason"} <= e.keys() or not str(e["reason"]).strip():
            sys.exit(f"{EQUIVALENTS.name}: entry {i + 1} needs function, mutation and a reason")
    return {(e["function"], e["mutation"]): e["reason"] for e in entries}


def report(modules: list[str]) -> bool:
    status = {n: s for n, s in results().items() if n.split(".")[2] in modules}
    equivalents = load_equivalents()
    seen: set[tuple[str, str]] = set()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for name, state in sorted(status.items()):
        module = name.split(".")[2]
        if state in KILLED:
            counts[module]["killed"] += 1
            continue
        if state in ("not checked", "skipped"):
            counts[module]["not run"] += 1
            continue
        key = mutation_key(name)
        if key in equivalents:
            seen.add(key)
            counts[module]["equivalent"] += 1
        else:
            counts[module]["alive"] += 1
            survivors[module].append(f"{name} ({state}): {key[1]}")
    ok = True
    print(f"\n{'module':<14}{'mutants':>9}{'killed':>9}{'equiv.':>8}{'alive':>8}{'not run':>9}{'score':>9}")
    for module in modules:
        c = counts[module]
        total = sum(c.values())
        judged = c["killed"] + c["alive"]
        share = c["killed"] / judged if judged else 1.0
        flag = "" if share >= REQUIRED and not c["not run"] else "  ✗"
        ok &= not flag
        print(f"{module:<14}{total:>9}{c['killed']:>9}{c['equivalent']:>8}{c['alive']:>8}{c['not run']:>9}"
              f"{share:>8.1%}{flag}")
    for module in modules:
        if survivors[module]:
            print(f"\n{module}: surviving mutants (`.venv/bin/mutmut show NAME` prints each diff)")
            print("\n".join(f"  {s}" for s in survivors[module]))
    stale = [k for k in equivalents if k[0].split(".")[2] in modules and k not in seen]
    if stale and all(counts[m]["not run"] == 0 for m in modules):
        print(f"\n{EQUIVALENTS.name}: these recorded equivalents no longer exist (remove them):")
        print("\n".join(f"  {f}: {m}" for f, m in stale))
        ok = False
    print(f"\nrequired: at least {REQUIRED:.0%} of the non-equivalent mutants killed in each module"
          + ("" if ok else " — NOT MET"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"core modules (default: all of {PACKAGE})")
    parser.add_argument("--report-only", action="store_true", help="report the last run without running")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1, help="parallel test processes")
    args = parser.parse_args()
    modules = args.modules or core_modules()
    unknown = sorted(set(modules) - set(core_modules()))
    if unknown:
        sys.exit(f"not core modules: {', '.join(unknown)} (choose among {', '.join(core_modules())})")
    if not args.report_only:
        run(modules, args.children)
    sys.exit(0 if report(modules) else 1)


if __name__ == "__main__":
    main()
