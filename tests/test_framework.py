"""The framework model: validation with precise messages, AHP weights, modules, content hash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.core.framework import FrameworkError, Module, apply_module
from innexport.files.frameworks import load_framework, parse_document, validate_document

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
runner = CliRunner()


def mini_data() -> dict:
    return yaml.safe_load(MINI.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict, name: str = "fw.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def issues_of(path: Path) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        validate_document(path)
    return [str(i) for i in info.value.issues]


def test_mini_loads_with_default_classes() -> None:
    fw = load_framework(MINI)
    assert [c.threshold for c in fw.classes] == [0.61, 0.41, 0.29, 0.0]
    assert [c.profile for c in fw.classes] == [0.805, 0.51, 0.35, 0.145]
    assert fw.label == "mini 0.1.0" and fw.content_hash.startswith("sha256:")
    np.testing.assert_allclose(fw.observable_weights(fw.activity_by_id["a_exp"]), [0.25, 0.75])


def test_missing_translation_names_the_place_and_line(tmp_path: Path) -> None:
    data = mini_data()
    del data["dimensions"][0]["activities"][1]["observables"][0]["help"]["es"]
    found = issues_of(write(tmp_path, data))
    assert len(found) == 1
    assert "dimensions[0] (d1) → activities[1] (a_inn) → observables[0] (q3) → help" in found[0]
    assert "missing translation: es" in found[0]
    # the line of the `help` mapping in the written file
    lines = (tmp_path / "fw.yaml").read_text().splitlines()
    line = int(found[0].split(":")[1])
    assert "help" in lines[line - 1] or "fr:" in lines[line - 1]


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    data = mini_data()
    data["dimensions"][0]["activities"][0]["tag"] = "both"
    data["dimensions"][1]["activities"][0]["observables"][0]["colour"] = "red"
    del data["dimensions"][1]["name"]
    found = "\n".join(issues_of(write(tmp_path, data)))
    assert "tag" in found and "'innovation', 'export' or 'joint'" in found
    assert "unknown field 'colour'" in found
    assert "required field 'name' is missing" in found


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["dimensions"][0]["activities"][0].update(sources=["nowhere"]), "cites unknown source 'nowhere'"),
    (lambda d: d["dimensions"][0]["activities"][0]["observables"][0].update(scale="likert9"), "unknown scale 'likert9'"),
    (lambda d: d["dimensions"][1]["activities"][0]["observables"][0].update(id="q1"), "duplicated observable id(s): q1"),
    (lambda d: d["dimensions"][1]["activities"][0].update(tag="joint") or d["dimensions"][0]["activities"][0].update(tag="joint")
     or d["dimensions"][0]["activities"][1].update(tag="joint"), None),
    (lambda d: d["scales"][1]["levels"].reverse(), "must increase strictly"),
    (lambda d: d.update(version="1.0"), "version"),
    (lambda d: d["dimensions"][0]["activities"][0]["observables"][0].update(weight=-1), "greater than 0"),
])
def test_invalid_frameworks(tmp_path: Path, change, message: str | None) -> None:
    data = mini_data()
    change(data)
    path = write(tmp_path, data)
    if message is None:  # only joint activities: every index is still fed — valid
        validate_document(path)
        return
    assert message in "\n".join(issues_of(path))


def test_an_index_without_activities_is_refused(tmp_path: Path) -> None:
    data = mini_data()
    data["dimensions"][0]["activities"][0]["tag"] = "innovation"  # nothing feeds IEP but a_exp ...
    data["dimensions"][1]["activities"][0]["tag"] = "innovation"  # ... now nothing at all
    assert "no activity feeds the IEP index" in "\n".join(issues_of(write(tmp_path, data)))


def test_classes_must_be_ordered_with_profiles_inside(tmp_path: Path) -> None:
    data = mini_data()
    data["classes"] = [
        {"id": c, "label": {"fr": c, "es": c, "en": c}, "threshold": t, "profile": p}
        for c, t, p in [("proactive", 0.6, 0.8), ("preactive", 0.4, 0.3), ("reactive", 0.3, 0.35), ("passive", 0.0, 0.1)]
    ]
    assert "class preactive: its FlowSort profile 0.3 must lie in its interval [0.4, 0.6]" in "\n".join(
        issues_of(write(tmp_path, data)))


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: framework\nid: x\ntitle: {fr: a, es: b\nversion: 1.0.0\n", encoding="utf-8")
    found = issues_of(path)
    assert found[0].startswith(f"{path}:") and "YAML" in found[0]


AHP_CONSISTENT = [["1", "3"], ["1/3", "1"]]


def test_ahp_weights_for_dimensions(tmp_path: Path) -> None:
    data = mini_data()
    data["ahp"] = {"items": ["d1", "d2"], "experts": [AHP_CONSISTENT]}
    fw = load_framework(write(tmp_path, data))
    np.testing.assert_allclose(fw.dimension_weights(), [0.75, 0.25])
    # two experts (3 and 1/3 → geometric mean 1): equal weights
    data["ahp"]["experts"] = [AHP_CONSISTENT, [["1", "1/3"], ["3", "1"]]]
    np.testing.assert_allclose(load_framework(write(tmp_path, data)).dimension_weights(), [0.5, 0.5])


def test_inconsistent_ahp_matrix_is_refused_with_its_cr(tmp_path: Path) -> None:
    data = mini_data()
    data["dimensions"][0]["activities"][0]["observables"].append(
        {**data["dimensions"][0]["activities"][0]["observables"][0], "id": "q1b"})
    data["dimensions"][0]["activities"][0]["ahp"] = {
        "items": ["q1", "q2", "q1b"],
        "experts": [[["1", "9", "1/9"], ["1/9", "1", "9"], ["9", "1/9", "1"]]],
    }
    found = "\n".join(issues_of(write(tmp_path, data)))
    assert "inconsistent" in found and "CR = " in found and "> 0.10" in found
    assert "activities[0] (a_joint) → ahp" in found


def test_ahp_and_direct_weights_cannot_be_mixed(tmp_path: Path) -> None:
    data = mini_data()
    data["ahp"] = {"items": ["d1", "d2"], "experts": [AHP_CONSISTENT]}
    data["dimensions"][0]["weight"] = 2
    assert "remove `weight` from d1" in "\n".join(issues_of(write(tmp_path, data)))
    data["dimensions"][0].pop("weight")
    data["ahp"]["items"] = ["d1", "d3"]
    assert "must be exactly the children" in "\n".join(issues_of(write(tmp_path, data)))


def module_data() -> dict:
    text = {"fr": "t", "es": "t", "en": "t"}
    obs = {"scale": "yes_no", "question": text, "help": text, "recommendation": text}
    return {
        "kind": "module", "id": "sector", "version": "1.0.0", "extends": {"id": "mini", "version": "0"},
        "title": text, "description": text,
        "sources": [{"id": "sector_src", "citation": "A sector study"}],
        "add_activities": [{"dimension": "d2", "id": "a_new", "tag": "joint", "name": text, "sources": ["sector_src"],
                            "observables": [{"id": "n1", **obs}]}],
        "add_observables": [{"activity": "a_inn", "id": "q3b", **obs}],
        "adapt_observables": [{"id": "q1", "question": {"fr": "Q1 vin ?", "es": "¿Q1 vino?", "en": "Q1 wine?"}}],
        "adapt_activities": [{"id": "a_inn", "add_sources": ["sector_src"]}],
        "remove_observables": ["q4"],
    }


def test_module_adds_adapts_and_removes() -> None:
    base = load_framework(MINI)
    fw = apply_module(base, Module.model_validate(module_data()))
    assert fw.label == "mini 0.1.0 + sector 1.0.0"
    assert [o.id for o in fw.observables] == ["q1", "q2", "q3", "q3b", "q5", "n1"]
    assert fw.observable_by_id["q1"].question["en"] == "Q1 wine?"
    assert fw.dimension_of["a_new"].id == "d2"
    assert fw.activity_by_id["a_inn"].sources == ["hand", "sector_src"]
    assert fw.content_hash != base.content_hash


def test_module_errors_name_what_is_wrong() -> None:
    data = module_data()
    data["add_observables"][0]["activity"] = "a_nowhere"
    data["remove_observables"] = ["q99"]
    data["adapt_activities"][0]["add_sources"] = ["nowhere"]
    with pytest.raises(FrameworkError) as info:
        apply_module(load_framework(MINI), Module.model_validate(data))
    text = str(info.value)
    assert "unknown activity 'a_nowhere'" in text and "unknown observable 'q99'" in text
    data = module_data()
    data["extends"]["version"] = "2"
    with pytest.raises(FrameworkError, match=r"extends mini 2\.\*, not mini 0\.1\.0"):
        apply_module(load_framework(MINI), Module.model_validate(data))


def test_module_cannot_change_an_ahp_weighted_parent(tmp_path: Path) -> None:
    data = mini_data()
    data["dimensions"][1]["ahp"] = {"items": ["a_exp"], "experts": [[["1"]]]}
    with pytest.raises(FrameworkError):  # a single item: AHP needs at least two
        load_framework(write(tmp_path, data))
    data = mini_data()
    data["dimensions"][0]["ahp"] = {"items": ["a_joint", "a_inn"], "experts": [AHP_CONSISTENT]}
    mod = module_data()
    mod["add_activities"][0]["dimension"] = "d1"
    with pytest.raises(FrameworkError, match="weighted by AHP"):
        apply_module(load_framework(write(tmp_path, data)), Module.model_validate(mod))


def test_content_hash_is_stable_and_sensitive(tmp_path: Path) -> None:
    a = load_framework(MINI).content_hash
    assert load_framework(MINI).content_hash == a
    data = mini_data()
    data["dimensions"][0]["activities"][0]["observables"][0]["help"]["en"] = "Help 1, reworded"
    assert load_framework(write(tmp_path, data)).content_hash != a


def test_cli_validate(tmp_path: Path) -> None:
    _register()
    ok = runner.invoke(app, ["frameworks", "validate", str(MINI)])
    assert ok.exit_code == 0 and "valid framework mini 0.1.0" in ok.stdout
    data = mini_data()
    del data["dimensions"][0]["name"]["fr"]
    bad = runner.invoke(app, ["frameworks", "validate", str(write(tmp_path, data))])
    assert bad.exit_code == 1
    assert "dimensions[0] (d1) → name" in bad.stderr and "missing translation: fr" in bad.stderr
    mod = write(tmp_path, module_data(), "module.yaml")
    parse_document(mod)  # a valid module document on its own ...
    res = runner.invoke(app, ["frameworks", "validate", str(mod)])
    assert res.exit_code == 1 and "no built-in framework or module 'mini'" in res.stderr  # ... whose base is not built in
    res = runner.invoke(app, ["frameworks", "validate", str(mod), "--framework", str(MINI)])
    assert res.exit_code == 0 and "valid module sector 1.0.0" in res.stdout
