"""The web application's data: organisations, their people, firms, assessments and answers.

Every firm, assessment, answer and audit entry belongs to exactly one organisation; views and the
API reach them only through :mod:`innexport.web.tenancy`, which filters by the user's
organisation. Frameworks are shared (published versions), and an assessment keeps the exact
framework version (and content hash) it was made with.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard, cast, get_args

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from innexport.core.answers import COMMENT_MAX_LENGTH
from innexport.core.assessment import RESPONDENT_ROLES, FirmResult
from innexport.core.framework import LANGUAGES, Lang
from innexport.support.followup import programmes_picked_and_used
from innexport.support.plans import Status


def is_lang(value: object) -> TypeGuard[Lang]:
    """Whether ``value`` is one of the languages (:data:`innexport.core.framework.LANGUAGES`): the
    one check that lets a ``lang`` column's text be the core's :data:`~innexport.core.framework.Lang`.

    >>> is_lang("es"), is_lang("de"), is_lang(None)
    (True, False, False)
    """
    return value in LANGUAGES


def as_lang(value: str) -> Lang:
    """``value`` as a :data:`~innexport.core.framework.Lang`; a ``ValueError`` naming it otherwise
    (the ``lang`` columns only take these, so a stored one always passes).

    >>> as_lang("fr")
    'fr'
    >>> as_lang("de")
    Traceback (most recent call last):
    ValueError: lang: 'de' is not one of fr, es, en
    """
    if not is_lang(value):
        raise ValueError(f"lang: '{value}' is not one of {', '.join(LANGUAGES)}")
    return value


def as_status(value: str) -> Status:
    """A ``status`` column's text as the core's :data:`innexport.support.plans.Status` (the column's
    choices, :class:`ActionStatus`, are the same codes); a ``ValueError`` naming it otherwise.

    >>> as_status("done")
    'done'
    """
    if value not in get_args(Status):
        raise ValueError(f"status: '{value}' is not one of {', '.join(get_args(Status))}")
    return cast(Status, value)


class Organisation(models.Model):
    """A support structure: a chamber of commerce, an agency, one of their regional offices."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    share_reference = models.BooleanField(
        _("contribute to the shared reference set"), default=False,
        help_text=_("Only masked aggregates of this organisation's diagnostics ever leave it."))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Organisation admin")
    ADVISOR = "advisor", _("Advisor")
    ANALYST = "analyst", _("Read-only analyst")


class Membership(models.Model):
    """A user's organisation and role (one organisation per user)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ADVISOR)
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES, default="en")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.ADMIN, Role.ADVISOR)


class SizeClass(models.TextChoices):
    MICRO = "micro", _("Micro (< 10 employees)")
    SMALL = "small", _("Small (10–49)")
    MEDIUM = "medium", _("Medium (50–249)")
    LARGE = "large", _("Large (250+)")


class Firm(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="firms")
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. FR, CL, AR"))
    region = models.CharField(_("region"), max_length=120, blank=True)
    sector = models.CharField(_("sector (NACE/ISIC code)"), max_length=16, blank=True,
                              help_text=_("e.g. 11.02 for the manufacture of wine from grape"))
    size_class = models.CharField(_("size class"), max_length=8, choices=SizeClass.choices, blank=True)
    year_founded = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    export_share = models.DecimalField(_("export share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    rd_intensity = models.DecimalField(_("R&D intensity (% of sales)"), max_digits=5, decimal_places=2,
                                       null=True, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True,
                                      help_text=_("The director's address: the private link is sent there."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="firm_name_unique_in_org")]
        # the portfolio's cache stamp (web.views.portfolio.last_change): a count and a maximum per organisation
        indexes = [models.Index(fields=["organisation", "updated_at"], name="firm_org_updated")]

    def __str__(self) -> str:
        return self.name


class FrameworkVersion(models.Model):
    """A framework (with its modules) as published in the application; immutable once used."""

    framework_id = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    modules = models.JSONField(default=list, help_text="module ids applied, in order")
    label = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=80, unique=True)
    framework_yaml = models.TextField(help_text="the framework file")
    modules_yaml = models.JSONField(default=list, help_text="the module files, in order")
    published = models.BooleanField(default=False)
    builtin = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["framework_id", "-created_at"]

    CONTENT_FIELDS = ("framework_id", "version", "modules", "label", "content_hash", "framework_yaml",
                      "modules_yaml", "builtin")
    """Never changed once stored (only ``published`` is): an assessment is scored with exactly these texts."""

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and self.pk is not None:
            stored = FrameworkVersion.objects.filter(pk=self.pk).values(*self.CONTENT_FIELDS).first()
            changed = [f for f in self.CONTENT_FIELDS if stored is not None and stored[f] != getattr(self, f)]
            if changed:
                raise ValueError(f"the content of framework version {self.label} is never changed "
                                 f"({', '.join(changed)}): upload a new version instead")
        super().save(*args, **kwargs)


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    COMPLETED = "completed", _("Completed")


def _share_token() -> str:
    return secrets.token_urlsafe(24)


def link_expiry(days: int | None = None) -> datetime:
    """When a private link opened (or extended) now for ``days`` days (default ``SHARE_LINK_DAYS``) expires:
    the one rule of the director's and the respondents' links."""
    return timezone.now() + timedelta(days=days or settings.SHARE_LINK_DAYS)


def link_open(token: str | None, expires_at: datetime | None) -> bool:
    """Whether a private link (the director's or a respondent's) opens the questionnaire now: it has a
    token and has not expired (the one rule of both links)."""
    return bool(token and expires_at and expires_at > timezone.now())


class Assessment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="assessments")
    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="assessments")
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="assessments")
    lang = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES, default="en")
    status = models.CharField(max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    assessed_on = models.DateField(_("date of the assessment"), default=timezone.localdate)
    assessor = models.CharField(_("assessor"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A summary of ``result`` kept in columns, so the portfolio of thousands of firms is read
    # without parsing every result (set by ``services.score``; see ``summary_fields``).
    iip = models.FloatField(null=True, blank=True)
    iep = models.FloatField(null=True, blank=True)
    iiep = models.FloatField(null=True, blank=True)
    class_iip = models.CharField(max_length=32, blank=True)
    class_iep = models.CharField(max_length=32, blank=True)
    class_iiep = models.CharField(max_length=32, blank=True)
    top_activities = models.JSONField(default=list, blank=True, help_text="ids of the top priorities, in order")
    dimension_scores = models.JSONField(default=dict, blank=True, help_text="dimension id → score")
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    share_expires_at = models.DateTimeField(null=True, blank=True)
    respondent_role = models.CharField(_("role of the first respondent"), max_length=16, default="director",
                                       choices=[(r, r) for r in RESPONDENT_ROLES],
                                       help_text="who gives the assessment's own answers (see Respondent)")
    # Last in the table's rows (migration 0003): a large document, read only when asked for.
    result = models.JSONField(null=True, blank=True, help_text="the FirmResult, once scored")

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [models.Index(fields=["organisation", "status", "assessed_on"], name="assessment_org_status_date"),
                   # the portfolio's cache stamp: its completed diagnostics' count and latest change
                   models.Index(fields=["organisation", "status", "updated_at"], name="assessment_org_status_updated")]

    def __str__(self) -> str:
        return f"{self.firm} — {self.assessed_on}"

    def open_share_link(self, days: int | None = None) -> str:
        self.share_token = _share_token()
        self.share_expires_at = link_expiry(days)
        return self.share_token

    @property
    def completed(self) -> bool:
        """Completed: scored and frozen (its answers can no longer change; see :mod:`innexport.web.services`)."""
        return self.status == AssessmentStatus.COMPLETED

    @property
    def share_link_valid(self) -> bool:
        return link_open(self.share_token, self.share_expires_at)


def summary_fields(result: FirmResult | dict[str, Any] | None) -> dict[str, Any]:
    """The summary columns of an assessment from its result (a FirmResult, or one as JSON), or blanks.

    ``top_activities`` are the result's :meth:`~innexport.core.assessment.FirmResult.top_priorities`
    (the one rule of the portfolio's "top priorities").
    """
    if isinstance(result, FirmResult):
        top = [p.activity for p in result.top_priorities()]
        result = result.model_dump(mode="json", by_alias=True)
    elif result:
        top = [p.activity for p in FirmResult.model_validate(result).top_priorities()]
    if not result:
        return {"iip": None, "iep": None, "iiep": None, "class_iip": "", "class_iep": "", "class_iiep": "",
                "top_activities": [], "dimension_scores": {}}
    idx = result.get("indices", {})
    out: dict = {}
    for name in ("iip", "iep", "iiep"):
        out[name] = (idx.get(name) or {}).get("value")
        out[f"class_{name}"] = (idx.get(name) or {}).get("class") or ""
    out["top_activities"] = top
    out["dimension_scores"] = {d["id"]: d["score"] for d in result.get("dimensions", []) if d.get("score") is not None}
    return out


class DirectorLink(models.Model):
    """Who opened an assessment's private link, where it was e-mailed, its reminders, and whether the
    director said they had finished (:mod:`innexport.web.mail`; rules in :mod:`innexport.web.services`).

    Kept beside the assessment rather than in its row, whose large ``result`` stays last (migration 0003).
    Erased with the assessment. The token itself stays on the assessment only.
    """

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="director_link")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", help_text="the advisor who last opened or extended the link")
    email = models.EmailField(_("director's e-mail"), blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="when the invitation was last e-mailed")
    reminders_sent = models.PositiveSmallIntegerField(default=0, help_text="since the last invitation")
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True,
                                       help_text="when the director said they had finished (since the invitation)")

    class Meta:
        indexes = [models.Index(fields=["sent_at"], name="directorlink_sent_at")]

    def __str__(self) -> str:
        return f"director's link of assessment {self.assessment_id}"


class Respondent(models.Model):
    """A further person answering an assessment's questionnaire (an export manager, an R&D lead…), with
    their own private link. The assessment's own answers (``Answer.respondent`` empty) are its first
    respondent's, whose role is ``Assessment.respondent_role``; the result consolidates them all
    (:mod:`innexport.core.respondents`). Erased with the assessment.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="respondents")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=16, choices=[(r, r) for r in RESPONDENT_ROLES], default="other")
    email = models.EmailField(_("e-mail"), blank=True)
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="when their link was last e-mailed")
    reminders_sent = models.PositiveSmallIntegerField(default=0, help_text="since the link was last e-mailed")
    last_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role}) — assessment {self.assessment_id}"

    def open_link(self, days: int | None = None) -> str:
        """A new private link for this respondent (the director's rules: :meth:`Assessment.open_share_link`)."""
        self.token = _share_token()
        self.expires_at = link_expiry(days)
        return self.token

    @property
    def link_valid(self) -> bool:
        return link_open(self.token, self.expires_at)


class Answer(models.Model):
    """One answer, saved as it is given (a level code, or ``dk``) with an optional comment: the first
    respondent's when ``respondent`` is empty, else that respondent's."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="answers")
    question_id = models.CharField(max_length=64)
    value = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    via_share_link = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question_id"], condition=models.Q(respondent__isnull=True),
                                    name="one_answer_per_question"),
            models.UniqueConstraint(fields=["respondent", "question_id"], condition=models.Q(respondent__isnull=False),
                                    name="one_answer_per_respondent_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} = {self.value or '—'} (assessment {self.assessment_id})"


class ReviewState(models.TextChoices):
    VALIDATED = "validated", _("validated")
    CORRECTED = "corrected", _("corrected")


def _evidence_storage() -> Any:
    from django.core.files.storage import storages

    return storages["evidence"]


def _evidence_path(review: AnswerReview, filename: str) -> str:
    """``<organisation id>/<random>.<extension>``: one folder per organisation, never the uploaded name."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"{review.assessment.organisation_id}/{secrets.token_hex(16)}{suffix}"


class AnswerReview(models.Model):
    """An advisor's check of one answer: validated as given, or corrected to ``value``, with its evidence
    (a note, a link, a file). An answer without a review is self-assessed. Erased with the assessment,
    its file too (:mod:`innexport.web.evidence`)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reviews")
    question_id = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=ReviewState.choices)
    value = models.CharField(max_length=32, blank=True, help_text="the level code (or dk) validated or corrected to")
    note = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    link = models.URLField(blank=True, max_length=500)
    evidence = models.FileField(storage=_evidence_storage, upload_to=_evidence_path, blank=True, max_length=255)
    evidence_name = models.CharField(max_length=200, blank=True, help_text="the file's name as uploaded")
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_size = models.PositiveIntegerField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "question_id"], name="one_review_per_question")]

    def __str__(self) -> str:
        return f"{self.question_id} {self.state} (assessment {self.assessment_id})"


class AuditEntry(models.Model):
    """Who created, changed, exported or deleted what, and when."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        CHANGE = "change", _("changed")
        EXPORT = "export", _("exported")
        DELETE = "delete", _("deleted")
        LOGIN = "login", _("logged in")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit", null=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}" if self.pk else ""  # ``at`` (UTC) is set when the entry is saved
        parts = [when, str(self.user or "—"), str(self.get_action_display()), self.object_type, self.object_id]
        return " ".join(part for part in parts if part)


class ApiToken(models.Model):
    """A per-user API token; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        # The prefix is the part of the token already shown in the interface; the token itself is never kept.
        return f"{self.prefix}… {self.name or '(unnamed)'} ({self.user})"


class ActionStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DOING = "doing", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ActionPlan(models.Model):
    """The action plan made from a completed assessment (built by :func:`innexport.support.plans.build_plan`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="plans")
    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="plan")
    lang = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES, default="en")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A summary of the actions kept in columns for the portfolio (see ``refresh_summary``).
    actions_total = models.PositiveIntegerField(default=0)
    actions_done = models.PositiveIntegerField(default=0)
    programmes_proposed = models.JSONField(default=list, blank=True, help_text="ids proposed by any action")
    programmes_picked = models.JSONField(default=list, blank=True,
                                         help_text="ids picked on an action that is not dropped")
    programmes_used = models.JSONField(default=list, blank=True, help_text="ids picked on an action that is done")

    class Meta:
        indexes = [models.Index(fields=["organisation", "updated_at"], name="plan_org_updated")]

    def __str__(self) -> str:
        return f"plan of {self.assessment}"

    @property
    def supported(self) -> bool:
        """Whether the firm acted on the plan: an action done or a programme used."""
        return self.actions_done > 0 or bool(self.programmes_used)

    def refresh_summary(self, save: bool = True) -> None:
        """Recompute the summary columns from the actions (call after any change of an action)."""
        rows = list(self.actions.values_list("status", "proposed", "chosen"))
        proposed: dict[str, None] = {}
        for _status, offered, _chosen in rows:
            proposed.update(dict.fromkeys(offered or []))
        self.actions_total = len(rows)
        self.actions_done = sum(1 for status, _o, _c in rows if status == ActionStatus.DONE)
        self.programmes_proposed = list(proposed)
        self.programmes_picked, self.programmes_used = programmes_picked_and_used(
            (status, chosen or []) for status, _o, chosen in rows)
        if save:
            self.save(update_fields=["actions_total", "actions_done", "programmes_proposed", "programmes_picked",
                                     "programmes_used", "updated_at"])


class PlanAction(models.Model):
    """One action of a plan: the core's :class:`innexport.support.plans.Action`, editable by advisors."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="actions")
    key = models.CharField(max_length=64, help_text="the core action's id (an observable's or activity's id)")
    position = models.PositiveIntegerField(default=0)
    rank = models.PositiveSmallIntegerField(default=1)
    activity = models.CharField(max_length=64)
    activity_name = models.CharField(max_length=300, blank=True)
    observable = models.CharField(max_length=64, blank=True)
    title = models.TextField(_("action"))
    targets = models.JSONField(default=list, blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.TODO)
    proposed = models.JSONField(default=list, blank=True, help_text="ids of the eligible programmes proposed")
    chosen = models.JSONField(default=list, blank=True, help_text="ids of the programmes picked for this action")
    done_on = models.DateField(_("done on"), null=True, blank=True)
    reminded_for = models.DateField(null=True, blank=True, help_text="the due date the advisor was last reminded of")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="one_action_key_per_plan")]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_status_display()}) in plan {self.plan_id}"


class LocalProgramme(models.Model):
    """A support programme an organisation adds to the shipped catalogue (e.g. a regional one).

    ``data`` is a :class:`innexport.support.programmes.Programme` as JSON, validated by the core on save.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="programmes")
    programme_id = models.CharField(max_length=64)
    data = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme_id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "programme_id"],
                                               name="programme_id_unique_in_org")]

    def __str__(self) -> str:
        return self.programme_id
