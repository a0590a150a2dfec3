"""Catalogue of public support programmes, and which ones an SME is eligible for.

A catalogue is data (a YAML file, by default the built-in ``catalogues/programmes.yaml``) validated
on load like a framework: a bad entry is reported with its file, line, entry id and field. Each
programme says what it helps with (ids of activities of :func:`catalogue_framework`: the ``iiep``
framework with every sector module shipped for it applied together, so that a programme may help
with an activity only a sector module has, such as agri-food's ``food_shelf_life`` or machinery's
``mach_service``), whether it serves innovation, export or both (``joint``), and who may apply (size,
sector, age, region). :func:`eligible` and :func:`proposals` match a firm against it, putting
first the programmes that serve innovation and export together.

A catalogue is dated (``as_of``): programmes change, so the operator's page is the authority.

One entry given as a mapping (e.g. from a web form) is checked by :func:`validate_programme`, whose
errors name the field; :func:`dump_catalogue` writes a catalogue back as YAML in the same format.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import AfterValidator

from innexport.core.assessment import FIRM_SIZES, FirmSize
from innexport.core.framework import (
    LANGUAGES,
    VERSION_PATTERN,
    Framework,
    FrameworkError,
    Identifier,
    Issue,
    Text,
    issues_from_validation,
)
from innexport.files import builtin
from innexport.files.classifications import nace_positions, read_code, section_of
from innexport.files.frameworks import builtin_modules, load_framework
from innexport.files.schemas import (
    FORMAT_VERSION_KEY,
    format_version_problem,
    with_format_version,
    without_format_version,
)
from innexport.files.yamlsource import YamlDocument, YamlError, parse_yaml

KINDS: tuple[str, ...] = ("grant", "loan", "insurance", "advice", "training", "trade_mission", "tax_credit", "network")
SCOPES: tuple[str, ...] = ("innovation", "export", "joint")
SIZES: tuple[str, ...] = FIRM_SIZES

Kind = Literal["grant", "loan", "insurance", "advice", "training", "trade_mission", "tax_credit", "network"]
Scope = Literal["innovation", "export", "joint"]
Size = FirmSize
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. FR, CL, AR")]
Url = Annotated[str, Field(pattern=r"^https?://\S+$")]


def _known_sector(value: str) -> str:
    if read_code(value) is None:
        raise ValueError(f"'{value}' is not a NACE Rev. 2 code (e.g. C11, 11.02 or A; ISIC Rev. 4 shares its "
                         "sections and divisions)")
    return value


SectorPrefix = Annotated[str, Field(pattern=r"^[A-Za-z]?[0-9.]*$", min_length=1, max_length=8),
                         AfterValidator(_known_sector)]


class CatalogueError(FrameworkError):
    """A catalogue that cannot be loaded; ``issues`` lists every problem (file, line, entry, field)."""


def _known_activity(value: str, info: ValidationInfo) -> str:
    context = info.context or {}
    known = context.get("activities")
    if known is not None and value not in known:
        where = context.get("framework_label") or "the framework the catalogue refers to"
        raise ValueError(f"unknown activity '{value}' (not an activity of {where})")
    return value


ActivityId = Annotated[Identifier, AfterValidator(_known_activity)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Eligibility(_Strict):
    """Who may apply; an empty list or a missing bound means no restriction."""

    sizes: list[Size] = Field(default_factory=list)
    sectors: list[SectorPrefix] = Field(default_factory=list)
    """NACE / ISIC code prefixes (``C11``, ``11.02``, ``A``); a firm's code matches if it starts with one."""
    min_age: Annotated[int, Field(ge=0)] | None = None
    max_age: Annotated[int, Field(ge=0)] | None = None
    """Age of the firm in whole years since its founding, bounds included."""
    regions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ages(self) -> Eligibility:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age ({self.min_age}) must not exceed max_age ({self.max_age})")
        return self


class ProgrammeText(RootModel[dict[str, str]]):
    """A programme's name or description: in at least one supported language, the others optional.

    A local programme is written by the organisation that adds it, often in its own language only (a
    Chilean chamber writes Spanish); shown in another language, the text falls back to one it has
    (English if it has it, else the first in :data:`LANGUAGES` order). This is the one home of that
    fallback: every reader of a programme's name or description gets it (``get`` and ``[lang]``).

    >>> text = ProgrammeText({"es": "Red de exportadores", "fr": " "})
    >>> text.get("fr"), text["en"], text.languages, text.has("fr")
    ('Red de exportadores', 'Red de exportadores', ('es',), False)
    """

    model_config = ConfigDict(frozen=True)

    @field_validator("root")
    @classmethod
    def _some_language(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown language(s) {', '.join(unknown)}; expected {', '.join(LANGUAGES)}")
        given: dict[str, str] = {lang: str(value[lang]).strip() for lang in LANGUAGES if str(value.get(lang) or "").strip()}
        if not given:
            raise ValueError(f"needed in at least one language ({', '.join(LANGUAGES)})")
        return given

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the text was written in (in :data:`LANGUAGES` order)."""
        return tuple(self.root)

    def has(self, lang: str) -> bool:
        """Whether the text was written in ``lang`` (not a fallback)."""
        return lang in self.root

    def get(self, lang: str) -> str:
        """The text in ``lang``, else in English, else in the first language it has."""
        return self.root.get(lang) or self.root.get("en") or next(iter(self.root.values()))

    def __getitem__(self, lang: str) -> str:
        return self.get(lang)


class Programme(_Strict):
    id: Identifier
    name: ProgrammeText
    operator: str
    country: Country
    region: str | None = None
    """``None``: a national programme."""
    kind: Kind
    scope: Scope
    activities: Annotated[list[ActivityId], Field(min_length=1)]
    eligibility: Eligibility = Eligibility()
    url: Url
    source: Url
    """The public page the facts of this entry come from."""
    description: ProgrammeText


class Catalogue(_Strict):
    kind: Literal["catalogue"] = "catalogue"
    id: Identifier
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    as_of: dt.date
    """The date the entries were checked against their sources."""
    title: Text | None = None
    note: Text | None = None
    programmes: Annotated[list[Programme], Field(min_length=1)]

    @field_validator("programmes")
    @classmethod
    def _unique(cls, value: list[Programme], info: ValidationInfo) -> list[Programme]:
        if (info.context or {}).get("duplicates_checked"):
            return value
        dupes = sorted(i for i, n in Counter(p.id for p in value).items() if n > 1)
        if dupes:
            raise ValueError(f"duplicated programme id(s): {', '.join(dupes)}")
        return value

    @property
    def by_id(self) -> dict[str, Programme]:
        return {p.id: p for p in self.programmes}

    def countries(self) -> list[str]:
        return sorted({p.country for p in self.programmes})


# --- loading -------------------------------------------------------------------------------


CATALOGUE_BASE = "iiep"
"""The framework whose activities (with those of its sector modules) a catalogue's programmes name."""


def catalogue_modules() -> list[str]:
    """The ids of the shipped sector modules whose activities a catalogue may name: every module
    shipped for :data:`CATALOGUE_BASE` (:func:`~innexport.files.frameworks.builtin_modules`), in
    file-name order.

    >>> catalogue_modules()
    ['agrifood', 'machinery', 'wine']
    """
    return [m.id for m in builtin_modules() if m.extends.id == CATALOGUE_BASE]


@lru_cache(maxsize=1)
def catalogue_framework() -> Framework:
    """The framework a catalogue's activity ids refer to: :data:`CATALOGUE_BASE` with every shipped
    sector module applied together (:func:`catalogue_modules`). The one home of the rule "which
    activities may a programme help with": the base framework's activities and every activity a
    sector module adds (a module adds activities and adapts observables; applied together they do
    not conflict). A firm's own plan still only meets the programmes for the activities of its own
    framework (:func:`proposals`), so a wine firm is never offered a programme for agri-food's
    ``food_shelf_life``.

    >>> fw = catalogue_framework()
    >>> [m.id for m in fw.modules], len(fw.activities), len(fw.observables)
    (['agrifood', 'machinery', 'wine'], 27, 113)
    >>> {"food_shelf_life", "mach_service", "wine_tourism"} <= set(fw.activity_by_id)
    True
    """
    return load_framework(CATALOGUE_BASE, catalogue_modules())


def catalogue_activity_ids() -> frozenset[str]:
    """The activity ids a catalogue's programmes may name (those of :func:`catalogue_framework`)."""
    return frozenset(catalogue_framework().activity_by_id)


def activity_modules() -> dict[str, str]:
    """The activities of :func:`catalogue_framework` that a sector module adds, each with that
    module's id: only a firm of that module's sectors has them.

    >>> {a: m for a, m in activity_modules().items() if a in ("food_shelf_life", "mach_service")}
    {'food_shelf_life': 'agrifood', 'mach_service': 'machinery'}
    """
    return {a.id: m.id for m in builtin_modules() if m.extends.id == CATALOGUE_BASE for a in m.add_activities}


def catalogue_framework_label() -> str:
    """How messages name the framework of :func:`catalogue_framework`: its id, then its modules.

    >>> catalogue_framework_label()
    'iiep with its sector modules agrifood, machinery, wine'
    """
    return f"{CATALOGUE_BASE} with its sector modules {', '.join(catalogue_modules())}"


def _activity_context(framework: Framework | None) -> dict[str, Any]:
    """What the activity check of an entry needs: the ids it accepts and how messages name them (the
    catalogue rule by its name when ``framework`` is none or the rule's own)."""
    if framework is None or framework is catalogue_framework():
        return {"activities": catalogue_activity_ids(), "framework_label": catalogue_framework_label()}
    return {"activities": frozenset(framework.activity_by_id), "framework_label": framework.label}


def builtin_catalogues() -> dict[str, Path]:
    return builtin.files("catalogues")


def load_catalogue(name_or_path: str | Path = "programmes", framework: Framework | None = None) -> Catalogue:
    """Load and validate a catalogue (built-in name or YAML path).

    Activity ids are checked against ``framework`` (default: :func:`catalogue_framework`).
    Raises :class:`CatalogueError` listing every problem (file, line, entry, field).
    """
    path = builtin.resolve(name_or_path, "catalogues", "catalogue", CatalogueError)
    text = builtin.read_document(path, CatalogueError)  # bounded in size, UTF-8 or as its byte-order mark says
    return parse_catalogue(text, str(path), framework)


def parse_catalogue(text: str, origin: str = "<text>", framework: Framework | None = None,
                    taken: Mapping[str, str] | None = None) -> Catalogue:
    """Validate a catalogue given as YAML text (``origin`` names it in messages).

    ``taken`` maps programme ids the entries may not use to what already uses them (e.g. the
    shipped catalogue's ids, when the file adds programmes to it): each clash is one more issue,
    at the line of the entry's id.
    """
    try:
        doc = parse_yaml(text, origin)
    except YamlError as exc:
        raise CatalogueError([Issue("YAML", exc.problem, exc.line, origin)]) from None
    data = doc.data
    if not isinstance(data, dict):
        raise CatalogueError([Issue("file", "expected a mapping with a `kind: catalogue` document", 1, origin)])
    problem = format_version_problem(data)
    if problem is not None:
        raise CatalogueError([Issue(FORMAT_VERSION_KEY, problem, doc.key_line([FORMAT_VERSION_KEY]), origin)])
    data = without_format_version(data)
    issues = _duplicate_issues(doc) + _taken_issues(doc, taken or {})
    context = {**_activity_context(framework), "duplicates_checked": True}
    try:
        catalogue = Catalogue.model_validate(data, context=context)
    except ValidationError as exc:
        issues += issues_from_validation(exc, doc.locate, origin)
    if issues:
        issues.sort(key=lambda i: (i.line is None, i.line or 0))
        raise CatalogueError(issues)
    return catalogue


def _duplicate_issues(doc: YamlDocument) -> list[Issue]:
    entries, origin = doc.data.get("programmes"), doc.origin
    if not isinstance(entries, list):
        return []
    first: dict[str, int] = {}
    issues = []
    for k, entry in enumerate(entries):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            line = doc.line(["programmes", k, "id"])
            first_line = doc.line(["programmes", first[ident], "id"])
            issues.append(Issue(f"programmes[{k}] ({ident}) → id",
                                f"duplicated programme id '{ident}' (first at programmes[{first[ident]}], "
                                f"line {first_line})", line, origin))
        else:
            first[ident] = k
    return issues


def _taken_issues(doc: YamlDocument, taken: Mapping[str, str]) -> list[Issue]:
    entries, origin = doc.data.get("programmes"), doc.origin
    if not taken or not isinstance(entries, list):
        return []
    issues = []
    for k, entry in enumerate(entries):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(ident, str) and ident in taken:
            issues.append(Issue(f"programmes[{k}] ({ident}) → id",
                                f"programme id '{ident}' is already used by {taken[ident]}",
                                doc.line(["programmes", k, "id"]), origin))
    return issues


def validate_catalogue(path: str | Path, framework: Framework | None = None) -> Catalogue:
    return load_catalogue(path, framework)


# --- one entry (e.g. from a form), and writing a catalogue ---------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a programme entry given as a mapping."""

    path: tuple[str | int, ...]
    """Where, as in the entry: ``("url",)``, ``("name", "es")``, ``("activities", 1)``,
    ``("eligibility", "min_age")``; ``("eligibility",)`` for the age bounds checked together."""
    message: str
    kind: str
    """The kind of problem: ``missing``, ``taken``, or pydantic's error type (``string_pattern_mismatch``,
    ``literal_error``, ``value_error``, ...)."""
    value: Any = None
    """The value given for that field (``None`` when missing)."""

    def __str__(self) -> str:
        return f"{' → '.join(str(p) for p in self.path) or 'entry'}: {self.message}"


class ProgrammeError(CatalogueError):
    """A programme entry that is not valid; ``problems`` says which field and why."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__([Issue(" → ".join(str(p) for p in f.path) or "entry", f.message) for f in problems])


def validate_programme(data: Mapping[str, Any], framework: Framework | None = None,
                       taken: Mapping[str, str] | None = None) -> Programme:
    """Validate one catalogue entry given as a mapping (e.g. built from a form).

    Activities are checked against ``framework`` (default: :func:`catalogue_framework`);
    ``taken`` maps the ids the entry may not use to what already uses them. Raises
    :class:`ProgrammeError` with every problem, each naming its field.
    """
    problems: list[FieldProblem] = []
    programme = None
    try:
        programme = Programme.model_validate(dict(data), context=_activity_context(framework))
    except ValidationError as exc:
        for err in exc.errors():
            path = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS)))
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = f"required field '{path[-1]}' is missing"
            elif err["type"] == "extra_forbidden":
                message = f"unknown field '{path[-1]}'"
            problems.append(FieldProblem(path, message, err["type"], None if err["type"] == "missing" else err.get("input")))
    ident = data.get("id")
    if taken and isinstance(ident, str) and ident in taken:
        problems.insert(0, FieldProblem(("id",), f"programme id '{ident}' is already used by {taken[ident]}",
                                        "taken", ident))
    if problems or programme is None:  # no programme without a validation error, hence a problem
        raise ProgrammeError(problems)
    return programme


_UNION_TAGS = {"str", "int", "function-after", "constrained-str"}


def dump_catalogue(catalogue: Catalogue, comment: str | None = None) -> str:
    """The catalogue as YAML in the catalogue format (read back by :func:`parse_catalogue`).

    Empty optional fields are left out; ``comment`` (one or more lines) heads the file.
    """
    data = catalogue.model_dump(mode="json", exclude_none=True)
    data["as_of"] = catalogue.as_of  # a YAML date, as written by hand
    for entry, programme in zip(data["programmes"], catalogue.programmes, strict=True):
        rule = programme.eligibility.model_dump(mode="json", exclude_defaults=True)
        if rule:
            entry["eligibility"] = rule
        else:
            entry.pop("eligibility", None)
    text = yaml.safe_dump(with_format_version(data), allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
    head = "".join(f"# {line}\n".replace("# \n", "#\n") for line in comment.splitlines()) if comment else ""
    return head + text


# --- eligibility ---------------------------------------------------------------------------


def _split_code(code: str) -> tuple[str, str]:
    code = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return (code[0], code[1:]) if code[:1].isalpha() else ("", code)


def _sector_matches(firm_code: str, prefixes: Iterable[str]) -> bool:
    """Whether a NACE / ISIC code starts with one of ``prefixes``; dots are ignored and the section
    letter is optional (``C1102``, ``11.02`` and ``1102`` all match ``C11``, ``11`` and ``C``: a code
    without its letter is in the section of its division).

    >>> _sector_matches("11.02", ["C"]), _sector_matches("01.21", ["C", "A"]), _sector_matches("11.02", ["A01"])
    (True, True, False)
    """
    letter, digits = _split_code(firm_code)
    if not letter and len(digits) >= 2 and digits[:2] in nace_positions():
        letter = section_of(digits[:2])
    for prefix in prefixes:
        p_letter, p_digits = _split_code(prefix)
        if p_letter and letter and p_letter != letter:
            continue
        if not p_digits:
            if p_letter == letter:
                return True
            continue
        if digits.startswith(p_digits):
            return True
    return False


def _founding(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return dt.date(int(value), 1, 1)
    return dt.date.fromisoformat(str(value).strip())


def firm_age(founded: Any, today: dt.date | None = None) -> int | None:
    """Whole years since ``founded`` (a year, a date or an ISO date string), or ``None`` if unknown."""
    start = _founding(founded)
    if start is None:
        return None
    today = today or dt.date.today()
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def is_eligible(programme: Programme, firm: Mapping[str, Any], today: dt.date | None = None) -> bool:
    """Whether ``firm`` (keys ``country``, ``region``, ``size``, ``sector``, ``founded``) may apply.

    What the firm does not say (a missing or empty key) never excludes it: the operator decides.
    """
    rule = programme.eligibility
    country = firm.get("country")
    if country and str(country).strip().upper() != programme.country:
        return False
    region = firm.get("region")
    if region:
        if programme.region is not None and not _same(programme.region, str(region)):
            return False
        if rule.regions and not any(_same(r, str(region)) for r in rule.regions):
            return False
    size = firm.get("size")
    if size and rule.sizes and str(size).strip().lower() not in rule.sizes:
        return False
    sector = firm.get("sector")
    if sector and rule.sectors and not _sector_matches(str(sector), rule.sectors):
        return False
    age = firm_age(firm.get("founded"), today)
    if age is not None:
        if rule.min_age is not None and age < rule.min_age:
            return False
        if rule.max_age is not None and age > rule.max_age:
            return False
    return True


def eligible(catalogue: Catalogue, firm: Mapping[str, Any], activity_id: str | None = None,
             today: dt.date | None = None, framework: Framework | None = None) -> list[Programme]:
    """The programmes ``firm`` may apply to (helping with ``activity_id`` if given).

    Sorted joint (innovation and export together) first, then those whose scope matches the
    activity's tag (an export activity: export programmes before innovation ones), then by name.
    """
    tag = None
    if activity_id is not None:
        fw = framework or catalogue_framework()
        activity = fw.activity_by_id.get(activity_id)
        if activity is None:
            raise CatalogueError([Issue("activity", f"unknown activity '{activity_id}'")])
        tag = activity.tag
    found = [p for p in catalogue.programmes
             if (activity_id is None or activity_id in p.activities) and is_eligible(p, firm, today)]
    return sorted(found, key=lambda p: (p.scope != "joint", tag is not None and p.scope != tag,
                                        p.name.get("en").casefold(), p.id))


def proposals(catalogue: Catalogue, firm: Mapping[str, Any], priorities: Sequence[str],
              today: dt.date | None = None, framework: Framework | None = None) -> dict[str, list[Programme]]:
    """For each priority activity (in the given order), the eligible programmes, joint first.

    ``framework`` is the firm's own (default: :func:`catalogue_framework`): its activities' tags
    order the programmes, and an activity it does not have is refused.
    """
    fw = framework or catalogue_framework()
    return {a: eligible(catalogue, firm, a, today, fw) for a in priorities}
