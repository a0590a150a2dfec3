"""Autosaves racing the completion of an assessment, on a real database server (PostgreSQL).

The defect: the "completed is frozen" check ran in the view, before and outside the save's
transaction, so an autosave that passed the check while the assessment was being completed wrote
its answer after the completion and dropped the result: a completed assessment without a result.
The service layer now locks the assessment's row (``SELECT … FOR UPDATE``) in every step and reads
the status again under the lock.

These tests send real concurrent requests from threads (each with its own database connection),
so they need a server that runs transactions concurrently: ``scripts/test.sh`` runs the web tests a
second time on PostgreSQL (``DATABASE_URL``). On SQLite, whose writing transactions are serialised
by the database itself, they are skipped.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from innexport.web import services
from innexport.web.api import create_token
from innexport.web.models import Answer, Assessment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs concurrent transactions on a database server: run on PostgreSQL "
                              "(scripts/test.sh sets DATABASE_URL); SQLite serialises writing transactions"),
]

ROUNDS = 8
SAVERS = 4
SAVES = 300
"""Per saver and round, at most (a saver stops at its first refusal)."""


def _fill(assessment: Assessment) -> None:
    fw = services.framework_of(assessment.framework)
    for o in fw.observables:
        services.save_answer(assessment, o.id, fw.scale_by_id[o.scale].levels[0].code)


def _race(org: Any, assessment: Assessment, route: str) -> Counter:
    """SAVERS threads save answers as fast as they can while one thread completes the assessment;
    returns the counts of the answers' outcomes (``saved``, ``refused``, anything else by status)."""
    fw = services.framework_of(assessment.framework)
    token = create_token(org.advisor, "race") if route == "api" else ""
    barrier = threading.Barrier(SAVERS + 1)
    outcomes: Counter = Counter()
    guard = threading.Lock()

    def client() -> Client:
        c = Client()
        if route == "api":
            c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        else:
            c.force_login(org.advisor)
        return c

    def save(c: Client, question: str, code: str) -> int:
        if route == "api":
            return c.put(f"/api/assessments/{assessment.pk}/answers/{question}", json.dumps({"value": code}),
                         content_type="application/json").status_code
        return c.post(reverse("assessment-answer", args=[assessment.pk]),
                      json.dumps({"question_id": question, "value": code}),
                      content_type="application/json").status_code

    def saver(k: int) -> None:
        try:
            c = client()
            rng = random.Random(k)
            barrier.wait()
            for _i in range(SAVES):
                o = fw.observables[rng.randrange(len(fw.observables))]
                code = rng.choice(fw.scale_by_id[o.scale].levels).code  # always answered: completion can succeed
                status = save(c, o.id, code)
                with guard:
                    outcomes["saved" if status == 200 else "refused" if status == 409 else f"status {status}"] += 1
                if status != 200:
                    return
            with guard:
                outcomes["never refused"] += 1
        finally:
            connection.close()

    def completer() -> None:
        try:
            c = client()
            barrier.wait()
            time.sleep(random.uniform(0.0, 0.05))
            if route == "api":
                status = c.post(f"/api/assessments/{assessment.pk}/score").status_code
            else:
                status = c.post(reverse("assessment-complete", args=[assessment.pk]), {"page": "1"}).status_code
            with guard:
                outcomes[f"completion {status}"] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=saver, args=(k,)) for k in range(SAVERS)] + [threading.Thread(target=completer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hangs (lock never released?)"
    return outcomes


@pytest.mark.parametrize("route", ["autosave", "api"])
def test_autosaves_racing_completion_leave_every_completed_assessment_with_its_result(
        org_a, wine_framework, route) -> None:
    saved_before_completion = 0
    for _round in range(ROUNDS):
        assessment = Assessment.objects.create(organisation=org_a.organisation, firm=org_a.firm,
                                               framework=wine_framework, lang="en", created_by=org_a.advisor)
        _fill(assessment)
        outcomes = _race(org_a, assessment, route)
        expected_completion = "completion 200" if route == "api" else "completion 302"
        assert outcomes[expected_completion] == 1, outcomes
        # every saver was eventually refused, and nothing else happened to its requests
        assert outcomes["refused"] == SAVERS and set(outcomes) <= {"saved", "refused", expected_completion}, outcomes
        saved_before_completion += outcomes["saved"]
        assessment.refresh_from_db()
        assert assessment.status == "completed" and assessment.result is not None, outcomes
        # the kept result is the result of the answers kept: none was written after the completion
        answers = dict(Answer.objects.filter(assessment=assessment).exclude(value="").values_list("question_id",
                                                                                                  "value"))
        assert assessment.result["answers"] == answers
        assert not Answer.objects.filter(assessment=assessment, updated_at__gt=assessment.completed_at).exists()
        assert services.completed_result(assessment).answers == answers
    assert saved_before_completion > 0, "the savers never ran before the completion: no race was tested"
