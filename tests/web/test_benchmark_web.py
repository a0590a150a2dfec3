"""The web application places a firm among the peers of a configured population."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse

from innexport.population.frame import score_population
from innexport.population.io import write_table
from innexport.web import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(assessment):
    fw = services.framework_of(assessment.framework)
    for o in fw.observables:
        services.save_answer(assessment, o.id, fw.scale_by_id[o.scale].levels[1].code)
    services.score(assessment, complete=True)
    return assessment


def test_results_json_and_report_show_the_peers(org_a, completed, settings, tmp_path) -> None:
    fw = services.framework_of(completed.framework)
    rng = np.random.default_rng(1)
    n = 60
    values = rng.choice([0.0, 0.5, 1.0], size=(n, len(fw.observables)))
    meta = pd.DataFrame({"firm_id": [f"p{i}" for i in range(n)], "country": "FR", "sector": "11.02", "size": "small"})
    path = tmp_path / "peers.parquet"
    write_table(score_population(fw, values, meta), path)
    settings.BENCHMARK_POPULATION = str(path)
    client = org_a.client("analyst")
    doc = json.loads(client.get(reverse("assessment-json", args=[completed.pk])).content)
    bench = doc["firms"][0]["benchmark"]
    assert bench["n"] == n and bench["group"] == {"country": "FR", "sector": "11.02", "size": "small"}
    assert 0 <= bench["columns"]["iiep"]["percentile"] <= 100
    html = client.get(reverse("assessment-report-html", args=[completed.pk])).content.decode()
    assert "Among its peers" in html
    settings.BENCHMARK_POPULATION = ""
    doc = json.loads(client.get(reverse("assessment-json", args=[completed.pk])).content)
    assert doc["firms"][0]["benchmark"] is None
