"""The web models' small rules: the narrowing of stored codes to the core's types, and each model's
``__str__`` (what the Django admin and the logs show)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from innexport.core.framework import LANGUAGES
from innexport.web.models import (
    ActionStatus,
    Answer,
    ApiToken,
    AuditEntry,
    PlanAction,
    as_lang,
    as_status,
    is_lang,
)


def test_as_lang_accepts_the_languages_and_names_a_refused_one() -> None:
    assert [as_lang(lang) for lang in LANGUAGES] == ["fr", "es", "en"]
    assert not is_lang("de") and not is_lang("") and not is_lang(None)
    with pytest.raises(ValueError, match=r"^lang: 'de' is not one of fr, es, en$"):
        as_lang("de")


def test_as_status_takes_every_stored_status_and_refuses_others() -> None:
    assert [as_status(s) for s in ActionStatus.values] == ["todo", "doing", "done", "dropped"]
    with pytest.raises(ValueError, match=r"^status: 'finished' is not one of todo, doing, done, dropped$"):
        as_status("finished")


def test_str_of_the_models_without_a_dunder_str_before() -> None:
    user = User(username="ana")
    assert str(Answer(assessment_id=7, question_id="q_exp_1", value="")) == "q_exp_1 = — (assessment 7)"
    assert str(Answer(assessment_id=7, question_id="q_exp_1", value="l2")) == "q_exp_1 = l2 (assessment 7)"
    # the token is never part of it: only the prefix the interface already shows
    assert str(ApiToken(user=user, name="ci", prefix="inx_AbCd", key_hash="f" * 64)) == "inx_AbCd… ci (ana)"
    assert str(ApiToken(user=user, prefix="inx_AbCd")) == "inx_AbCd… (unnamed) (ana)"
    assert str(PlanAction(plan_id=3, key="a_joint", status=ActionStatus.DOING)) == "a_joint (In progress) in plan 3"
    unsaved = AuditEntry(user=user, action=AuditEntry.Action.EXPORT, object_type="firm", object_id="12")
    assert str(unsaved) == "ana exported firm 12"
    saved = AuditEntry(pk=5, user=None, action=AuditEntry.Action.LOGIN, object_type="",
                       at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))
    assert str(saved) == "2026-03-01 09:30 — logged in"
