"""lockstep.config: params.yaml sections into frozen dataclasses that reject unknown keys."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from lockstep.config import build, is_declared, load_params, load_section, section
from lockstep.errors import LockstepError


@dataclass(frozen=True)
class Inner:
    low: float
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outer:
    name: str
    seed: int
    inner: Inner
    by_name: dict[str, Inner] = field(default_factory=dict)
    note: str | None = None
    items: tuple[int, ...] = (1,)


def test_build_converts_nested_dataclasses_tuples_and_mappings():
    built = build(
        Outer,
        {
            "name": "x",
            "seed": 3,
            "inner": {"low": 1, "tags": ["a", "b"]},
            "by_name": {"k": {"low": 2.5}},
            "items": [4, 5],
        },
        "outer",
    )
    assert built.inner == Inner(low=1.0, tags=("a", "b"))
    assert isinstance(built.inner.low, float)
    assert isinstance(built.inner.tags, tuple)
    assert built.by_name == {"k": Inner(low=2.5)}
    assert built.items == (4, 5)
    assert built.note is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.seed = 4  # type: ignore[misc]


def test_build_rejects_an_unknown_key_and_names_it():
    with pytest.raises(LockstepError, match=r"outer: unknown key 'sede'") as info:
        build(Outer, {"name": "x", "seed": 1, "sede": 2, "inner": {"low": 0}}, "outer")
    assert "seed" in info.value.message


def test_build_names_an_unknown_key_inside_a_nested_section():
    with pytest.raises(LockstepError, match=r"outer\.inner: unknown key 'hgih'"):
        build(Outer, {"name": "x", "seed": 1, "inner": {"low": 0, "hgih": 1}}, "outer")


def test_build_names_a_missing_required_key():
    with pytest.raises(LockstepError, match=r"outer: missing required key 'seed'"):
        build(Outer, {"name": "x", "inner": {"low": 0}}, "outer")


def test_build_names_the_field_with_the_wrong_type():
    with pytest.raises(LockstepError, match=r"outer\.seed must be int, got 'three'"):
        build(Outer, {"name": "x", "seed": "three", "inner": {"low": 0}}, "outer")
    with pytest.raises(LockstepError, match=r"outer\.inner\.low must be float"):
        build(Outer, {"name": "x", "seed": 1, "inner": {"low": "high"}}, "outer")
    with pytest.raises(LockstepError, match=r"outer\.items\[1\] must be int"):
        build(Outer, {"name": "x", "seed": 1, "inner": {"low": 0}, "items": [1, "2"]}, "outer")


def test_build_rejects_a_scalar_where_a_list_or_mapping_belongs():
    with pytest.raises(LockstepError, match=r"outer\.items must be a list"):
        build(Outer, {"name": "x", "seed": 1, "inner": {"low": 0}, "items": 3}, "outer")
    with pytest.raises(LockstepError, match=r"outer\.inner must be a mapping"):
        build(Outer, {"name": "x", "seed": 1, "inner": 0.5}, "outer")
    with pytest.raises(LockstepError, match=r"outer must be a mapping"):
        build(Outer, ["name"], "outer")


def test_load_params_and_section(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("split:\n  seed: 1\n  test_size: 0.5\n", encoding="utf-8")
    params = load_params(path)
    assert section(params, "split", path) == {"seed": 1, "test_size": 0.5}
    with pytest.raises(LockstepError, match=r"no 'train' section"):
        section(params, "train", path)


def test_load_params_errors_name_the_file(tmp_path):
    with pytest.raises(LockstepError, match=r"missing\.yaml not found.*lockstep params"):
        load_params(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(LockstepError, match=r"broken\.yaml is not valid YAML"):
        load_params(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(LockstepError, match=r"must hold a mapping"):
        load_params(listing)


def test_section_must_be_a_mapping():
    with pytest.raises(LockstepError, match=r"section 'seed' must be a mapping"):
        section({"seed": 42}, "seed")


def test_load_section_names_file_and_section_in_errors(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("inner:\n  low: 1\n  extra: 2\n", encoding="utf-8")
    with pytest.raises(LockstepError, match=r"params\.yaml:inner: unknown key 'extra'"):
        load_section(Inner, "inner", path)
    path.write_text("inner:\n  low: 1\n", encoding="utf-8")
    assert load_section(Inner, "inner", path) == Inner(low=1.0)


def test_declared_keys_cut_params_to_what_a_stage_names(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("a: {x: 1, y: {z: 2, w: 3}}\nb: {k: 4}\nc: 5\n")
    params = load_params(path, ("a.y.z", "b"))
    assert params == {"a": {"y": {"z": 2}}, "b": {"k": 4}}
    assert section(params, "b") == {"k": 4}
    with pytest.raises(LockstepError, match="'c' is read but not declared"):
        section(params, "c")
    assert load_params(path) == {"a": {"x": 1, "y": {"z": 2, "w": 3}}, "b": {"k": 4}, "c": 5}


def test_a_misspelt_key_is_refused_even_where_it_is_not_declared(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("outer: {name: n, seed: 1, inner: {low: 0}, sead: 2}\n")
    with pytest.raises(LockstepError, match="unknown key 'sead'"):
        build(Outer, section(load_params(path, ("outer.name",)), "outer"), "outer")


def test_a_field_outside_the_declared_keys_fails_when_used(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("outer: {name: n, seed: 1, inner: {low: 0}, note: hi}\n")
    built = build(
        Outer, section(load_params(path, ("outer.name", "outer.items")), "outer"), "outer"
    )
    assert (built.name, built.items) == ("n", (1,))  # declared: its value, or the default
    for use in (lambda: built.seed + 1, lambda: f"{built.note}", lambda: built.inner.low):
        with pytest.raises(
            LockstepError, match=r"'outer\.(seed|note|inner)' is read but not declared"
        ):
            use()
    assert is_declared(built.name) and not is_declared(built.name, built.seed)


def test_a_declared_required_key_missing_from_the_file_is_still_an_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("outer: {seed: 1}\n")
    with pytest.raises(LockstepError, match="missing required key 'name'"):
        build(Outer, section(load_params(path, ("outer.name",)), "outer"), "outer")


def test_params_are_parsed_once_per_version_of_the_file(tmp_path, monkeypatch):
    import yaml

    path = tmp_path / "params.yaml"
    path.write_text("a: 1\n")
    calls = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = load_params(path)
    first["a"] = 99  # a caller's change stays its own
    assert load_params(path) == {"a": 1} and len(calls) == 1
    path.write_text("a: 22\n")
    assert load_params(path) == {"a": 22} and len(calls) == 2
