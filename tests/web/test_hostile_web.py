"""Hostile and broken input at the web edge (issue 10): each case replayed against the application.

Deep JSON, NUL characters and lone surrogates (which PostgreSQL refuses), bodies over Django's
size and field limits, and a database that cannot be reached. Every answer must be a 4xx or a
503 — JSON where the client is the API or the questionnaire's autosave, with a message naming the
problem — never a 500, never a traceback, and nothing may be saved. The same tests run on SQLite
and on PostgreSQL (scripts/test.sh runs tests/web again with ``DATABASE_URL``), where a NUL that
reached the database would be a 500.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

from innexport.files.limits import MAX_NESTING_DEPTH
from innexport.web import services
from innexport.web.api import create_token
from innexport.web.middleware import RETRY_AFTER_SECONDS, parse_json_body
from innexport.web.models import Answer, Assessment, Firm

pytestmark = pytest.mark.django_db

KNOWN = "net_weak_ties_support_bodies"  # the first question of iiep.yaml
DEEP = "[" * 100_000  # the body: 100,000 nested brackets (100 KB)


# --- helpers ------------------------------------------------------------------------------------------


def api_client(org: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(org.advisor, 'hostile')}")


def send(client: Client, method: str, url: str, body: str | bytes, content_type: str = "application/json"):
    return getattr(client, method)(url, data=body, content_type=content_type)


def json_refusal(response: Any, status: int, *named: str, shape: str = "api") -> str:
    """The message of a JSON refusal, after checking its status, its shape and that it names ``named``."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    if shape == "api":
        message = data["detail"]
    else:
        assert data["ok"] is False
        message = data["error"]
    assert isinstance(message, str)
    for word in named:
        assert word in message, message
    assert b"Traceback" not in response.content and b'File "' not in response.content
    return message


def page_refusal(response: Any, status: int, *named: str) -> str:
    assert response.status_code == status, response.content[:300]
    text = response.content.decode()
    for word in named:
        assert word in text, text[:300]
    assert "Traceback" not in text
    return text


def nothing_saved(assessment: Assessment) -> None:
    assert not Answer.objects.filter(assessment=assessment).exists()


@pytest.fixture
def shared(assessment: Assessment) -> Assessment:
    services.open_share_link(assessment, 5, None)
    assessment.refresh_from_db()
    assert assessment.share_link_valid
    return assessment


def autosave_urls(assessment: Assessment) -> list[str]:
    return [reverse("assessment-answer", args=[assessment.pk]), reverse("share-answer", args=[assessment.share_token])]


# --- the parser, unit by unit ---------------------------------------------------------------------------


@pytest.mark.parametrize(("depth", "ok"), [(MAX_NESTING_DEPTH, True), (MAX_NESTING_DEPTH + 1, False), (900, False),
                                           (100_000, False)])
def test_json_depth_limit_is_exact(depth: int, ok: bool) -> None:
    body = "[" * depth + "]" * depth
    if ok:
        value = parse_json_body(body)
        for _ in range(depth - 1):
            value = value[0]
        assert value == []
    else:
        with pytest.raises(ValueError, match=f"column {MAX_NESTING_DEPTH + 1}: lists or objects nested deeper than "
                                             f"{MAX_NESTING_DEPTH} levels"):
            parse_json_body(body)


def test_json_member_limit_is_django_field_limit(settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    assert parse_json_body('{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}') == {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}  # 1 + 9
    with pytest.raises(ValueError, match="more than 10 members"):
        parse_json_body('{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}')


@pytest.mark.parametrize(("body", "named"), [
    ('{"comment": "a\\u0000b"}', "comment: contains a NUL character"),
    ('{"comments": {"q1": "x\\u0000"}}', "comments.q1: contains a NUL character"),
    ('{"a\\u0000": 1}', "a\\x00 (a key): contains a NUL"),
    ('{"list": ["ok", "\\ud800"]}', "list[1]: contains an unpaired surrogate (U+D800"),
    ('{"x": NaN}', "not valid JSON: not JSON: NaN"),
    ('{"x": 1, "y": -Infinity}', "not valid JSON: not JSON: -Infinity"),
    ('{"x": [1, 1e999]}', "x[1]: a number too large"),
    (b'{"x": "\xff"}', "not valid JSON: not UTF-8 text"),
    ('{"x": 1,}', "not valid JSON: line 1, column 9: not JSON: Expecting property name"),
])
def test_json_refusals_name_the_place(body: str | bytes, named: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_json_body(body)
    assert named in str(info.value)


# --- deep nesting --------------------------------------------------------------------------------------


def test_deep_json_on_the_autosave_and_the_private_link(org_a, shared) -> None:
    client = org_a.client()
    for url in autosave_urls(shared):
        json_refusal(send(client, "post", url, DEEP), 400, "nested deeper than", shape="autosave")
        deep_object = '{"question_id": "' + KNOWN + '", "value": ' + "[" * 70 + "]" * 70 + "}"
        json_refusal(send(client, "post", url, deep_object), 400, "nested deeper than", shape="autosave")
    nothing_saved(shared)


@pytest.mark.parametrize("route", ["answers", "answer", "firms"])
def test_deep_json_on_the_api(org_a, assessment, route: str) -> None:
    url = {"answers": f"/api/assessments/{assessment.pk}/answers",
           "answer": f"/api/assessments/{assessment.pk}/answers/{KNOWN}",
           "firms": "/api/firms"}[route]
    response = send(api_client(org_a), "post" if route == "firms" else "put", url, DEEP)
    json_refusal(response, 400, "line 1, column 65: lists or objects nested deeper than 64 levels")
    nothing_saved(assessment)
    assert Firm.objects.count() == 1


# --- characters a database refuses ----------------------------------------------------------------------


def test_nul_in_the_firm_search(org_a) -> None:
    page_refusal(org_a.client().get("/firms/?q=%00"), 400, "query parameter q", "NUL")
    page_refusal(org_a.client().get("/firms/?country=F%00R"), 400, "query parameter country", "NUL")
    json_refusal(api_client(org_a).get("/api/firms?q=%00"), 400, "query parameter q", "NUL")
    json_refusal(api_client(org_a).get("/api/firms?q=ok&sector=1%00"), 400, "query parameter sector")
    assert org_a.client().get("/firms/?q=Chamber").status_code == 200  # the edge lets the ordinary through


def test_nul_in_autosave_comments_and_values(org_a, shared) -> None:
    client = org_a.client()
    for url in autosave_urls(shared):
        for body, named in [({"question_id": KNOWN, "value": "often", "comment": "Brazil\u0000"}, "comment"),
                            ({"question_id": KNOWN, "value": "oft\u0000en"}, "value"),
                            ({"question_id": KNOWN + "\u0000", "value": "often"}, "question_id"),
                            ({"question_id": KNOWN, "comment": "\ud83d"}, "comment")]:
            message = json_refusal(send(client, "post", url, json.dumps(body)), 400, named, shape="autosave")
            assert "cannot be stored" in message
    nothing_saved(shared)


def test_nul_in_api_comments_answers_and_paths(org_a, assessment) -> None:
    api = api_client(org_a)
    base = f"/api/assessments/{assessment.pk}/answers"
    json_refusal(send(api, "put", f"{base}/{KNOWN}", json.dumps({"value": "often", "comment": "a\u0000"})), 400,
                 "body.comment", "NUL")
    json_refusal(send(api, "put", base, json.dumps({"answers": {KNOWN: "often"}, "comments": {KNOWN: "\u0000"}})),
                 400, f"body.comments.{KNOWN}", "NUL")
    json_refusal(send(api, "put", f"{base}/q%00", json.dumps({"value": "often"})), 400, "the address", "NUL")
    json_refusal(send(api, "post", "/api/firms", json.dumps({"name": "Evil\u0000 Ltd", "country": "FR"})), 400,
                 "body.name")
    nothing_saved(assessment)
    assert Firm.objects.count() == 1


def test_nul_in_forms_headers_and_cookies(org_a, assessment) -> None:
    client = org_a.client()
    page_refusal(client.post(reverse("firm-create"), {"name": "Evil\x00", "country": "FR"}), 400,
                 "form field name", "NUL")
    page_refusal(client.post(reverse("assessment-page", args=[assessment.pk, 1]),
                             {f"q-{KNOWN}": "often", f"c-{KNOWN}": "x\x00"}), 400, f"form field c-{KNOWN}")
    page_refusal(client.get("/firms/", HTTP_USER_AGENT="curl\x00"), 400, "header User-Agent")
    client.cookies["sessionid"] = "abc\x00def"
    page_refusal(client.get("/firms/"), 400, "cookie sessionid")
    nothing_saved(assessment)
    assert Firm.objects.count() == 1


# --- limits of size and number of fields ----------------------------------------------------------------


def test_bodies_over_the_size_limit_answer_json(org_a, shared) -> None:
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big = json.dumps({"question_id": KNOWN, "value": "often", "comment": "x" * size})
    limit = str(size)
    json_refusal(send(api_client(org_a), "put", f"/api/assessments/{shared.pk}/answers/{KNOWN}", big), 413,
                 "larger than the limit", limit)
    for url in autosave_urls(shared):
        json_refusal(send(org_a.client(), "post", url, big), 413, "larger than the limit", shape="autosave")
    form = f"name=x&country=FR&contact={'x' * size}"
    json_refusal(send(api_client(org_a), "post", "/api/firms", form, "application/x-www-form-urlencoded"), 413,
                 "larger than the limit")
    page_refusal(send(org_a.client(), "post", reverse("firm-create"), form, "application/x-www-form-urlencoded"),
                 413, "larger than the limit")
    nothing_saved(shared)
    assert Firm.objects.count() == 1


def test_bodies_of_200000_keys_answer_json(org_a, shared) -> None:
    keys = 200_000
    body = "{" + ",".join(f'"{i:x}":0' for i in range(keys)) + "}"  # 1.6 MB, under the size limit
    assert len(body) < django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    fields = str(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    json_refusal(send(api_client(org_a), "put", f"/api/assessments/{shared.pk}/answers", body), 400,
                 "more than", fields, "members")
    for url in autosave_urls(shared):
        json_refusal(send(org_a.client(), "post", url, body), 400, "more than", fields, shape="autosave")
    form = "&".join(f"k{i:x}=0" for i in range(keys))  # 1.4 MB of form fields
    json_refusal(send(api_client(org_a), "post", "/api/firms", form, "application/x-www-form-urlencoded"), 400,
                 "more than", fields, "fields")
    page_refusal(send(org_a.client(), "post", reverse("firm-create"), form, "application/x-www-form-urlencoded"),
                 400, "more than", fields, "fields")
    json_refusal(api_client(org_a).get(f"/api/firms?{form}"), 400, "more than", fields, "fields")
    page_refusal(org_a.client().get(f"/firms/?{form}"), 400, "more than", fields, "fields")
    nothing_saved(shared)
    assert Firm.objects.count() == 1


def test_malformed_multipart_is_a_400(org_a) -> None:
    body = b"--boundary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx"  # never closed
    response = org_a.client().post(reverse("firm-create"), data=body,
                                   content_type="multipart/form-data; boundary=")  # an empty boundary
    assert response.status_code == 400 and b"Traceback" not in response.content
    assert Firm.objects.count() == 1


# --- the database cannot be reached ---------------------------------------------------------------------


@pytest.fixture(params=[OperationalError, InterfaceError])
def outage(request):
    """Every query fails as when the server is down (psycopg's message); the test's own setup ran before."""
    error = request.param("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")
    return mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=error)


def outage_answer(response: Any, shape: str) -> None:
    json_refusal(response, 503, "temporarily unavailable", shape=shape)
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_database_outage_answers_503(org_a, shared, outage) -> None:
    api, client = api_client(org_a), org_a.client()
    body = json.dumps({"question_id": KNOWN, "value": "often"})
    with outage:
        outage_answer(api.get("/api/firms"), "api")
        outage_answer(send(api, "put", f"/api/assessments/{shared.pk}/answers/{KNOWN}", json.dumps({"value": "yes"})),
                      "api")
        for url in autosave_urls(shared):
            outage_answer(send(client, "post", url, body), "autosave")
        page = client.get("/firms/")
        assert page.status_code == 503 and page["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert b"Traceback" not in page.content
    nothing_saved(shared)
    ok = send(client, "post", autosave_urls(shared)[0], body)  # and once the database is back, the save goes through
    assert ok.status_code == 200 and ok.json()["ok"] is True


# --- uploads: YAML amplification ---------------------------------------------------------------------

ALIAS_BOMB = ("kind: catalogue\nid: bomb\nprogrammes:\n- &p {id: p1, name: {en: P}, country: FR}\n"
              + "- *p\n" * 120_000)  # one anchored entry and 120,000 aliases of it: 840 kB, under the upload limit


def yaml_upload(name: str, text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), "application/yaml")


def test_alias_bomb_uploads_are_refused_quickly_with_a_short_page(org_a) -> None:
    """The catalogue import and the framework upload refuse the bomb at its line, in a short page, at once
    (it cost 33 s of CPU, 430 MB and a 25 MB error page)."""
    import time

    org_a.admin.is_staff = True
    org_a.admin.save()
    for who, url, field in (("advisor", reverse("programme-import"), "file"),
                            ("admin", reverse("framework-upload"), "framework")):
        start = time.perf_counter()
        response = org_a.client(who).post(url, {field: yaml_upload("bomb.yaml", ALIAS_BOMB)})
        elapsed = time.perf_counter() - start
        body = response.content.decode()
        assert response.status_code == 400, (url, response.status_code)
        assert "more than 100 aliases" in body and "105" in body, url  # the 101st alias, on line 105
        assert len(body) < 200_000 and "Traceback" not in body, url
        assert elapsed < 10, (url, elapsed)  # milliseconds of parsing; the bound only guards a regression
