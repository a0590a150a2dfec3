"""The demonstration data: an organisation, its user and three example firms with completed diagnostics.

:func:`seed_demo` is idempotent: it publishes the built-in frameworks, creates the organisation
"Demo chamber of commerce", the user ``demo`` (organisation admin and staff, so the demo shows
every page, including the framework administration) and one firm per example answers file
(``examples/*.yaml`` of a source checkout), each with a completed diagnostic scored from its
answers and the action plan made from it. So that the follow-up and the portfolio's movement
between classes have something to show, each firm also gets an *earlier* diagnostic, six months
before its example's, whose answers are one level lower everywhere, and whose plan was acted on
(the actions of its first two priorities done, the first programme proposed for each picked).
Run again, it adds nothing; it only sets the demo user's password again (to the one
given, or a new random one) so that the credentials it returns always work.

Used by ``innexport manage seed_demo`` (the management command) and ``innexport serve``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

import innexport
from innexport.core.assessment import AnswersError, AnswerSheet, answer_codes
from innexport.core.framework import answers_fit
from innexport.files import builtin
from innexport.files.answers import read_answers
from innexport.web import plans, services
from innexport.web.models import Assessment, AssessmentStatus, Firm, FrameworkVersion, Membership, Organisation, Role

ORGANISATION = "Demo chamber of commerce"
USERNAME = "demo"


class DemoError(Exception):
    """The demonstration data cannot be created (e.g. an example file does not fit its framework)."""


@dataclass
class DemoResult:
    organisation: Organisation
    username: str
    password: str
    firms: list[Firm] = field(default_factory=list)
    created_firms: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def examples_dir() -> Path | None:
    """The ``examples`` folder of a source checkout (or editable install), else the copy shipped in the
    package (``innexport/data/examples``, so that an installed wheel has its demo firms), if there is one."""
    candidate = Path(innexport.__file__).resolve().parents[2] / "examples"
    shipped = builtin.folder("examples")
    return candidate if candidate.is_dir() else shipped if shipped.is_dir() else None


def seed_demo(password: str | None = None, examples: Path | None = None) -> DemoResult:
    """Create (or complete) the demonstration data; see the module's documentation.

    ``password``: the demo user's password (default: a new random one). ``examples``: the folder
    of example answers files (default: :func:`examples_dir`). Raises :class:`DemoError`.
    """
    versions = services.register_builtin_frameworks()
    folder = examples or examples_dir()
    paths = sorted(folder.glob("*.yaml")) if folder is not None else []
    sheets: list[tuple[Path, AnswerSheet]] = []
    for path in paths:
        try:
            sheets += [(path, sheet) for sheet in read_answers(path)]
        except AnswersError as exc:
            raise DemoError(f"example file {path} cannot be read:\n{exc}") from None
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic():
        org, _ = Organisation.objects.get_or_create(name=ORGANISATION)
        user = _demo_user(org, password)
        result = DemoResult(org, user.get_username(), password)
        for path, sheet in sheets:
            firm, created = _firm(org, user, sheet, path, versions)
            result.firms.append(firm)
            if created:
                result.created_firms.append(firm.name)
    if not paths:
        result.warnings.append("no example answers file found (the examples/ folder of a source checkout): "
                               "the demo has no firm")
    return result


def _demo_user(org: Organisation, password: str):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=USERNAME, defaults={"first_name": "Demo", "last_name": "User"})
    user.is_staff = True
    user.is_active = True
    user.set_password(password)
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"organisation": org, "role": Role.ADMIN})
    return user


def _version_for(sheet: AnswerSheet, versions: list[FrameworkVersion], path: Path) -> FrameworkVersion:
    modules = [m.split("@")[0] for m in sheet.modules]
    for version in versions:
        if version.framework_id == sheet.framework and version.modules == modules and \
                (sheet.version is None or answers_fit(sheet.version, version.version)):
            return version
    raise DemoError(f"{path}: no built-in framework {sheet.framework} {sheet.version or ''} with modules "
                    f"{modules or 'none'}")


def _percent(share: float | None) -> Decimal | None:
    return None if share is None else (Decimal(str(share)) * 100).quantize(Decimal("0.01"))


def _firm(org: Organisation, user, sheet: AnswerSheet, path: Path,
          versions: list[FrameworkVersion]) -> tuple[Firm, bool]:
    """The example's firm, with a completed diagnostic (created when missing)."""
    info = sheet.firm
    firm, created = Firm.objects.get_or_create(organisation=org, name=info.name, defaults={
        "country": (info.country or "").upper()[:2], "region": info.region or "", "sector": info.sector or "",
        "size_class": info.size or "", "year_founded": info.founded, "export_share": _percent(info.export_share),
        "rd_intensity": _percent(info.rd_intensity), "contact": info.contact or "", "created_by": user,
    })
    if firm.assessments.filter(status=AssessmentStatus.COMPLETED).exists():
        return firm, created
    version = _version_for(sheet, versions, path)
    fw = services.framework_of(version)
    assessment = Assessment.objects.create(
        organisation=org, firm=firm, framework=version, lang=sheet.lang or "en", created_by=user,
        assessor=sheet.assessor or "", **({"assessed_on": sheet.assessed_on} if sheet.assessed_on else {}),
    )
    codes = answer_codes(fw, sheet)
    try:
        for question_id in [o.id for o in fw.observables if o.id in codes or o.id in sheet.comments]:
            services.save_answer(assessment, question_id, codes.get(question_id, ""),
                                 sheet.comments.get(question_id), user=user)
        assessment.refresh_from_db()
        services.score(assessment, complete=True)
    except (services.AnswerRejected, AnswersError) as exc:
        raise DemoError(f"{path}: the example answers cannot be scored:\n{exc}") from None
    # the action plan the advisor would make from it (start of the due dates: the diagnostic's date)
    services.make_plan(assessment, user, today=assessment.assessed_on)
    _earlier_diagnostic(org, user, firm, assessment, codes)
    return firm, created


EARLIER = dt.timedelta(days=182)
"""How long before its example's diagnostic a demo firm's earlier diagnostic is dated."""


def _earlier_diagnostic(org: Organisation, user, firm: Firm, later: Assessment,
                        codes: dict[str, str]) -> Assessment:
    """An earlier diagnostic of ``firm`` (answers one level lower than ``later``'s) with its plan
    acted on: the story the follow-up page tells."""
    fw = services.framework_of(later.framework)
    earlier = Assessment.objects.create(
        organisation=org, firm=firm, framework=later.framework, lang=later.lang, created_by=user,
        assessor=later.assessor, assessed_on=later.assessed_on - EARLIER,
    )
    for obs in fw.observables:
        code = codes.get(obs.id, "")
        levels = [level.code for level in fw.scale_by_id[obs.scale].levels]
        if code in levels:
            code = levels[max(levels.index(code) - 1, 0)]
        if code:
            services.save_answer(earlier, obs.id, code, user=user)
    earlier.refresh_from_db()
    services.score(earlier, complete=True)
    plan = services.make_plan(earlier, user, today=earlier.assessed_on)
    for row in plan.actions.filter(rank__in=sorted({r for r in plan.actions.values_list("rank", flat=True)})[:2]):
        plans.update_action(row, user, {"status": "done", "chosen": list(row.proposed[:1]), "owner": "Demo User"},
                            today=earlier.assessed_on + EARLIER / 2)
    return earlier
