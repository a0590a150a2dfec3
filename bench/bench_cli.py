"""Start-up cost of the command line: what a user waits for before anything happens.

    .venv/bin/python bench/bench_cli.py [--repeat 7]

Each command is run as a fresh process (as a user runs it), ``--repeat`` times; the median CPU
time (user + system of the child, from ``os.wait4``), wall time and peak memory (max RSS) are
printed with their ratio to two floors measured in the same run:

* the *interpreter floor*: ``python -c pass``, the cost of any Python program;
* the *import floor*: ``python -c "import typer, yaml, numpy, pydantic"``, the libraries every
  innexport command needs at least (the CLI framework, the YAML reader, arrays and models).

Commands: ``innexport --help`` (issue 11's target: under 0.5 s of CPU), ``innexport --version``,
``innexport frameworks list``, ``innexport diagnose`` of one firm to JSON (reads the framework and
module YAML with libyaml, scores, writes), and the same to HTML (adds Jinja and the report). A
ratio near 1 to the import floor means the command costs little more than the libraries it
cannot do without. Nothing asserts: the figures are for people to read (tests never time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
INNEXPORT = str(Path(PYTHON).with_name("innexport"))
EXAMPLE = ROOT / "examples" / "cl-vina-cerro-alto.yaml"


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak RSS in MB) of one run of ``cmd`` as a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=os.environ | {"COLUMNS": "100", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def measure(cmd: list[str], repeat: int) -> tuple[float, float, float]:
    runs = [run(cmd) for _ in range(repeat)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command (the median is shown)")
    args = parser.parse_args(argv)
    example = EXAMPLE if EXAMPLE.exists() else sorted((ROOT / "examples").glob("*.yaml"))[0]
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "interpreter floor (python -c pass)": [PYTHON, "-c", "pass"],
            "import floor (typer, yaml, numpy, pydantic)": [PYTHON, "-c", "import typer, yaml, numpy, pydantic"],
            "innexport --help": [INNEXPORT, "--help"],
            "innexport --version": [INNEXPORT, "--version"],
            "innexport frameworks list": [INNEXPORT, "frameworks", "list"],
            "innexport diagnose (1 firm → JSON)": [INNEXPORT, "diagnose", str(example), "--out", f"{tmp}/r.json"],
            "innexport diagnose (1 firm → HTML)": [INNEXPORT, "diagnose", str(example), "--out", f"{tmp}/r.html"],
        }
        figures = {name: measure(cmd, args.repeat) for name, cmd in commands.items()}
    floor_cpu = figures["interpreter floor (python -c pass)"][0]
    imports_cpu = figures["import floor (typer, yaml, numpy, pydantic)"][0]
    print(f"{'command':46s} {'CPU s':>7s} {'wall s':>7s} {'RSS MB':>7s} {'×interp.':>9s} {'×imports':>9s}")
    for name, (cpu, wall, rss) in figures.items():
        print(f"{name:46s} {cpu:7.3f} {wall:7.3f} {rss:7.0f} {cpu / floor_cpu:9.1f} {cpu / imports_cpu:9.2f}")


if __name__ == "__main__":
    main()
