"""Messages in French, Spanish and English, and the sentences the diagnostic writes.

Every ``*.yaml`` catalogue in ``innexport/locale`` maps a key to its text in each language.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from innexport.core.assessment import REASONS, PriorityOut
from innexport.core.framework import LANGUAGES, Framework


@cache
def catalogue() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files("innexport.rendering").joinpath("locale").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            for key, texts in data.items():
                missing = [lang for lang in LANGUAGES if not texts.get(lang)]
                if missing:
                    raise ValueError(f"locale/{entry.name}: message '{key}' lacks {', '.join(missing)}")
                out[key] = texts
    return out


def t(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    text = catalogue()[key][lang]
    return text.format(**values) if values else text


def fmt(value: float | None, lang: str, digits: int = 2) -> str:
    """A number as people of ``lang`` write it (decimal comma in French and Spanish)."""
    if value is None or value != value:
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang in ("fr", "es") else text


def priority_reason(framework: Framework, p: PriorityOut, lang: str) -> str:
    """One sentence saying why an activity stands where it does in the priority list.

    The core gives a code (:attr:`PriorityOut.reason`); results stored before it did carry the
    sentence itself, which is returned as it is.
    """
    if p.reason not in REASONS:
        return p.reason
    if p.reason == "unassessed" or p.score is None or p.target is None:
        return t("reason.unassessed", lang)
    label = next((c.label[lang] for c in framework.classes if c.id == p.target_class), "")
    values = {
        "score": fmt(p.score, lang), "target": fmt(p.target, lang), "gap": fmt(max(p.target - p.score, 0.0), lang),
        "target_class": label.lower(), "leverage": fmt(p.leverage, lang, 3),
        "lever": t(f"reason.lever.{p.tag}", lang),
        "top": t("reason.top", lang) if p.top_leverage else "",
    }
    return t(f"reason.{p.reason}", lang, **values)
