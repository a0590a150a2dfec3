"""Advisors' validation of answers, with evidence (a note, a link, a file).

What this module decides, each in one place:

* **The three states of an answer.** Each answer of an assessment is *self-assessed* (no
  :class:`~innexport.web.models.AnswerReview`), *validated* (an advisor confirms the answer the
  respondents gave: the review keeps that answer's code) or *corrected* (an advisor sets another
  level, or "don't know"). A correction to the answer already given is a validation. Clearing a
  review makes the answer self-assessed again. The result consolidates the respondents' answers
  under the reviews (:func:`reviewed_answers`, read by :mod:`innexport.web.services`; the rule that
  a reviewed answer wins over the respondents' median is :mod:`innexport.core.respondents`'s). A
  validation whose answer has changed since (a respondent answered again) no longer holds: that
  answer counts as self-assessed until an advisor reviews it again (:func:`is_current`).
* **Who may review, and when** (:func:`review_answer`, :func:`clear_review`): the organisation's
  admins and advisors (:func:`innexport.web.tenancy.require_editor`: a read-only analyst is refused,
  403), on an assessment that is not completed (:func:`innexport.web.services._refuse_if_completed`:
  a completed assessment is frozen, 409). Each change is one transaction holding the assessment's
  row lock, drops a kept (draft) result, and writes an audit entry saying who, when and what
  ("validated q12", "corrected q12: 2 → 3 (file budget.pdf)").
* **Evidence files** (:func:`check_evidence`): at most
  :data:`~innexport.files.limits.MAX_EVIDENCE_BYTES` (413 otherwise), and only the types of
  :data:`EVIDENCE_TYPES` (PDF, PNG, JPEG, plain text, CSV, ODT, ODS, DOCX, XLSX) recognised by their
  CONTENT — the file's signature (PDF: ISO 32000-1 §7.5.2; PNG: ISO/IEC 15948 §5.2; JPEG:
  ITU-T T.81 Annex B; OpenDocument: OASIS ODF 1.2 Part 3 §3.3, the first member ``mimetype``;
  Office Open XML: ECMA-376 Part 2, the package's ``[Content_Types].xml`` and main part) or, for
  text, bytes that decode as text without control characters or web markup — whose file name must
  also carry one of the type's extensions (a ``.pdf`` that is really an HTML page is refused; OWASP
  File Upload Cheat Sheet, 2024: "validate the file type, don't trust the Content-Type header").
  Files are kept in the ``evidence`` storage (``settings.STORAGES``: the data folder, or an
  S3-compatible bucket) under a random name (:func:`innexport.web.models._evidence_path`), never
  the uploaded one, and have no public address: only :func:`evidence_response` gives them, with
  ``Content-Disposition: attachment``, their checked type and ``X-Content-Type-Options: nosniff``.
* **Erasure**: a review's file is deleted from the storage when the review is deleted — cleared,
  or erased with its assessment or its firm (the ``post_delete`` receiver :func:`_delete_file`, after
  the transaction commits) — and when a new file replaces it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from innexport.core import answers as answer_rule
from innexport.core.answers import COMMENT_MAX_LENGTH, AnswerRefused
from innexport.core.assessment import ValidationOut
from innexport.files.limits import MAX_EVIDENCE_BYTES, MAX_ZIP_MEMBERS
from innexport.web import tenancy
from innexport.web.models import (
    AnswerReview,
    Assessment,
    AuditEntry,
    ReviewState,
    _evidence_path,
)

__all__ = [
    "ACCEPT_EVIDENCE", "EVIDENCE_TYPES", "LINK_MAX_LENGTH", "CheckedFile", "ReviewRefused", "check_evidence",
    "check_link", "clear_review", "current_answers", "evidence_response", "is_current", "review_answer",
    "reviewed_answers", "reviewer_name", "reviews_of", "sniff_type", "validation_out",
]

EVIDENCE_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}
"""The evidence file types accepted (MIME type → the file name extensions it may have), the first
extension being the one a stored file gets."""

ACCEPT_EVIDENCE = ",".join(ext for exts in EVIDENCE_TYPES.values() for ext in exts)
"""The ``accept`` attribute of the evidence file input (a hint to the browser; the server sniffs)."""

LINK_MAX_LENGTH = 500
"""Longest evidence link (the column's length)."""

NAME_MAX_LENGTH = 200
"""Longest uploaded file name kept (the column's length)."""

Field = Literal["question", "state", "value", "note", "link", "evidence"]


class ReviewRefused(ValueError):
    """A review refused before anything is saved: ``field`` is the form field (or API member) at
    fault, ``status`` the HTTP status (400, or 413 for a file over the size limit); the message is
    in the active language."""

    def __init__(self, field: Field, message: str, status: int = 400):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


# --- the evidence: a link, a file --------------------------------------------------------------------


def check_link(link: str) -> str:
    """The evidence link as kept: empty, or an ``http``/``https`` address of at most
    :data:`LINK_MAX_LENGTH` characters; :class:`ReviewRefused` (field ``link``) otherwise.

    >>> check_link("  https://cci.fr/attestation  ")
    'https://cci.fr/attestation'
    >>> check_link("javascript:alert(1)")
    Traceback (most recent call last):
    ...
    innexport.web.evidence.ReviewRefused: link: “javascript:alert(1)” is not a web address (http:// or https://).
    """
    link = link.strip()
    if not link:
        return ""
    if len(link) > LINK_MAX_LENGTH:
        raise ReviewRefused("link", _("The link has %(n)d characters (at most %(max)d).")
                            % {"n": len(link), "max": LINK_MAX_LENGTH})
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise ReviewRefused("link", _("“%(link)s” is not a web address (http:// or https://).")
                            % {"link": link[:80]}) from None
    return link


_ODF_PREFIX = b"application/vnd.oasis.opendocument."
_OOXML_MAIN = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*(?:!doctype|\?xml|html|head|body|script|iframe|svg|object|embed|meta|link|style)\b",
                     re.IGNORECASE)


def sniff_type(content: bytes) -> str | None:
    """The type of ``content`` by its bytes (never its name): a key of :data:`EVIDENCE_TYPES`
    (``text/plain`` for any plain text, CSV included), ``text/html`` for web markup, or None when it
    is none of the accepted types.

    >>> sniff_type(b"%PDF-1.7 ..."), sniff_type(b"\\x89PNG\\r\\n\\x1a\\n..."), sniff_type(b"\\xff\\xd8\\xff\\xe0")
    ('application/pdf', 'image/png', 'image/jpeg')
    >>> sniff_type("année;score\\n2025;3\\n".encode()), sniff_type(b"<!DOCTYPE html><p>hi")
    ('text/plain', 'text/html')
    >>> sniff_type(b"MZ\\x90\\x00\\x03") is None  # a Windows program
    True
    """
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")  # spreadsheets' CSV exports on Windows
        except UnicodeDecodeError:
            return None
    if _MARKUP.search(text[:65536]):
        return "text/html"
    if _CONTROL.search(text):
        return None
    return "text/plain"


def _zip_type(content: bytes) -> str | None:
    """An OpenDocument or Office Open XML package's type, from its directory and (ODF) its small
    ``mimetype`` member: nothing else is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                return None
            names = {i.filename for i in infos}
            first = infos[0] if infos else None
            if first is not None and first.filename == "mimetype" and first.file_size <= 100:
                kind = z.read(first).strip()
                if kind.startswith(_ODF_PREFIX):
                    found = kind.decode("ascii", "replace")
                    return found if found in EVIDENCE_TYPES else None
            if "[Content_Types].xml" in names:
                return next((kind for part, kind in _OOXML_MAIN.items() if part in names), None)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return None
    return None


@dataclass(frozen=True)
class CheckedFile:
    """An evidence file that passed :func:`check_evidence`."""

    name: str
    """The uploaded name, cleaned (no folder, no control characters), shown and given back on download."""
    content_type: str
    size: int
    content: bytes

    @property
    def extension(self) -> str:
        """The extension of the stored file: its type's first."""
        return EVIDENCE_TYPES[self.content_type][0]


def _clean_name(name: str) -> str:
    r"""The uploaded file's name without folders, quotes or control characters, at most
    :data:`NAME_MAX_LENGTH` characters (keeping its extension).

    >>> _clean_name('C:\\Users\\ana\\budget "2025".pdf')
    'budget 2025.pdf'
    """
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r'[\x00-\x1f\x7f"<>|*?:]', "", base).strip() or "evidence"
    if len(base) > NAME_MAX_LENGTH:
        suffix = Path(base).suffix[:10]
        base = base[:NAME_MAX_LENGTH - len(suffix)] + suffix
    return base


def _type_name(content_type: str) -> str:
    """How a file of an accepted type is named in a message: PDF, PNG, JPEG, "text", ODT…"""
    if content_type.startswith("text/"):
        return pgettext("evidence file type", "text")
    return {"image/jpeg": "JPEG"}.get(content_type, EVIDENCE_TYPES[content_type][0].lstrip(".").upper())


def check_evidence(name: str, chunks: Iterable[bytes], size: int | None = None) -> CheckedFile:
    """Check an uploaded evidence file (its name, its content in chunks, its size if known):
    :class:`ReviewRefused` (field ``evidence``) with 413 when it is larger than
    :data:`~innexport.files.limits.MAX_EVIDENCE_BYTES`, 400 when it is empty, not of an accepted
    type by its content (:func:`sniff_type`), or named with an extension that is not its type's.

    >>> check_evidence("accounts.csv", [b"year;turnover\\n", b"2025;120000\\n"]).content_type
    'text/csv'
    >>> check_evidence("budget.pdf", [b"<html><body>not a PDF</body></html>"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.web.evidence.ReviewRefused: evidence: budget.pdf is a web page (HTML), not an accepted evidence file (...).
    """
    name = _clean_name(name)
    limit = _("%(file)s is %(size)s; an evidence file may be at most %(max)s.")
    if size is not None and size > MAX_EVIDENCE_BYTES:
        raise ReviewRefused("evidence", limit % {"file": name, "size": filesizeformat(size),
                                                 "max": filesizeformat(MAX_EVIDENCE_BYTES)}, status=413)
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > MAX_EVIDENCE_BYTES:
            raise ReviewRefused("evidence", limit % {"file": name, "size": filesizeformat(size or len(buffer)),
                                                     "max": filesizeformat(MAX_EVIDENCE_BYTES)}, status=413)
    content = bytes(buffer)
    if not content:
        raise ReviewRefused("evidence", _("%(file)s is empty.") % {"file": name})
    kind = sniff_type(content)
    accepted = _("PDF, PNG, JPEG, text, CSV, ODT, ODS, DOCX or XLSX")
    if kind == "text/html":
        raise ReviewRefused("evidence", _("%(file)s is a web page (HTML), not an accepted evidence file (%(types)s).")
                            % {"file": name, "types": accepted})
    if kind is None:
        raise ReviewRefused("evidence", _("%(file)s is not an accepted evidence file (%(types)s).")
                            % {"file": name, "types": accepted})
    suffix = Path(name).suffix.lower()
    if kind == "text/plain" and suffix == ".csv":
        kind = "text/csv"
    extensions = EVIDENCE_TYPES[kind] + ((".csv",) if kind == "text/plain" else ())
    if suffix not in extensions:
        raise ReviewRefused("evidence", _("%(file)s is a %(what)s file: its name should end in %(ext)s.")
                            % {"file": name, "what": _type_name(kind), "ext": " / ".join(extensions)})
    return CheckedFile(name=name, content_type=kind, size=len(content), content=content)


# --- the answers the advisor reviews ---------------------------------------------------------------


def current_answers(assessment: Assessment, question_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Question id → the answer the respondents gave (a level code or ``dk``), consolidated across
    them by :func:`innexport.core.respondents.consolidate` *without* the reviews: what a validation
    confirms. Unanswered questions are left out; ``question_ids`` limits the questions returned.
    The respondents' sheets are :func:`innexport.web.services.respondent_sheets`'s."""
    from innexport.core.respondents import consolidate
    from innexport.web import services  # services reads this module's reviews: imported when used

    sheets = services.respondent_sheets(assessment)
    answers = consolidate(services.framework_of(assessment.framework), sheets).sheet.answers
    wanted = None if question_ids is None else set(question_ids)
    return {q: str(v) for q, v in answers.items() if v not in ("", None) and (wanted is None or q in wanted)}


def is_current(review: AnswerReview, current: dict[str, str]) -> bool:
    """Whether ``review`` still holds: a correction always does; a validation while the answer it
    confirmed is still the respondents' answer (``current``: :func:`current_answers`).

    >>> is_current(AnswerReview(question_id="q1", state="validated", value="3"), {"q1": "4"})
    False
    >>> is_current(AnswerReview(question_id="q1", state="corrected", value="3"), {"q1": "4"})
    True
    """
    return review.state == ReviewState.CORRECTED or current.get(review.question_id, "") == review.value


def reviews_of(assessment: Assessment) -> dict[str, AnswerReview]:
    """Question id → the assessment's review of it (with its reviewer), for pages and the API."""
    return {r.question_id: r for r in AnswerReview.objects.filter(assessment=assessment).select_related("reviewed_by")}


def _holding(assessment: Assessment) -> list[AnswerReview]:
    reviews = list(AnswerReview.objects.filter(assessment=assessment).select_related("reviewed_by")
                   .order_by("reviewed_at", "pk"))
    if any(r.state == ReviewState.VALIDATED for r in reviews):
        current = current_answers(assessment, [r.question_id for r in reviews])
        reviews = [r for r in reviews if is_current(r, current)]
    return reviews


def reviewed_answers(assessment: Assessment) -> dict[str, str]:
    """Question id → the answer code an advisor validated or corrected (what consolidation keeps);
    a validation that no longer holds (:func:`is_current`) is left out."""
    return {r.question_id: r.value for r in _holding(assessment) if r.value}


def reviewer_name(review: AnswerReview) -> str:
    """Who reviewed: the reviewer's full name, else their user name ("" once the account is gone)."""
    user = review.reviewed_by
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def validation_out(assessment: Assessment, questions: int) -> ValidationOut | None:
    """The result's :class:`~innexport.core.assessment.ValidationOut` (None when no answer was reviewed);
    ``questions`` is the framework's number of questions. Validations that no longer hold count
    as self-assessed."""
    reviews = _holding(assessment)
    if not reviews:
        return None
    by: list[str] = []
    for r in reviews:
        who = reviewer_name(r)
        if who and who not in by:
            by.append(who)
    validated = sum(r.state == ReviewState.VALIDATED for r in reviews)
    corrected = sum(r.state == ReviewState.CORRECTED for r in reviews)
    return ValidationOut(validated=validated, corrected=corrected, self_assessed=questions - validated - corrected,
                         by=by, states={r.question_id: cast(Literal["validated", "corrected"], r.state) for r in reviews})


# --- reviewing -------------------------------------------------------------------------------------------


def _reviewer(actor: Any, assessment: Assessment) -> Any:
    """The acting user, who must edit in the assessment's organisation (403 otherwise)."""
    user = getattr(actor, "user", actor)
    membership = tenancy.require_editor(user)
    if membership.organisation_id != assessment.organisation_id:
        raise PermissionDenied("this assessment belongs to another organisation")
    return user


def _storage() -> Storage:
    """The ``evidence`` storage as the settings say now (read at each use, not when the model was
    defined, so that a deployment's or a test's settings are the ones used)."""
    return storages["evidence"]


def _storage_delete(name: str) -> None:
    if name:
        _storage().delete(name)


def review_answer(assessment: Assessment, question_id: str, state: str, value: str | None = None, note: str = "",
                  link: str = "", file: Any = None, actor: Any = None, *, remove_file: bool = False) -> AnswerReview:
    """Validate or correct the answer to ``question_id`` with its evidence, in one transaction holding
    the assessment's row lock, audited; the review (created or replaced).

    ``state`` ``validated`` keeps the respondents' answer (:func:`current_answers`; refused when there is
    none); ``corrected`` sets ``value`` (a level code or label, or ``dk``; a correction to the answer
    already given is a validation). ``note``, ``link`` (http/https) and ``file`` (an uploaded file,
    :func:`check_evidence`) are the evidence: the note and the link replace the review's; a new file
    replaces its file (the old one is deleted), ``remove_file`` removes it, else it is kept.

    Refusals: :class:`ReviewRefused` naming the field (nothing saved);
    ``PermissionDenied`` for a user who does not edit in the assessment's organisation;
    :class:`innexport.web.services.AssessmentCompleted` for a completed assessment.
    """
    from innexport.web import services  # services reads this module's reviews: imported when used

    user = _reviewer(actor, assessment)
    fw = services.framework_of(assessment.framework)
    if question_id not in fw.observable_by_id:
        raise ReviewRefused("question", _("There is no question “%(q)s” in this questionnaire.") % {"q": question_id[:64]})
    if state not in ReviewState.values:
        raise ReviewRefused("state", _("Choose “validated” or “corrected”."))
    note = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(note) > COMMENT_MAX_LENGTH:
        raise ReviewRefused("note", _("The note has %(n)d characters (at most %(max)d).")
                            % {"n": len(note), "max": COMMENT_MAX_LENGTH})
    link = check_link(link)
    corrected: str | None = None
    if state == ReviewState.CORRECTED:
        try:
            corrected = answer_rule.canonical(fw, question_id, value or "")
        except AnswerRefused as exc:
            raise ReviewRefused("value", str(exc)) from None
        if not corrected:
            raise ReviewRefused("value", _("Choose the corrected answer."))
    checked = None
    if file is not None:
        checked = check_evidence(getattr(file, "name", "") or "evidence", file.chunks() if hasattr(file, "chunks")
                                 else [file.read()], getattr(file, "size", None))
    stored = ""
    try:
        with transaction.atomic():
            locked = services._locked(assessment, with_result=False)
            services._refuse_if_completed(locked, assessment)
            given = current_answers(locked, [question_id]).get(question_id, "")
            if corrected is None:
                if not given:
                    raise ReviewRefused("state", _("This question has no answer to validate: correct it instead."))
                new_state, new_value = ReviewState.VALIDATED, given
            else:
                new_state = ReviewState.VALIDATED if corrected == given else ReviewState.CORRECTED
                new_value = corrected
            review = (AnswerReview.objects.select_for_update().filter(assessment=locked, question_id=question_id)
                      .first() or AnswerReview(assessment=locked, question_id=question_id))
            old_file = review.evidence.name or ""
            review.state, review.value, review.note, review.link = new_state, new_value, note, link
            review.reviewed_by, review.reviewed_at = user, timezone.now()
            if checked is not None:
                stored = _storage().save(_evidence_path(review, f"evidence{checked.extension}"),
                                         ContentFile(checked.content))
                review.evidence.name = stored
                review.evidence_name, review.evidence_type = checked.name, checked.content_type
                review.evidence_size = checked.size
            elif remove_file:
                review.evidence.name = ""
                review.evidence_name, review.evidence_type, review.evidence_size = "", "", None
            review.save()
            if old_file and old_file != review.evidence.name:
                transaction.on_commit(lambda: _storage_delete(old_file))
            services.drop_kept_result(locked, assessment)
            what = (f"validated {question_id}" if new_state == ReviewState.VALIDATED
                    else f"corrected {question_id}: {given or '—'} → {new_value}")
            evidence = [x for x in ("note" if note else "", "link" if link else "",
                                    f"file {checked.name}" if checked else "") if x]
            tenancy.record(actor, AuditEntry.Action.CHANGE, locked,
                           what + (f" ({', '.join(evidence)})" if evidence else ""))
    except BaseException:
        if stored:  # the new file of a review that was not saved
            _storage_delete(stored)
        raise
    return review


def clear_review(assessment: Assessment, question_id: str, actor: Any = None) -> bool:
    """Make the answer to ``question_id`` self-assessed again: its review (and its file) deleted, in
    one transaction holding the assessment's row lock, audited. False when it had no review.
    Refused like :func:`review_answer` (``PermissionDenied``, ``AssessmentCompleted``)."""
    from innexport.web import services

    _reviewer(actor, assessment)
    with transaction.atomic():
        locked = services._locked(assessment, with_result=False)
        services._refuse_if_completed(locked, assessment)
        review = AnswerReview.objects.filter(assessment=locked, question_id=question_id).first()
        if review is None:
            return False
        review.delete()  # its file: _delete_file, once committed
        services.drop_kept_result(locked, assessment)
        tenancy.record(actor, AuditEntry.Action.CHANGE, locked,
                       f"review of {question_id} cleared (was {review.state} {review.value or '—'})")
    return True


@receiver(post_delete, sender=AnswerReview, dispatch_uid="innexport.evidence.delete_file")
def _delete_file(sender: type[AnswerReview], instance: AnswerReview, **kwargs: Any) -> None:
    """A deleted review's file leaves the storage once the deletion is committed (cleared, or erased
    with its assessment or its firm); a rolled-back deletion keeps it."""
    name = instance.evidence.name or ""
    if name:
        transaction.on_commit(lambda: _storage_delete(name))


def evidence_response(review: AnswerReview) -> FileResponse:
    """The review's file as a download: ``Content-Disposition: attachment`` with the uploaded name,
    the type checked on upload, ``X-Content-Type-Options: nosniff``, never cached by a shared cache.
    (The caller has checked that the user belongs to the review's organisation.)"""
    handle = _storage().open(review.evidence.name or "", "rb")
    response = FileResponse(handle, as_attachment=True, filename=review.evidence_name or "evidence",
                            content_type=review.evidence_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
