"""Uploaded text files (frameworks, modules, catalogues): size limit, UTF-8, not empty.

One place for the checks every upload form makes, each failure a form error naming the file.
"""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

ACCEPT_YAML = ".yaml,.yml,text/yaml,application/yaml,text/plain"
"""The ``accept`` attribute of a YAML file input."""


def uploaded_text(upload, max_bytes: int) -> tuple[str, str]:
    """The ``(name, text)`` of an uploaded UTF-8 text file (a BOM is dropped).

    Raises :class:`django.forms.ValidationError` naming the file when it is larger than
    ``max_bytes``, not UTF-8 (with the position of the first bad byte) or empty.
    """
    if upload.size > max_bytes:
        raise forms.ValidationError(
            _("%(file)s is %(size)s; a file may be at most %(max)s here.")
            % {"file": upload.name, "size": filesizeformat(upload.size), "max": filesizeformat(max_bytes)})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise forms.ValidationError(
            _("%(file)s is not UTF-8 text (byte %(pos)d cannot be decoded): save it as UTF-8 and upload it again.")
            % {"file": upload.name, "pos": exc.start + 1}) from None
    if not text.strip():
        raise forms.ValidationError(_("%(file)s is empty.") % {"file": upload.name})
    return upload.name, text
