"""The advisor's validation of answers, with evidence files (issue 12, "Advisor validation").

Validation states and the consolidated value, the evidence limits (size, type by content), tenant
isolation of the files, erasure of the files with the review, the assessment and the firm, the audit
trail, the API, and the S3 storage against a moto server on loopback.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from innexport.core.respondents import consolidate
from innexport.files.limits import MAX_EVIDENCE_BYTES
from innexport.web import evidence, services, tenancy
from innexport.web.api import create_token
from innexport.web.models import Answer, AnswerReview, Assessment, AuditEntry, Respondent

from .conftest import Org

# Real transactions: a file leaves the storage once the deletion of its review is committed.
pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path: Path) -> Path:
    """Each test's evidence storage: a folder of its own."""
    folder = tmp_path / "evidence"
    settings.STORAGES = {**settings.STORAGES, "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder), "base_url": None}}}
    return folder


def question(assessment: Assessment, n: int = 0) -> tuple[str, list[str]]:
    """The ``n``-th question of the assessment's framework and its level codes."""
    fw = services.framework_of(assessment.framework)
    o = fw.observables[n]
    return o.id, [lv.code for lv in fw.scale_by_id[o.scale].levels]


def review_url(a: Assessment, qid: str) -> str:
    return reverse("answer-review", args=[a.pk, qid])


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def ods_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()


# --- states and the consolidated value -----------------------------------------------------------------


def test_validate_correct_clear_through_the_page(org_a: Org, assessment: Assessment, evidence_dir: Path) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    client = org_a.client()

    r = client.post(review_url(assessment, qid), {"action": "review", "state": "validated", "note": "seen the ledger"})
    assert r.status_code == 302 and r["Location"].endswith(f"#q-{qid}")
    review = AnswerReview.objects.get(assessment=assessment, question_id=qid)
    assert (review.state, review.value, review.note, review.reviewed_by) == ("validated", codes[1], "seen the ledger",
                                                                             org_a.advisor)
    assert evidence.reviewed_answers(assessment) == {qid: codes[1]}

    r = client.post(review_url(assessment, qid), {"action": "review", "state": "corrected", "value": codes[3],
                                                  "evidence": SimpleUploadedFile("budget.pdf", PDF)})
    assert r.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.value, review.evidence_name, review.evidence_type, review.evidence_size) == (
        "corrected", codes[3], "budget.pdf", "application/pdf", len(PDF))
    assert "budget" not in review.evidence.name and review.evidence.name.startswith(f"{org_a.organisation.pk}/")
    assert [p.read_bytes() for p in stored_files(evidence_dir)] == [PDF]
    total = len(services.framework_of(assessment.framework).observables)
    out = evidence.validation_out(assessment, total)
    assert out is not None
    assert (out.validated, out.corrected, out.self_assessed, out.by, out.states) == (
        0, 1, total - 1, [org_a.advisor.username], {qid: "corrected"})

    r = client.post(review_url(assessment, qid), {"action": "clear"})
    assert r.status_code == 302
    assert not AnswerReview.objects.filter(assessment=assessment).exists()
    assert evidence.reviewed_answers(assessment) == {} and evidence.validation_out(assessment, total) is None
    assert stored_files(evidence_dir) == []  # the file went with the review


def test_a_corrected_answer_wins_over_the_respondents_median(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[0], user=org_a.advisor)
    for name, code in (("Marc", codes[2]), ("Inès", codes[3])):
        r = Respondent.objects.create(assessment=assessment, name=name, role="export_manager")
        Answer.objects.create(assessment=assessment, respondent=r, question_id=qid, value=code)
    # three respondents answered levels 0, 2, 3: the median is level 2
    assert evidence.current_answers(assessment)[qid] == codes[2]
    evidence.review_answer(assessment, qid, "validated", actor=org_a.advisor)
    assert AnswerReview.objects.get(question_id=qid).value == codes[2]  # what the advisor confirmed

    evidence.review_answer(assessment, qid, "corrected", codes[1], actor=org_a.advisor)  # nobody answered it
    assert services.sheet_of(assessment).answers[qid] == codes[1]  # what is scored
    fw = services.framework_of(assessment.framework)
    assert consolidate(fw, services.respondent_sheets(assessment),
                       evidence.reviewed_answers(assessment)).sheet.answers[qid] == codes[1]
    assert evidence.current_answers(assessment)[qid] == codes[2]  # the respondents' answer is unchanged


def test_a_correction_to_the_answer_given_is_a_validation_and_dk_can_be_set(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[2], user=org_a.advisor)
    assert evidence.review_answer(assessment, qid, "corrected", codes[2], actor=org_a.advisor).state == "validated"
    assert evidence.review_answer(assessment, qid, "corrected", "dk", actor=org_a.advisor).value == "dk"


def test_a_validation_no_longer_holds_once_the_answer_changes(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "validated", actor=org_a.advisor)
    services.save_answer(assessment, qid, codes[3], user=org_a.advisor)  # the director answers again
    assert evidence.reviewed_answers(assessment) == {}
    assert services.sheet_of(assessment).answers[qid] == codes[3]
    assert evidence.validation_out(assessment, 10) is None
    page = org_a.client().get(review_url(assessment, qid)).content.decode()
    assert "changed after it was validated" in page


def test_nothing_to_validate_and_bad_values_are_refused_naming_the_field(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    client = org_a.client()
    r = client.post(review_url(assessment, qid), {"action": "review", "state": "validated"})
    assert r.status_code == 400 and b"no answer to validate" in r.content
    r = client.post(review_url(assessment, qid), {"action": "review", "state": "corrected", "value": "maybe"})
    assert r.status_code == 400 and b"id=\"err-value\"" in r.content
    r = client.post(review_url(assessment, qid), {"action": "review", "state": "corrected", "value": codes[0],
                                                  "link": "javascript:alert(1)"})
    assert r.status_code == 400 and b"id=\"err-link\"" in r.content
    assert not AnswerReview.objects.exists()
    assert client.get(review_url(assessment, "no_such_question")).status_code == 404


def test_the_questionnaire_shows_each_answers_state(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    other, _ = question(assessment, 1)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "corrected", codes[2], note="checked the invoices",
                           file=SimpleUploadedFile("invoices.csv", b"year;amount\n2025;1200\n"), actor=org_a.advisor)
    page = org_a.client().get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    mine = page[page.index(f'id="q-{qid}"'):page.index(f'id="q-{other}"')]
    assert "Corrected" in mine and "checked the invoices" in mine and "invoices.csv" in mine
    assert reverse("answer-review-evidence", args=[assessment.pk, qid]) in mine
    assert "Self-assessed" in page[page.index(f'id="q-{other}"'):]


# --- who may review, and when ------------------------------------------------------------------------


def test_an_analyst_can_read_and_download_but_not_review(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("proof.png", PNG),
                           actor=org_a.advisor)
    analyst = org_a.client("analyst")
    assert analyst.get(review_url(assessment, qid)).status_code == 200
    download = analyst.get(reverse("answer-review-evidence", args=[assessment.pk, qid]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert analyst.post(review_url(assessment, qid), {"action": "clear"}).status_code == 403
    assert analyst.post(review_url(assessment, qid), {"action": "review", "state": "validated"}).status_code == 403
    assert AnswerReview.objects.filter(question_id=qid).exists()
    with pytest.raises(tenancy.PermissionDenied):
        evidence.review_answer(assessment, qid, "validated", actor=org_a.analyst)


def test_a_completed_assessment_cannot_be_reviewed(org_a: Org, assessment: Assessment) -> None:
    fw = services.framework_of(assessment.framework)
    services.save_answers(assessment, {o.id: (fw.scale_by_id[o.scale].levels[1].code, None) for o in fw.observables},
                          user=org_a.advisor)
    qid = fw.observables[0].id
    evidence.review_answer(assessment, qid, "validated", actor=org_a.advisor)
    services.complete(assessment, org_a.advisor)
    r = org_a.client().post(review_url(assessment, qid), {"action": "clear"})
    assert r.status_code == 409 and b"completed" in r.content
    with pytest.raises(services.AssessmentCompleted):
        evidence.review_answer(assessment, qid, "corrected", "dk", actor=org_a.advisor)
    assert AnswerReview.objects.get(question_id=qid).state == "validated"
    result = services.completed_result(assessment)
    assert result.validation is not None and result.validation.validated == 1


# --- evidence files ------------------------------------------------------------------------------------


def test_evidence_over_the_size_limit_is_refused_with_413(org_a: Org, assessment: Assessment,
                                                          evidence_dir: Path) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n" + b"0" * MAX_EVIDENCE_BYTES)
    r = org_a.client().post(review_url(assessment, qid), {"action": "review", "state": "validated", "evidence": big})
    assert r.status_code == 413 and b'id="err-evidence"' in r.content and b"scan.pdf" in r.content
    assert not AnswerReview.objects.exists() and stored_files(evidence_dir) == []


@pytest.mark.parametrize(("name", "content", "why"), [
    ("budget.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "web page"),
    ("notes.txt", b"<svg onload=alert(1)>", "web page"),
    ("budget.pdf", b"year;turnover\n2025;3\n", "is a text file: its name should end in .txt / .csv"),
    ("photo.jpg", PNG, "is a PNG file: its name should end in .png"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04", "not an accepted evidence file"),
    ("empty.pdf", b"", "empty"),
    ("archive.docx", b"PK\x03\x04broken", "not an accepted evidence file"),
])
def test_evidence_is_typed_by_its_content(org_a: Org, assessment: Assessment, evidence_dir: Path, name: str,
                                          content: bytes, why: str) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    r = org_a.client().post(review_url(assessment, qid), {"action": "review", "state": "validated",
                                                          "evidence": SimpleUploadedFile(name, content)})
    assert r.status_code == 400 and why in r.content.decode() and b'id="err-evidence"' in r.content
    assert not AnswerReview.objects.exists() and stored_files(evidence_dir) == []


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("accounts.csv", "année;CA\n2025;12 000 €\n".encode("cp1252"), "text/csv"),
    ("report.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sheet.ods", ods_bytes(), "application/vnd.oasis.opendocument.spreadsheet"),
    ("Photo.JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
])
def test_accepted_types(name: str, content: bytes, kind: str) -> None:
    checked = evidence.check_evidence(name, [content])
    assert (checked.content_type, checked.size) == (kind, len(content))


def test_a_new_file_replaces_the_old_one_and_the_download_is_an_attachment(org_a: Org, assessment: Assessment,
                                                                             evidence_dir: Path) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("old.pdf", PDF), actor=org_a.advisor)
    first = AnswerReview.objects.get().evidence.name
    evidence.review_answer(assessment, qid, "validated", note="kept", actor=org_a.advisor)  # no file: kept
    assert AnswerReview.objects.get().evidence.name == first and len(stored_files(evidence_dir)) == 1
    evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("new.png", PNG), actor=org_a.advisor)
    assert [p.read_bytes() for p in stored_files(evidence_dir)] == [PNG]
    r = org_a.client().get(reverse("answer-review-evidence", args=[assessment.pk, qid]))
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment;") and "new.png" in r["Content-Disposition"]
    evidence.review_answer(assessment, qid, "validated", remove_file=True, actor=org_a.advisor)
    assert stored_files(evidence_dir) == [] and not AnswerReview.objects.get().evidence
    assert org_a.client().get(reverse("answer-review-evidence", args=[assessment.pk, qid])).status_code == 404


def test_another_organisation_never_reaches_the_file(org_a: Org, org_b: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("proof.pdf", PDF), actor=org_a.advisor)
    url = reverse("answer-review-evidence", args=[assessment.pk, qid])
    for who in ("admin", "advisor", "analyst"):
        assert org_b.client(who).get(url).status_code == 404
        assert org_b.client(who).get(review_url(assessment, qid)).status_code == 404
        assert org_b.client(who).post(review_url(assessment, qid), {"action": "clear"}).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    token = create_token(org_b.advisor)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/api/assessments/{assessment.pk}/reviews/{qid}/evidence").status_code == 404
    assert api.get(f"/api/assessments/{assessment.pk}/reviews").status_code == 404
    with pytest.raises(tenancy.PermissionDenied):
        evidence.review_answer(assessment, qid, "validated", actor=org_b.advisor)
    # the private link of the director never shows the advisor's reviews
    services.open_share_link(assessment, 7, org_a.advisor)
    page = Client().get(reverse("share-page", args=[assessment.share_token, 1])).content.decode()
    assert "proof.pdf" not in page and "Validated" not in page


# --- erasure --------------------------------------------------------------------------------------------


def test_erasing_the_firm_deletes_the_files(org_a: Org, assessment: Assessment, evidence_dir: Path) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("proof.pdf", PDF), actor=org_a.advisor)
    assert len(stored_files(evidence_dir)) == 1
    r = org_a.client("admin").post(reverse("firm-erase", args=[org_a.firm.pk]), {"confirm_name": org_a.firm.name})
    assert r.status_code in (200, 302)
    assert not Assessment.objects.filter(pk=assessment.pk).exists()
    assert stored_files(evidence_dir) == []


def test_deleting_an_assessment_deletes_its_files(org_a: Org, assessment: Assessment, evidence_dir: Path) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("proof.pdf", PDF), actor=org_a.advisor)
    assessment.delete()
    assert stored_files(evidence_dir) == []


def test_a_refused_review_leaves_no_file(org_a: Org, assessment: Assessment, evidence_dir: Path) -> None:
    qid, _codes = question(assessment)
    with pytest.raises(evidence.ReviewRefused):  # nothing to validate: refused after the file was checked
        evidence.review_answer(assessment, qid, "validated", file=SimpleUploadedFile("proof.pdf", PDF),
                               actor=org_a.advisor)
    assert stored_files(evidence_dir) == []


# --- the audit trail --------------------------------------------------------------------------------------


def test_every_review_is_audited(org_a: Org, assessment: Assessment) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    before = AuditEntry.objects.count()
    evidence.review_answer(assessment, qid, "validated", actor=org_a.advisor)
    evidence.review_answer(assessment, qid, "corrected", codes[2], file=SimpleUploadedFile("budget.pdf", PDF),
                           note="n", actor=org_a.admin)
    evidence.clear_review(assessment, qid, org_a.advisor)
    entries = list(AuditEntry.objects.order_by("pk")[before:])
    assert [(e.user, e.action, e.object_type, e.object_id, e.description) for e in entries] == [
        (org_a.advisor, "change", "assessment", str(assessment.pk), f"validated {qid}"),
        (org_a.admin, "change", "assessment", str(assessment.pk),
         f"corrected {qid}: {codes[1]} → {codes[2]} (note, file budget.pdf)"),
        (org_a.advisor, "change", "assessment", str(assessment.pk), f"review of {qid} cleared (was corrected {codes[2]})"),
    ]
    assert all(org_a.firm.name not in e.description for e in entries)


# --- the API -------------------------------------------------------------------------------------------------


def test_the_api(org_a: Org, assessment: Assessment, evidence_dir: Path) -> None:
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(org_a.advisor)}")
    base = f"/api/assessments/{assessment.pk}/reviews"

    r = api.put(f"{base}/{qid}", {"state": "validated", "note": "ok", "link": "https://cci.example.org/x"},
                content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["value"], body["given"], body["holds"], body["link"], body["evidence"]) == (
        "validated", codes[1], codes[1], True, "https://cci.example.org/x", None)

    r = api.post(f"{base}/{qid}", {"state": "corrected", "value": codes[3],
                                   "evidence": SimpleUploadedFile("budget.pdf", PDF)})
    assert r.status_code == 200, r.content
    assert r.json()["evidence"]["type"] == "application/pdf" and r.json()["value"] == codes[3]
    file = api.get(r.json()["evidence"]["url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == PDF

    r = api.post(f"{base}/{qid}", {"state": "validated", "evidence": SimpleUploadedFile("budget.pdf", b"<html>")})
    assert r.status_code == 400 and list(r.json()["errors"]) == ["evidence"]
    r = api.put(f"{base}/{qid}", {"state": "corrected", "value": "nope"}, content_type="application/json")
    assert r.status_code == 400 and list(r.json()["errors"]) == ["value"]
    r = api.put(f"{base}/{qid}", {"state": "maybe"}, content_type="application/json")
    assert r.status_code == 422
    assert api.put(f"{base}/unknown", {"state": "validated"}, content_type="application/json").status_code == 404

    assert [x["question_id"] for x in api.get(base).json()] == [qid]
    analyst = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(org_a.analyst)}")
    assert analyst.get(base).status_code == 200
    assert analyst.delete(f"{base}/{qid}").status_code == 403
    assert api.delete(f"{base}/{qid}").status_code == 204
    assert api.get(base).json() == [] and stored_files(evidence_dir) == []
    paths = api.get("/api/openapi.json").json()["paths"]
    assert {"put", "post", "delete"} <= set(paths["/api/assessments/{assessment_id}/reviews/{question_id}"])


def test_the_api_refuses_reviews_of_a_completed_assessment(org_a: Org, assessment: Assessment) -> None:
    fw = services.framework_of(assessment.framework)
    services.save_answers(assessment, {o.id: (fw.scale_by_id[o.scale].levels[-1].code, None) for o in fw.observables},
                          user=org_a.advisor)
    services.complete(assessment, org_a.advisor)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_token(org_a.admin)}")
    base = f"/api/assessments/{assessment.pk}/reviews/{fw.observables[0].id}"
    r = api.put(base, {"state": "validated"}, content_type="application/json")
    assert r.status_code == 409 and "completed" in r.json()["detail"]
    assert api.delete(base).status_code == 409
    assert not AnswerReview.objects.exists()


# --- S3-compatible storage (a moto server on loopback) ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_server() -> Any:
    pytest.importorskip("storages", reason="django-storages is not installed (the s3 extra)")
    pytest.importorskip("moto.server", reason="moto[server] is not installed (a dev dependency)")
    boto3 = pytest.importorskip("boto3")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.skip("the moto S3 server could not start on loopback")
                time.sleep(0.1)
        else:
            pytest.skip("the moto S3 server did not answer on loopback within 10 s")
        client = boto3.client("s3", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
                              region_name="eu-west-3")
        client.create_bucket(Bucket="cci-evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        yield url, client
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_evidence_in_an_s3_bucket(settings, s3_server: Any, org_a: Org, org_b: Org, assessment: Assessment) -> None:
    from innexport.web.settings import evidence_storage

    url, client = s3_server
    settings.STORAGES = {**settings.STORAGES, "evidence": evidence_storage({
        "INNEXPORT_EVIDENCE_S3_BUCKET": "cci-evidence", "INNEXPORT_EVIDENCE_S3_ENDPOINT_URL": url,
        "INNEXPORT_EVIDENCE_S3_REGION": "eu-west-3", "INNEXPORT_EVIDENCE_S3_ACCESS_KEY_ID": "test",
        "INNEXPORT_EVIDENCE_S3_SECRET_ACCESS_KEY": "test", "INNEXPORT_EVIDENCE_S3_PREFIX": "evidence"}, Path("/unused"))}
    assert type(storages["evidence"]).__name__ == "S3Storage"
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    r = org_a.client().post(review_url(assessment, qid), {"action": "review", "state": "validated",
                                                          "evidence": SimpleUploadedFile("budget.pdf", PDF)})
    assert r.status_code == 302
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="cci-evidence").get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith(f"evidence/{org_a.organisation.pk}/") and "budget" not in keys[0]
    assert client.get_object(Bucket="cci-evidence", Key=keys[0])["Body"].read() == PDF
    grants = client.get_object_acl(Bucket="cci-evidence", Key=keys[0])["Grants"]
    assert not any("AllUsers" in str(g.get("Grantee", {})) for g in grants)  # private: no public address
    download = org_a.client("analyst").get(reverse("answer-review-evidence", args=[assessment.pk, qid]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert org_b.client().get(reverse("answer-review-evidence", args=[assessment.pk, qid])).status_code == 404
    tenancy.erase_firm(org_a.admin, org_a.firm)
    assert client.list_objects_v2(Bucket="cci-evidence").get("KeyCount", 0) == 0


def test_the_review_page_speaks_the_questionnaires_language(org_a: Org, assessment: Assessment) -> None:
    assessment.lang = "fr"
    assessment.save(update_fields=["lang"])
    qid, codes = question(assessment)
    services.save_answer(assessment, qid, codes[1], user=org_a.advisor)
    client = org_a.client()
    page = client.get(review_url(assessment, qid)).content.decode()
    assert "Vérification de la question 1" in page and "Fichier justificatif" in page
    r = client.post(review_url(assessment, qid), {"action": "review", "state": "validated",
                                                  "evidence": SimpleUploadedFile("budget.pdf", b"<html></html>")})
    assert r.status_code == 400 and "budget.pdf est une page web (HTML)" in r.content.decode()
    assessment.lang = "es"
    assessment.save(update_fields=["lang"])
    evidence.review_answer(assessment, qid, "validated", actor=org_a.advisor)
    page = client.get(reverse("assessment-page", args=[assessment.pk, 1])).content.decode()
    assert "Validada" in page and "Modificar la revisión" in page
