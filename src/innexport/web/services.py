"""The web application's bridge to the core: frameworks, answers and scoring.

Views and the API call these functions; none of them duplicates the core's logic (framework
model, scoring, classes, priorities, reports all come from :mod:`innexport`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from innexport.rendering import report
from innexport.core.assessment import AnswersError, AnswerSheet, FirmResult, diagnose
from innexport.core.framework import DONT_KNOW, Framework, FrameworkError
from innexport.files.frameworks import builtin_documents, framework_from_texts
from innexport.web.models import Answer, Assessment, AssessmentStatus, Firm, FrameworkVersion, summary_fields

BUILTIN_COMBINATIONS: list[tuple[str, list[str]]] = [("iiep", []), ("iiep", ["wine"])]
"""The shipped frameworks published in the application on start."""


# --- frameworks ---------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _parse(framework_yaml: str, modules_yaml: tuple[str, ...]) -> Framework:
    return framework_from_texts(framework_yaml, modules_yaml)


_BY_HASH: dict[str, Framework] = {}
_PARSING = threading.Lock()


def framework_of(version: FrameworkVersion) -> Framework:
    """The framework an assessment was (or will be) scored with, parsed once per process.

    Cached by content hash, so a request that loaded the version without its (large) YAML texts
    (see ``tenancy.assessments``) reads them only the first time; one thread parses, the others wait.
    """
    fw = _BY_HASH.get(version.content_hash)
    if fw is None:
        with _PARSING:
            fw = _BY_HASH.get(version.content_hash)
            if fw is None:
                texts = FrameworkVersion.objects.values_list("framework_yaml", "modules_yaml").get(pk=version.pk)
                fw = _BY_HASH[version.content_hash] = _parse(texts[0], tuple(texts[1]))
    return fw


def warm_up() -> None:
    """Parse the published frameworks now (at a worker's start) rather than in its first requests."""
    for version in published_frameworks().defer("framework_yaml", "modules_yaml"):
        framework_of(version)


def framework_version_from_texts(framework_yaml: str, modules_yaml: list[str], *, published: bool,
                                 builtin: bool = False, user=None) -> FrameworkVersion:
    """Validate the texts and store them as a framework version (or return the identical one).

    Raises :class:`FrameworkError` listing the problems when the files are not valid.
    """
    fw = _parse(framework_yaml, tuple(modules_yaml))
    existing = FrameworkVersion.objects.filter(content_hash=fw.content_hash).first()
    if existing is not None:
        return existing
    return FrameworkVersion.objects.create(
        framework_id=fw.id, version=fw.version, modules=[m.id for m in fw.modules], label=fw.label,
        content_hash=fw.content_hash, framework_yaml=framework_yaml, modules_yaml=list(modules_yaml),
        published=published, builtin=builtin, uploaded_by=user,
    )


def register_builtin_frameworks() -> list[FrameworkVersion]:
    """Publish the frameworks shipped with innexport (idempotent)."""
    docs = builtin_documents()
    out = []
    for framework_id, modules in BUILTIN_COMBINATIONS:
        texts = [docs[m].read_text(encoding="utf-8") for m in modules]
        out.append(framework_version_from_texts(docs[framework_id].read_text(encoding="utf-8"), texts,
                                                published=True, builtin=True))
    return out


def published_frameworks():
    return FrameworkVersion.objects.filter(published=True).order_by("framework_id", "label")


# --- answers --------------------------------------------------------------------------------------


class AnswerRejected(ValueError):
    """An answer that does not fit its question; the message names the question."""


@dataclass(frozen=True)
class SavedAnswer:
    question_id: str
    value: str
    comment: str
    answered: int
    total: int


def validate_answer(fw: Framework, question_id: str, value: str) -> str:
    """The canonical level code (or ``dk``, or ``""`` to clear) of ``value`` for ``question_id``."""
    obs = fw.observable_by_id.get(question_id)
    if obs is None:
        raise AnswerRejected(f"unknown question id '{question_id}' (not in {fw.label})")
    value = (value or "").strip()
    if value in ("", DONT_KNOW):
        return value
    codes = [level.code for level in fw.scale_by_id[obs.scale].levels]
    if value not in codes:
        raise AnswerRejected(f"question {question_id}: '{value}' is not one of {', '.join(codes)} or {DONT_KNOW}")
    return value


def save_answer(assessment: Assessment, question_id: str, value: str, comment: str | None = None, *,
                user=None, via_share_link: bool = False) -> SavedAnswer:
    """Save one answer at once (autosave); checks it first, so nothing invalid is stored."""
    fw = framework_of(assessment.framework)
    code = validate_answer(fw, question_id, value)
    with transaction.atomic():
        answer, _ = Answer.objects.select_for_update().get_or_create(assessment=assessment, question_id=question_id)
        answer.value = code
        if comment is not None:
            answer.comment = comment[:5000]
        answer.updated_by = user if getattr(user, "is_authenticated", False) else None
        answer.via_share_link = via_share_link
        answer.save()
        Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now(), result=None,
                                                           **summary_fields(None))
    answered = Answer.objects.filter(assessment=assessment).exclude(value="").count()
    return SavedAnswer(question_id, answer.value, answer.comment, answered, len(fw.observables))


def answers_of(assessment: Assessment) -> dict[str, Answer]:
    return {a.question_id: a for a in assessment.answers.all()}


def sheet_of(assessment: Assessment) -> AnswerSheet:
    """The assessment as an answer sheet, the core's input."""
    firm: Firm = assessment.firm
    fw = framework_of(assessment.framework)
    answers = answers_of(assessment)
    size = firm.size_class or None
    return AnswerSheet(
        framework=fw.id, version=fw.version, modules=[m.id for m in fw.modules], lang=assessment.lang,
        firm={
            "id": f"firm-{firm.pk}", "name": firm.name, "country": firm.country or None, "region": firm.region or None,
            "sector": firm.sector or None, "size": size, "founded": firm.year_founded,
            "export_share": float(firm.export_share) / 100 if firm.export_share is not None else None,
            "rd_intensity": float(firm.rd_intensity) / 100 if firm.rd_intensity is not None else None,
        },
        assessed_on=assessment.assessed_on, assessor=assessment.assessor or None,
        answers={q: a.value for q, a in answers.items() if a.value},
        comments={q: a.comment for q, a in answers.items() if a.comment},
    )


# --- scoring and reports ----------------------------------------------------------------------------


def score(assessment: Assessment, *, complete: bool = False) -> FirmResult:
    """Score the assessment (refused below the framework's completeness, naming the missing
    questions) and keep the result; ``complete`` also marks it completed."""
    fw = framework_of(assessment.framework)
    result = diagnose(fw, [sheet_of(assessment)], assessment.lang)[0]
    assessment.result = result.model_dump(mode="json", by_alias=True)
    for field, value in summary_fields(assessment.result).items():
        setattr(assessment, field, value)
    if complete and assessment.status != AssessmentStatus.COMPLETED:
        assessment.status = AssessmentStatus.COMPLETED
        assessment.completed_at = timezone.now()
    assessment.save(update_fields=["result", "status", "completed_at", "updated_at", *summary_fields(None)])
    return result


def result_of(assessment: Assessment) -> FirmResult | None:
    """The kept result, or a fresh one; None when the answers cannot be scored yet.

    When a benchmark population is configured (``INNEXPORT_BENCHMARK_POPULATION``), the result
    also places the firm among its peers, so the results page, the report and the JSON show it.
    """
    if assessment.result:
        result = FirmResult.model_validate(assessment.result)
    else:
        try:
            result = score(assessment)
        except (AnswersError, FrameworkError):
            return None
    return with_benchmark(result)


@lru_cache(maxsize=2)
def _benchmark_population(path: str):  # noqa: ANN202
    from innexport.population.io import read_survey

    return read_survey(path).data


def with_benchmark(result: FirmResult) -> FirmResult:
    """``result`` with its place among the configured benchmark population (unchanged if none)."""
    path = getattr(settings, "BENCHMARK_POPULATION", "")
    if not path:
        return result
    from innexport.population.benchmark import benchmark_firm

    by = [c.strip() for c in settings.BENCHMARK_BY.split(",") if c.strip()]
    frame = _benchmark_population(path)
    by = [c for c in by if c in frame]
    return result.model_copy(update={"benchmark": benchmark_firm(frame, result, by)})


def report_filename(assessment: Assessment, ext: str) -> str:
    """The download name of an assessment's report or result, e.g. ``innexport-domaine-x-2026-10-15.pdf``."""
    slug = slugify(assessment.firm.name) or f"firm-{assessment.firm_id}"
    return f"innexport-{slug}-{assessment.assessed_on.isoformat()}.{ext}"


def report_html(assessment: Assessment, result: FirmResult) -> str:
    """The report, with the assessment's action plan when it has one."""
    from innexport.web.plans import core_plan_of

    return report.render_html(result, framework_of(assessment.framework), plan=core_plan_of(assessment))


def report_pdf(assessment: Assessment, result: FirmResult) -> bytes:
    """The report as PDF, with the assessment's action plan when it has one."""
    from innexport.web.plans import core_plan_of

    return report.render_pdf(result, framework_of(assessment.framework), plan=core_plan_of(assessment))


# --- support programmes ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def builtin_catalogue():  # noqa: ANN201
    """The catalogue shipped with innexport (``catalogues/programmes.yaml``), loaded once."""
    from innexport.support.programmes import load_catalogue

    return load_catalogue("programmes")


def catalogue_for(organisation):  # noqa: ANN001, ANN201
    """The programmes an organisation's plans propose: the shipped catalogue and its own local ones.

    Local programmes are stored validated (see :class:`~innexport.web.models.LocalProgramme`); their
    ids never clash with the shipped ones (refused on save).
    """
    from innexport.support.programmes import Programme

    base = builtin_catalogue()
    local = [Programme.model_validate(p.data) for p in organisation.programmes.all()]
    if not local:
        return base
    return base.model_copy(update={"programmes": [*base.programmes, *local]})
