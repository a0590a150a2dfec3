"""Frameworks in the web application: upload (with every validation issue shown), publish, unpublish,
staff only; and an assessment keeps the framework version it was made with."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from innexport.core.assessment import AnswerSheet, diagnose
from innexport.core.framework import FrameworkError
from innexport.files.frameworks import framework_from_texts
from innexport.web import services
from innexport.web.models import Assessment, AuditEntry, FrameworkVersion

pytestmark = pytest.mark.django_db

MINI = (Path(__file__).parents[1] / "fixtures" / "mini.yaml").read_text(encoding="utf-8")

MODULE = """\
kind: module
id: minimod
version: 0.1.0
extends: {id: mini, version: "0"}
title: {fr: Module mini, es: Módulo mini, en: Mini module}
description: {fr: Un module, es: Un módulo, en: A module}
add_observables:
  - id: q6
    activity: a_inn
    scale: yes_no
    question: {fr: "Q6 ?", es: "¿Q6?", en: "Q6?"}
    help: {fr: Aide 6, es: Ayuda 6, en: Help 6}
    recommendation: {fr: Reco 6, es: Reco 6, en: Advice 6}
"""

# Two missing English translations and a missing required field: three issues in one file.
BROKEN = (MINI.replace("title: {fr: Mini, es: Mini, en: Mini}", "title: {fr: Mini, es: Mini}")
          .replace('recommendation: {fr: Reco 4, es: Reco 4, en: Advice 4}', 'recommendation: {fr: Reco 4, es: Reco 4}')
          .replace('            help: {fr: Aide 5, es: Ayuda 5, en: Help 5}\n', ''))


def yaml_file(text: str | bytes, name: str = "mini.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8") if isinstance(text, str) else text, "application/yaml")


@pytest.fixture
def staff(org_a):
    org_a.admin.is_staff = True
    org_a.admin.save()
    return org_a.client("admin")


def upload(client: Client, framework: str | bytes, *modules: str | bytes, name: str = "mini.yaml"):
    data = {"framework": yaml_file(framework, name)}
    for k, module in enumerate(modules, start=1):
        data[f"module_{k}"] = yaml_file(module, f"module{k}.yaml")
    return client.post(reverse("framework-upload"), data)


def test_upload_valid_framework_stores_an_unpublished_version(staff, org_a) -> None:
    response = upload(staff, MINI)
    version = FrameworkVersion.objects.get(framework_id="mini")
    assert response.status_code == 302 and response["Location"] == reverse("framework-detail", args=[version.pk])
    assert not version.published and not version.builtin and version.uploaded_by == org_a.admin
    assert version.label == "mini 0.1.0" and version.framework_yaml == MINI and version.modules_yaml == []
    assert version.content_hash == framework_from_texts(MINI).content_hash
    page = staff.get(response["Location"]).content.decode()
    assert "2 dimensions, 3 activities, 5 questions" in page  # the summary (message and detail)
    assert "a_joint" in page and "joint" in page and "Strategy" in page  # the tree
    assert "Q5 ?" in page  # the YAML text
    assert AuditEntry.objects.filter(object_type="frameworkversion", object_id=str(version.pk),
                                     action="create").exists()
    assert version not in services.published_frameworks()


def test_upload_invalid_framework_shows_every_issue_and_saves_nothing(staff) -> None:
    with pytest.raises(FrameworkError) as caught:
        framework_from_texts(BROKEN, origin="mini.yaml")
    expected = caught.value.issues
    assert len(expected) == 3 and all(i.line for i in expected)
    before = FrameworkVersion.objects.count()
    response = upload(staff, BROKEN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "3 problems found: nothing was saved." in page
    rows = page.split('<tr class="issue">')[1:]
    assert len(rows) == 3
    for issue, row in zip(expected, rows, strict=True):
        assert (f"<td>mini.yaml</td><td>{issue.line}</td><td>{escape(issue.location)}</td>"
                f"<td>{escape(issue.message)}</td>") in row
    assert "missing translation: en" in page
    assert FrameworkVersion.objects.count() == before


def test_upload_a_module_with_its_framework(staff) -> None:
    response = upload(staff, MINI, MODULE)
    version = FrameworkVersion.objects.get(framework_id="mini")
    assert response.status_code == 302
    assert version.modules == ["minimod"] and version.modules_yaml == [MODULE]
    assert version.label == "mini 0.1.0 + minimod 0.1.0"
    assert "2 dimensions, 3 activities, 6 questions" in staff.get(response["Location"]).content.decode()
    # the module alone is refused, as is a module that does not fit its framework
    assert upload(staff, MODULE, name="module.yaml").status_code == 400
    response = upload(staff, MINI, MODULE.replace("activity: a_inn", "activity: nowhere"))
    assert response.status_code == 400 and "unknown activity" in response.content.decode()
    assert "module1.yaml" in response.content.decode()  # the issue names the module's file
    assert FrameworkVersion.objects.filter(framework_id="mini").count() == 1


def test_issues_of_several_files_are_all_shown(staff) -> None:
    broken_module = MODULE.replace("title: {fr: Module mini, es: Módulo mini, en: Mini module}",
                                   "title: {fr: Module mini}")
    page = upload(staff, BROKEN, broken_module).content.decode()
    assert "4 problems found" in page and "module1.yaml" in page and "missing translation: es, en" in page


def test_identical_reupload_returns_the_same_version(staff) -> None:
    first = upload(staff, MINI)
    # the same content with other comments and layout is the same framework (same content hash)
    second = upload(staff, "# a comment\n" + MINI, name="copy.yaml")
    assert first["Location"] == second["Location"]
    assert FrameworkVersion.objects.filter(framework_id="mini").count() == 1
    assert "already stored" in staff.get(second["Location"]).content.decode()


def test_size_and_encoding_errors(staff, monkeypatch) -> None:
    from innexport.web.views import frameworks

    response = upload(staff, MINI.encode("latin-1", errors="replace"))
    assert response.status_code == 400 and "is not UTF-8 text" in response.content.decode()
    monkeypatch.setattr(frameworks, "MAX_FILE_BYTES", 1000)
    response = upload(staff, MINI)
    page = response.content.decode()
    assert response.status_code == 400 and "a file may be at most 1000\xa0bytes here" in page
    assert upload(staff, "   \n").status_code == 400
    assert not FrameworkVersion.objects.filter(framework_id="mini").exists()


def test_publish_and_unpublish(staff, org_a) -> None:
    upload(staff, MINI)
    version = FrameworkVersion.objects.get(framework_id="mini")
    assert staff.get(reverse("framework-publish", args=[version.pk])).status_code == 405  # POST only
    assert staff.post(reverse("framework-publish", args=[version.pk])).status_code == 302
    version.refresh_from_db()
    assert version.published and version in services.published_frameworks()
    assert staff.post(reverse("framework-unpublish", args=[version.pk])).status_code == 302
    version.refresh_from_db()
    assert not version.published
    assert version.framework_yaml == MINI  # the flag changed, never the content
    actions = AuditEntry.objects.filter(object_type="frameworkversion", object_id=str(version.pk))
    assert actions.filter(action="change").count() == 2


def test_non_staff_cannot_upload_or_publish_but_members_see_the_list(org_a, frameworks) -> None:
    version = frameworks[0]
    for who in ("admin", "advisor", "analyst"):  # an organisation admin is not staff: frameworks are shared
        client = org_a.client(who)
        assert client.get(reverse("framework-upload")).status_code == 403
        assert upload(client, MINI).status_code == 403
        assert client.post(reverse("framework-unpublish", args=[version.pk])).status_code == 403
        page = client.get(reverse("framework-list"))
        assert page.status_code == 200 and version.label in page.content.decode()
        assert reverse("framework-upload") not in page.content.decode()
        assert client.get(reverse("framework-detail", args=[version.pk])).status_code == 200
    version.refresh_from_db()
    assert version.published and not FrameworkVersion.objects.filter(framework_id="mini").exists()
    anonymous = Client()
    assert anonymous.get(reverse("framework-list")).status_code == 302
    assert anonymous.post(reverse("framework-publish", args=[version.pk])).status_code == 302


def test_list_counts_assessments(staff, org_a, org_b, assessment, wine_framework) -> None:
    Assessment.objects.create(organisation=org_b.organisation, firm=org_b.firm, framework=wine_framework)
    row = staff.get(reverse("framework-list")).content.decode().split(wine_framework.label)[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "<td>2</td>" in row  # staff: 1 in its organisation, 2 in all
    row = org_b.client("analyst").get(reverse("framework-list")).content.decode()
    row = row.split(wine_framework.label)[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "<td>2</td>" not in row  # members: their organisation's only


SHEET_ANSWERS = {"q1": "yes", "q2": "often", "q3": "no", "q4": "yes", "q5": "sometimes"}


def test_an_assessment_keeps_its_version_after_a_newer_one_is_published(staff, org_a) -> None:
    old = services.framework_version_from_texts(MINI, [], published=True)
    assessment = Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm, framework=old, lang="en")
    for question, value in SHEET_ANSWERS.items():
        services.save_answer(assessment, question, value)
    # a newer version: another weight for q5, so it would score differently
    newer_text = MINI.replace("version: 0.1.0", "version: 0.2.0").replace("weight: 3", "weight: 1")
    response = upload(staff, newer_text)
    newer = FrameworkVersion.objects.get(framework_id="mini", version="0.2.0")
    staff.post(reverse("framework-publish", args=[newer.pk]))
    staff.post(reverse("framework-unpublish", args=[old.pk]))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.framework_id == old.pk
    result = services.score(assessment, complete=True)
    assert result.framework.content_hash == old.content_hash != newer.content_hash
    sheet = AnswerSheet(framework="mini", firm={"id": "x", "name": "X"}, answers=SHEET_ANSWERS)
    expected_old = diagnose(framework_from_texts(MINI), [sheet])[0].indices["iiep"].value
    expected_new = diagnose(framework_from_texts(newer_text), [sheet.model_copy(update={"version": None})])[0]
    assert result.indices["iiep"].value == pytest.approx(expected_old)
    assert expected_new.indices["iiep"].value != pytest.approx(expected_old)
    old.refresh_from_db()
    assert old.framework_yaml == MINI


def test_a_version_content_is_never_changed_and_a_used_version_never_deleted(assessment, wine_framework) -> None:
    stored = wine_framework.framework_yaml
    wine_framework.framework_yaml = stored.replace("iiep", "other")
    with pytest.raises(ValueError, match="never changed"):
        wine_framework.save()
    wine_framework.refresh_from_db()
    assert wine_framework.framework_yaml == stored
    wine_framework.published = False
    wine_framework.save()  # the publication flag may change
    with pytest.raises(ProtectedError):
        wine_framework.delete()
    with pytest.raises(ProtectedError):
        FrameworkVersion.objects.filter(pk=wine_framework.pk).delete()
    assert FrameworkVersion.objects.filter(pk=wine_framework.pk).exists()
