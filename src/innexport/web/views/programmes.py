"""Support programmes: the organisation's catalogue, and its own local programmes.

The catalogue of an organisation is the one shipped with innexport (dated ``as_of``) plus the
organisation's :class:`~innexport.web.models.LocalProgramme` rows (:func:`services.catalogue_for`).
Every member can browse it, filter it and read each programme with the activities it helps with;
editors (organisation admin, advisor) add, edit, delete and import local programmes, and anyone can
export them as a catalogue file that ``innexport programmes validate`` accepts.

The rules live in the core: an entry is validated by :func:`innexport.support.programmes.validate_programme`
(the :class:`~innexport.support.programmes.Programme` model with the activity check) and a file by
:func:`innexport.support.programmes.parse_catalogue`; this module maps their problems onto the form's fields,
in the user's language. Nothing is saved when anything is wrong.

Tenancy: a local programme is only ever looked up among the user's organisation's rows, so another
organisation's one gives 404 (whatever the method or role); shipped programmes are not local rows, so
their edit and delete pages give 404 too. The object is looked up before the role is checked: an
analyst gets 403 on the writes of their own organisation's programmes.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from innexport.core.framework import LANGUAGES, Framework, Issue, Text
from innexport.rendering import i18n
from innexport.rendering.sectors import sector_code, sector_label, suggestions
from innexport.support.programmes import (
    CATALOGUE_BASE,
    KINDS,
    SCOPES,
    SIZES,
    Catalogue,
    CatalogueError,
    FieldProblem,
    Programme,
    ProgrammeError,
    activity_modules,
    catalogue_framework,
    catalogue_modules,
    dump_catalogue,
    parse_catalogue,
    validate_programme,
)
from innexport.web import services, tenancy
from innexport.web.fields import CountryField
from innexport.web.language import interface_language
from innexport.web.models import ActionPlan, AuditEntry, LocalProgramme, SizeClass
from innexport.web.tenancy import member_required
from innexport.web.uploads import ACCEPT_YAML, uploaded_text

MAX_IMPORT_BYTES = 1024 * 1024
"""Largest catalogue file accepted by the import (the shipped one, 31 programmes with their source notes, is
about 53 kB)."""
RESERVED_IDS = frozenset({"new", "import"})
"""Ids a local programme may not take: they are pages of the catalogue (``programmes/new/``...)."""

KIND_LABELS = {
    "grant": _lazy("Grant"), "loan": _lazy("Loan"), "insurance": _lazy("Insurance"), "advice": _lazy("Advice"),
    "training": _lazy("Training"), "trade_mission": _lazy("Trade mission"), "tax_credit": _lazy("Tax credit"),
    "network": _lazy("Network"),
}
SCOPE_LABELS = {"innovation": _lazy("Innovation"), "export": _lazy("Export"),
                "joint": _lazy("Innovation and export (joint)")}
SIZE_LABELS = dict(SizeClass.choices)
TAG_LABELS = {"innovation": _lazy("innovation"), "export": _lazy("export"), "joint": _lazy("joint")}


def framework() -> Framework:
    """The framework the catalogues' activity ids refer to: the rule of
    :func:`innexport.support.programmes.catalogue_framework` (iiep with every shipped sector module)."""
    return catalogue_framework()


def _local_rows(request: HttpRequest):
    return LocalProgramme.objects.filter(organisation=tenancy.organisation(request.user))


def _activity_names(lang: str) -> dict[str, str]:
    return {a.id: a.name.get(lang) for a in framework().activities}


def _activity_label(activity_id: str, name: str) -> str:
    """An activity's name, with the sector module it belongs to when only that module's firms have it."""
    module = activity_modules().get(activity_id)
    return name if module is None else _("%(name)s (%(module)s module only)") % {"name": name, "module": module}


def _activity_choices(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The framework's activities grouped by dimension, named in ``lang`` (a sector module's marked)."""
    return [(d.name.get(lang), [(a.id, _activity_label(a.id, a.name.get(lang))) for a in d.activities])
            for d in framework().dimensions]


def eligibility_summary(programme: Programme) -> list[str]:
    """Who may apply, in the user's language, one short phrase per condition."""
    rule = programme.eligibility
    out = []
    if rule.sizes:
        out.append(_("Sizes: %(sizes)s") % {"sizes": ", ".join(str(SIZE_LABELS.get(s, s)) for s in rule.sizes)})
    if rule.sectors:
        lang = interface_language()
        out.append(_("Sectors (NACE/ISIC): %(sectors)s") % {
            "sectors": ", ".join(sector_label(sector_code(s) or s, lang) for s in rule.sectors)})
    if rule.min_age is not None and rule.max_age is not None:
        out.append(_("Firms %(min)d to %(max)d years old") % {"min": rule.min_age, "max": rule.max_age})
    elif rule.max_age is not None:
        out.append(ngettext("Firms at most %(max)d year old", "Firms at most %(max)d years old", rule.max_age)
                   % {"max": rule.max_age})
    elif rule.min_age is not None:
        out.append(ngettext("Firms at least %(min)d year old", "Firms at least %(min)d years old", rule.min_age)
                   % {"min": rule.min_age})
    if rule.regions:
        out.append(_("Regions: %(regions)s") % {"regions": ", ".join(rule.regions)})
    return out


def _view(programme: Programme, lang: str, local: bool, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": programme.id, "name": programme.name.get(lang), "description": programme.description.get(lang),
        "operator": programme.operator, "country": programme.country, "region": programme.region,
        "kind": programme.kind, "kind_label": KIND_LABELS.get(programme.kind, programme.kind),
        "scope": programme.scope, "scope_label": SCOPE_LABELS.get(programme.scope, programme.scope),
        "eligibility": eligibility_summary(programme), "url": programme.url, "source": programme.source,
        "local": local, "activities": [(a, names.get(a, a)) for a in programme.activities],
    }


def _matches(programme: Programme, q: str) -> bool:
    q = q.casefold()
    texts = [programme.id, programme.operator, programme.region or "", programme.country,
             *programme.name.root.values(), *programme.description.root.values()]
    return any(q in t.casefold() for t in texts)


# --- catalogue ---------------------------------------------------------------------------------


FILTERS = ("country", "scope", "kind", "activity", "origin", "q")


@member_required
def programme_list(request: HttpRequest) -> HttpResponse:
    org = tenancy.organisation(request.user)
    catalogue = services.catalogue_for(org)
    local_ids = set(_local_rows(request).values_list("programme_id", flat=True))
    lang = interface_language()
    f = {key: request.GET.get(key, "").strip() for key in FILTERS}
    f["country"] = f["country"].upper()
    chosen = [
        p for p in catalogue.programmes
        if (not f["country"] or p.country == f["country"])
        and (not f["scope"] or p.scope == f["scope"])
        and (not f["kind"] or p.kind == f["kind"])
        and (not f["activity"] or f["activity"] in p.activities)
        and (not f["origin"] or (p.id in local_ids) == (f["origin"] == "local"))
        and (not f["q"] or _matches(p, f["q"]))
    ]
    chosen.sort(key=lambda p: (p.country, p.scope != "joint", p.name.get(lang).casefold(), p.id))
    names = _activity_names(lang)
    return render(request, "web/programme_list.html", {
        "programmes": [_view(p, lang, p.id in local_ids, names) for p in chosen],
        "total": len(catalogue.programmes), "n_local": len(local_ids), "filters": f,
        "as_of": services.builtin_catalogue().as_of,
        "note": catalogue.note.get(lang) if catalogue.note else "",
        "countries": catalogue.countries(), "scopes": list(SCOPE_LABELS.items()),
        "kinds": list(KIND_LABELS.items()), "activity_choices": _activity_choices(lang),
    })


def _plans_using(org, programme_id: str) -> tuple[int, int]:
    """How many of the organisation's action plans propose the programme, and how many picked it."""
    proposed = picked = 0
    for offered, chosen in ActionPlan.objects.filter(organisation=org).values_list("programmes_proposed",
                                                                                  "programmes_picked"):
        proposed += programme_id in (offered or [])
        picked += programme_id in (chosen or [])
    return proposed, picked


@member_required
def programme_detail(request: HttpRequest, pid: str) -> HttpResponse:
    org = tenancy.organisation(request.user)
    programme = services.catalogue_for(org).by_id.get(pid)
    if programme is None:
        raise Http404("no such programme in your organisation's catalogue")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    row = _local_rows(request).select_related("created_by").filter(programme_id=pid).first()
    lang = interface_language()
    fw = framework()
    dimension_of = {a.id: d for d in fw.dimensions for a in d.activities}
    activities = []
    for a in programme.activities:
        activity = fw.activity_by_id.get(a)
        activities.append({
            "id": a, "name": _activity_label(a, activity.name.get(lang)) if activity else a,
            "description": activity.description.get(lang) if activity and activity.description else "",
            "dimension": dimension_of[a].name.get(lang) if a in dimension_of else "",
            "tag": TAG_LABELS.get(activity.tag, activity.tag) if activity else "",
        })
    proposed, picked = _plans_using(org, pid)
    return render(request, "web/programme_detail.html", {
        "p": _view(programme, lang, row is not None, _activity_names(lang)), "row": row,
        "activities": activities, "as_of": services.builtin_catalogue().as_of,
        "plans_proposed": proposed, "plans_picked": picked,
    })


# --- one local programme: form -------------------------------------------------------------------


class _CoreChoiceField(forms.ChoiceField):
    """Choices offered by the form; whether the value is allowed is the core model's decision."""

    def valid_value(self, value: Any) -> bool:
        return True


class _CoreMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class ProgrammeForm(forms.Form):
    """One local programme; its data is validated by the core model, errors shown on their field."""

    id = forms.CharField(label=_lazy("Identifier"), max_length=64,
                         help_text=_lazy("Lower-case letters, digits and underscores, starting with a letter, e.g. "
                                         "occ_export_pass. Action plans refer to it: it cannot be changed later."))
    name_fr = forms.CharField(label=_lazy("Name (French)"), max_length=300, required=False)
    name_es = forms.CharField(label=_lazy("Name (Spanish)"), max_length=300, required=False)
    name_en = forms.CharField(label=_lazy("Name (English)"), max_length=300, required=False)
    operator = forms.CharField(label=_lazy("Operator"), max_length=200)
    country = CountryField(label=_lazy("Country"))
    region = forms.CharField(label=_lazy("Region"), max_length=120, required=False,
                             help_text=_lazy("Leave empty for a national programme."))
    kind = _CoreChoiceField(label=_lazy("Kind"), choices=[("", "—"), *KIND_LABELS.items()])
    scope = _CoreChoiceField(label=_lazy("Scope"), choices=[("", "—"), *SCOPE_LABELS.items()],
                             help_text=_lazy("Joint: the programme serves innovation and export together."))
    activities = _CoreMultipleChoiceField(label=_lazy("Activities it helps with"), widget=forms.CheckboxSelectMultiple)
    sizes = _CoreMultipleChoiceField(label=_lazy("Firm sizes"), required=False, widget=forms.CheckboxSelectMultiple,
                                     choices=[(s, SIZE_LABELS[s]) for s in SIZES],
                                     help_text=_lazy("None ticked: any size."))
    sectors = forms.CharField(label=_lazy("Sectors"), required=False, max_length=300,
                              help_text=_lazy("NACE or ISIC code prefixes, comma-separated, e.g. C11, 01.21, A. "
                                              "Empty: any sector."))
    min_age = forms.IntegerField(label=_lazy("Minimum age of the firm (years)"), required=False)
    max_age = forms.IntegerField(label=_lazy("Maximum age of the firm (years)"), required=False)
    regions = forms.CharField(label=_lazy("Eligible regions"), required=False, max_length=500,
                              help_text=_lazy("Comma-separated. Empty: any region."))
    url = forms.CharField(label=_lazy("Web page"), max_length=500, widget=forms.URLInput)
    source = forms.CharField(label=_lazy("Source"), max_length=500, widget=forms.URLInput,
                             help_text=_lazy("The public page the facts of this entry come from."))
    description_fr = forms.CharField(label=_lazy("Description (French)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    description_es = forms.CharField(label=_lazy("Description (Spanish)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    description_en = forms.CharField(label=_lazy("Description (English)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))

    FIELDSETS = (
        (_lazy("Programme"), ("id", "name_fr", "name_es", "name_en", "operator", "country", "region", "kind", "scope")),
        (_lazy("What it helps with"), ("activities",)),
        (_lazy("Who may apply"), ("sizes", "sectors", "min_age", "max_age", "regions")),
        (_lazy("Links"), ("url", "source")),
        (_lazy("Description"), ("description_fr", "description_es", "description_en")),
    )

    def __init__(self, *args: Any, organisation: Any, instance: LocalProgramme | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(Programme.model_validate(instance.data))
        super().__init__(*args, **kwargs)
        self.organisation, self.instance = organisation, instance
        self.programme: Programme | None = None
        cast(forms.MultipleChoiceField, self.fields["activities"]).choices = _activity_choices(interface_language())
        for name in ("min_age", "max_age"):
            self.fields[name].widget.attrs.update(min=0, step=1)
        if instance is not None:
            self.fields["id"].disabled = True
        self.lang = interface_language()
        # marked required (asterisk, aria-required): the fields the core requires, and the name and description
        # in the screen's language (the core needs them in one language: by default, that one)
        self.required_fields = {name for name, field in self.fields.items() if field.required}
        self.required_fields |= {f"name_{self.lang}", f"description_{self.lang}"}
        # the name and description in the other languages: optional, shown in the given one where missing
        self.optional_languages = {f"{head}_{lang}" for head in ("name", "description") for lang in LANGUAGES
                                   if lang != self.lang}
        for name in self.required_fields:
            if not isinstance(self.fields[name].widget, forms.CheckboxSelectMultiple):
                self.fields[name].widget.attrs["aria-required"] = "true"

    @staticmethod
    def initial_from(p: Programme) -> dict[str, Any]:
        rule = p.eligibility
        return {
            "id": p.id, **{f"name_{lang}": p.name.root.get(lang, "") for lang in LANGUAGES}, "operator": p.operator,
            "country": p.country, "region": p.region or "", "kind": p.kind, "scope": p.scope,
            "activities": list(p.activities), "sizes": list(rule.sizes), "sectors": ", ".join(rule.sectors),
            "min_age": rule.min_age, "max_age": rule.max_age, "regions": ", ".join(rule.regions),
            "url": p.url, "source": p.source,
            **{f"description_{lang}": p.description.root.get(lang, "") for lang in LANGUAGES},
        }

    def fieldsets(self) -> list[tuple[str | Promise, list[forms.BoundField]]]:
        """The fields by fieldset; a name or description in the screen's language comes first."""
        out: list[tuple[str | Promise, list[forms.BoundField]]] = []
        for title, names in self.FIELDSETS:
            languages = sorted((n for n in names if n.rpartition("_")[0] in ("name", "description")),
                               key=lambda n: n.rpartition("_")[2] != self.lang)
            queue = iter(languages)
            ordered = [next(queue) if n in languages else n for n in names]
            out.append((title, [self[name] for name in ordered]))
        return out

    def clean_sectors(self) -> str:
        """Each prefix a NACE code (``C11``, ``11.02``, ``A``, or a name), stored as its code; the rule of the
        firm's sector (:func:`innexport.rendering.sectors.sector_code`)."""
        codes, wrong = [], []
        for item in _split(self.cleaned_data.get("sectors", "")):
            code = sector_code(item)
            if code is None:
                wrong.append(item)
            elif code not in codes:
                codes.append(code)
        if wrong:
            close = [sector_label(c, self.lang) for c in suggestions(wrong[0])]
            message = " ".join(_("“%(value)s” is not a NACE or ISIC code prefix (e.g. C11, 11.02 or A).") % {"value": w}
                               for w in wrong)
            if close:
                message += " " + _("Did you mean: %(suggestions)s?") % {"suggestions": "; ".join(close)}
            raise forms.ValidationError(message)
        return ", ".join(codes)

    def _data(self) -> dict[str, Any]:
        """The entry in the catalogue format, from whatever the form could read."""
        c = self.cleaned_data
        return {
            "id": c.get("id"),
            "name": {lang: c.get(f"name_{lang}") or "" for lang in LANGUAGES},
            "operator": c.get("operator"), "country": c.get("country"), "region": c.get("region") or None,
            "kind": c.get("kind"), "scope": c.get("scope"), "activities": list(c.get("activities") or []),
            "eligibility": {"sizes": list(c.get("sizes") or []), "sectors": _split(c.get("sectors", "")),
                            "min_age": c.get("min_age"), "max_age": c.get("max_age"),
                            "regions": _split(c.get("regions", ""))},
            "url": c.get("url"), "source": c.get("source"),
            "description": {lang: c.get(f"description_{lang}") or "" for lang in LANGUAGES},
        }

    def taken_ids(self) -> dict[str, Any]:
        """Ids this programme may not use, each with what uses it."""
        taken: dict[str, Any] = dict.fromkeys(services.builtin_catalogue().by_id, _("a programme of the shipped catalogue"))
        others = LocalProgramme.objects.filter(organisation=self.organisation)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        taken.update(dict.fromkeys(others.values_list("programme_id", flat=True),
                                   _("another local programme of your organisation")))
        taken.update(dict.fromkeys(RESERVED_IDS, _("a page of the application (reserved)")))
        return taken

    def clean(self) -> dict[str, Any]:
        super().clean()
        refused = set(self.errors)  # fields the form itself refused: the core's view of them adds nothing
        taken = self.taken_ids()
        try:
            self.programme = validate_programme(self._data(), framework(), taken=taken)
        except ProgrammeError as exc:
            for problem in exc.problems:
                field = self.field_of(problem)
                if field in refused:
                    continue
                self.add_error(field, self.message(problem, field, taken))
        return self.cleaned_data

    def field_of(self, problem: FieldProblem) -> str | None:
        """The form field a problem of the core model belongs to (None: the form as a whole)."""
        path = problem.path
        head = path[0] if path else None
        if head in ("name", "description"):
            if len(path) > 1 and path[1] in LANGUAGES:
                return f"{head}_{path[1]}"
            return f"{head}_{self.lang}"  # in no language: asked in the screen's
        if head == "eligibility":
            if len(path) > 1 and path[1] in ("sizes", "sectors", "min_age", "max_age", "regions"):
                return str(path[1])
            return "min_age"  # the bounds checked together: min_age > max_age
        return head if head in self.fields else None

    @staticmethod
    def message(problem: FieldProblem, field: str | None, taken: dict[str, Any]) -> str:
        """The core's problem said in the user's language (the core's English text as a fallback)."""
        kind, value = problem.kind, problem.value
        if kind == "missing":
            return _("This field is required.")
        if kind == "value_error" and field and field.rpartition("_")[0] in ("name", "description"):
            return _("This field is required: give it in this language, or in one of the others.")
        if kind == "taken":
            return _("The id “%(id)s” is already used by %(what)s.") % {"id": value, "what": taken.get(value, "")}
        if kind == "string_pattern_mismatch":
            patterns = {
                "id": _("Use lower-case letters, digits and underscores only, starting with a letter."),
                "country": _("Give the two-letter ISO country code, e.g. FR, CL or AR."),
                "url": _("Give a full web address starting with http:// or https://, without spaces."),
                "source": _("Give a full web address starting with http:// or https://, without spaces."),
                "sectors": _("“%(value)s” is not a NACE or ISIC code prefix (e.g. C11, 11.02 or A).") % {"value": value},
            }
            return patterns.get(field or "", problem.message)
        if kind == "literal_error":
            allowed = {"kind": KINDS, "scope": SCOPES, "sizes": SIZES}.get(field or "", ())
            return _("“%(value)s” is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(allowed)}
        if kind == "too_short" and field == "activities":
            return _("Tick at least one activity the programme helps with.")
        if kind == "greater_than_equal":
            return _("Give a number of years of 0 or more.")
        if kind == "value_error" and field == "activities":
            return _("Unknown activity “%(value)s”: it is not an activity of the %(framework)s framework or of "
                     "one of its sector modules (%(modules)s).") % {
                "value": value, "framework": CATALOGUE_BASE, "modules": ", ".join(catalogue_modules())}
        if kind == "value_error" and problem.path == ("eligibility",) and isinstance(value, dict):
            return _("The minimum age (%(min)s) must not exceed the maximum age (%(max)s).") % {
                "min": value.get("min_age"), "max": value.get("max_age")}
        if kind == "string_too_long" and field == "id":
            return _("At most 64 characters.")
        return problem.message


# --- one local programme: views ------------------------------------------------------------------


def _own_local(request: HttpRequest, pid: str) -> LocalProgramme:
    """The user's organisation's local programme ``pid``, or 404 (another organisation's, or a shipped one)."""
    row = _local_rows(request).filter(programme_id=pid).first()
    if row is None:
        raise Http404("no such local programme in your organisation")
    return row


def _editor(request: HttpRequest) -> None:
    tenancy.require_editor(request.user)


def _render_form(request: HttpRequest, form: ProgrammeForm, row: LocalProgramme | None) -> HttpResponse:
    return render(request, "web/programme_form.html", {"form": form, "row": row, "creating": row is None},
                  status=400 if form.errors else 200)


@member_required
def programme_create(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    _editor(request)
    org = tenancy.organisation(request.user)
    form = ProgrammeForm(request.POST or None, organisation=org)
    programme = form.programme if request.method == "POST" and form.is_valid() else None  # set by a valid form
    if programme is not None:
        try:
            with transaction.atomic():
                row = LocalProgramme.objects.create(organisation=org, programme_id=programme.id,
                                                    data=programme.model_dump(mode="json"),
                                                    created_by=tenancy.signed_in(request))
                tenancy.record(request, AuditEntry.Action.CREATE, row, f"local programme {programme.id}")
        except IntegrityError:  # created meanwhile by someone else
            form.add_error("id", _("The id “%(id)s” is already used by %(what)s.") % {
                "id": programme.id, "what": _("another local programme of your organisation")})
        else:
            messages.success(request, _("Local programme “%(name)s” added.") % {"name": programme.name.get(interface_language())})
            return redirect("programme-detail", pid=programme.id)
    return _render_form(request, form, None)


@member_required
def programme_edit(request: HttpRequest, pid: str) -> HttpResponse:
    row = _own_local(request, pid)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    _editor(request)
    form = ProgrammeForm(request.POST or None, organisation=row.organisation, instance=row)
    programme = form.programme if request.method == "POST" and form.is_valid() else None  # set by a valid form
    if programme is not None:
        with transaction.atomic():
            row.data = programme.model_dump(mode="json")
            row.save(update_fields=["data", "updated_at"])
            tenancy.record(request, AuditEntry.Action.CHANGE, row,
                           f"local programme {pid}: {', '.join(form.changed_data) or 'no change'}")
        messages.success(request, _("Changes saved."))
        return redirect("programme-detail", pid=pid)
    return _render_form(request, form, row)


@member_required
def programme_delete(request: HttpRequest, pid: str) -> HttpResponse:
    row = _own_local(request, pid)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    _editor(request)
    programme = Programme.model_validate(row.data)
    if request.method == "POST":
        with transaction.atomic():
            tenancy.record(request, AuditEntry.Action.DELETE, row, f"local programme {pid} deleted")
            row.delete()
        messages.success(request, _("Local programme “%(name)s” deleted.") % {"name": programme.name.get(interface_language())})
        return redirect("programme-list")
    proposed, picked = _plans_using(row.organisation, pid)
    return render(request, "web/programme_confirm_delete.html", {
        "row": row, "name": programme.name.get(interface_language()), "plans_proposed": proposed, "plans_picked": picked})


# --- import and export ---------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(label=_lazy("Catalogue file (YAML)"),
                           help_text=_lazy("A `kind: catalogue` document, as written by the export, at most 1 MB, UTF-8."),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_YAML}))
    replace = forms.BooleanField(label=_lazy("Update my local programmes that have the same id"), required=False,
                                 help_text=_lazy("Otherwise an id your organisation already uses is refused."))

    def clean_file(self) -> tuple[str, str]:
        upload = self.cleaned_data["file"]
        return uploaded_text(upload, MAX_IMPORT_BYTES)


@member_required
def programme_import(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    _editor(request)
    org = tenancy.organisation(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    issues: list[Issue] = []
    if request.method == "POST" and form.is_valid():
        name, text = form.cleaned_data["file"]
        existing = {row.programme_id: row for row in LocalProgramme.objects.filter(organisation=org)}
        taken = dict.fromkeys(services.builtin_catalogue().by_id, "a programme of the shipped catalogue")
        taken.update(dict.fromkeys(RESERVED_IDS, "a page of the application (reserved)"))
        if not form.cleaned_data["replace"]:
            taken.update(dict.fromkeys(existing, "a local programme of your organisation (tick the update box to "
                                                 "replace it)"))
        try:
            catalogue = parse_catalogue(text, name, framework(), taken=taken)
        except CatalogueError as exc:
            issues = exc.issues
        else:
            created, updated = _store(request, org, catalogue, existing, name)
            messages.success(request, _("%(file)s imported: %(created)d local programme(s) added, %(updated)d "
                                        "updated.") % {"file": name, "created": created, "updated": updated})
            return redirect(f"{reverse('programme-list')}?origin=local")
    return render(request, "web/programme_import.html", {
        "form": form, "issues": issues, "max_mb": MAX_IMPORT_BYTES // 1024 // 1024,
    }, status=400 if (form.errors or issues) else 200)


def _store(request: HttpRequest, org, catalogue: Catalogue, existing: dict[str, LocalProgramme],
           origin: str) -> tuple[int, int]:
    """Save every programme of an imported catalogue, all or nothing."""
    created = updated = 0
    with transaction.atomic():
        for programme in catalogue.programmes:
            data = programme.model_dump(mode="json")
            row = existing.get(programme.id)
            if row is None:
                row = LocalProgramme.objects.create(organisation=org, programme_id=programme.id, data=data,
                                                    created_by=tenancy.signed_in(request))
                tenancy.record(request, AuditEntry.Action.CREATE, row, f"local programme {programme.id} imported "
                                                                       f"from {origin}")
                created += 1
            else:
                row.data = data
                row.save(update_fields=["data", "updated_at"])
                tenancy.record(request, AuditEntry.Action.CHANGE, row, f"local programme {programme.id} replaced "
                                                                       f"from {origin}")
                updated += 1
    return created, updated


def local_catalogue(org) -> Catalogue | None:
    """The organisation's local programmes as a catalogue (dated by their last change), or None."""
    rows = list(LocalProgramme.objects.filter(organisation=org).order_by("programme_id"))
    if not rows:
        return None
    as_of = timezone.localdate(max(row.updated_at for row in rows))
    title = Text({lang: i18n.t("programmes.local_title", lang, organisation=org.name) for lang in LANGUAGES})
    return Catalogue(id="local", version="1.0.0", as_of=as_of, title=title,
                     programmes=[Programme.model_validate(row.data) for row in rows])


@member_required
def programme_export(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    org = tenancy.organisation(request.user)
    catalogue = local_catalogue(org)
    if catalogue is None:
        messages.info(request, _("Your organisation has no local programme to export yet."))
        return redirect("programme-list")
    comment = i18n.t("programmes.local_comment", interface_language(), organisation=org.name,
                     date=timezone.localdate().isoformat())
    tenancy.record(request, AuditEntry.Action.EXPORT, LocalProgramme(organisation=org),
                   f"{len(catalogue.programmes)} local programme(s) exported as YAML")
    response = HttpResponse(dump_catalogue(catalogue, comment), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="local-programmes-{timezone.localdate().isoformat()}.yaml"'
    return response


urlpatterns = [
    path("programmes/", programme_list, name="programme-list"),
    path("programmes/new/", programme_create, name="programme-create"),
    path("programmes/import/", programme_import, name="programme-import"),
    path("programmes/local.yaml", programme_export, name="programme-export"),
    path("programmes/<str:pid>/", programme_detail, name="programme-detail"),
    path("programmes/<str:pid>/edit/", programme_edit, name="programme-edit"),
    path("programmes/<str:pid>/delete/", programme_delete, name="programme-delete"),
]
