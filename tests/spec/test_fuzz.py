"""Property: whatever the input, loading gives a valid Spec or a clean SpecError, nothing else;
and every spec that loads also renders."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slostack import render
from slostack.spec import Spec, SpecError, load_spec_text

from .good import good_spec

GOOD_DATA: dict[str, Any] = yaml.safe_load(good_spec())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "30d",
            "5m",
            "0s",
            "99.9",
            "100",
            "{",
            "}",
            "http_requests_total{",
            "local",
            "rollback",
            "page",
            "{{window}}",
            'x{a="b"}',
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


ALL_PATHS = [p for p in _paths(GOOD_DATA) if p]


def _outcome(text: str) -> Spec | None:
    try:
        spec = load_spec_text(text, "fuzz.yaml")
    except SpecError as exc:
        assert exc.problems, "a SpecError must carry at least one problem"
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml" and problem.line >= 0 and problem.message
            assert "\n" not in str(problem).strip() or problem.message.count("\n") == str(problem).count("\n")
        return None
    return spec


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_is_a_spec_or_a_clean_error(text: str) -> None:
    _outcome(text)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_random_yaml_documents_are_a_spec_or_a_clean_error(document: Any) -> None:
    _outcome(yaml.safe_dump(document))


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.one_of(st.just("<delete>"), values)), min_size=1, max_size=3
    )
)
def test_mutated_good_specs_load_cleanly_and_render_when_valid(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = copy.deepcopy(GOOD_DATA)
    for path, value in edits:
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if value == "<delete>":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    spec = _outcome(yaml.safe_dump(data))
    if spec is not None:
        bundle = render(spec)
        assert bundle.digest.startswith("sha256:") and len(bundle) > 0
