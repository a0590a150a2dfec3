#!/usr/bin/env python3
"""Every ``# noqa`` names its rules and says why, after a dash: ``# noqa: S310 - loopback test server``.

ruff reports a ``noqa`` that suppresses nothing (RUF100) and a bare ``noqa`` (PGH004); this check adds
the third rule of the project: a suppression carries its reason, so that a reviewer can judge it and
the next reader does not "fix" it. It also prints how many there are per rule (a few dozen at most is
the project's aim). Run by ``scripts/test.sh`` with the other static checks.

Usage: ``python scripts/check_noqa.py [PATH ...]`` (default: src tests bench). Exit status 1 when a
``noqa`` has no reason, else 0.

>>> _problem("x = 1  # noqa: E501 - a URL")
>>> _problem("x = 1  # noqa: E501")
'no reason after the rules (write `# noqa: CODE - why`)'
>>> _problem("x = 1  # noqa")
'names no rule'
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from collections import Counter
from pathlib import Path

NOQA = re.compile(r"#\s*noqa(?P<colon>:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?(?P<rest>.*)$", re.I)
REASON = re.compile(r"^\s*[-—–]\s*\S")


def _problem(comment: str) -> str | None:
    """What is wrong with the ``noqa`` in ``comment`` (a line or a comment), or None."""
    m = NOQA.search(comment)
    if m is None:
        return None
    if not m.group("codes"):
        return "names no rule"
    if not REASON.match(m.group("rest")):
        return "no reason after the rules (write `# noqa: CODE - why`)"
    return None


def _comments(path: Path) -> list[tuple[int, str]]:
    try:
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]
    except (SyntaxError, tokenize.TokenError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot be read ({exc})", file=sys.stderr)
        return []


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("src"), Path("tests"), Path("bench")]
    files = sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*.py")))
    per_rule: Counter[str] = Counter()
    bad = 0
    for path in files:
        for line, comment in _comments(path):
            m = NOQA.search(comment)
            if m is None:
                continue
            for code in re.findall(r"[A-Z]+[0-9]+", m.group("codes") or "", re.I):
                per_rule[code.upper()] += 1
            if problem := _problem(comment):
                print(f"{path}:{line}: `{comment.strip()}`: {problem}")
                bad += 1
    total = sum(per_rule.values())
    summary = ", ".join(f"{code} {n}" for code, n in per_rule.most_common())
    print(f"noqa: {total} rule suppressions ({summary or 'none'}); {bad} without a reason")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
