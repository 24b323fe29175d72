"""Encode/decode round trips of every parameter type (hypothesis, derandomized)."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import apogee as ap

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
units = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def float_params(draw: st.DrawFn) -> ap.Float:
    low = draw(finite)
    width = draw(st.floats(min_value=1e-3, max_value=1e6))
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = abs(low) + 1e-3
        return ap.Float(low, low + width, log=True)
    if kind == "step":
        step = draw(st.sampled_from([0.01, 0.1, 0.25, 1.0, 5.0]))
        return ap.Float(round(low, 2), round(low, 2) + step * draw(st.integers(1, 200)), step=step)
    return ap.Float(low, low + width)


@st.composite
def int_params(draw: st.DrawFn) -> ap.Int:
    low = draw(st.integers(-1000, 1000))
    if draw(st.booleans()):
        low = abs(low) + 1
        return ap.Int(low, low + draw(st.integers(0, 100_000)), log=True)
    step = draw(st.integers(1, 7))
    return ap.Int(low, low + step * draw(st.integers(0, 500)), step=step)


choices = st.lists(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4)),
    min_size=1,
    max_size=12,
    unique_by=lambda v: (type(v).__name__, v),
)


@given(float_params(), units)
def test_float_decode_encode_decode_is_stable(param: ap.Float, unit: float) -> None:
    value = param.from_unit(unit)
    assert param.low <= value <= param.high
    param.check("p", value)
    again = param.from_unit(param.to_unit(value))
    assert math.isclose(again, value, rel_tol=1e-9, abs_tol=1e-9)


@given(int_params(), units)
def test_int_round_trip_is_exact(param: ap.Int, unit: float) -> None:
    value = param.from_unit(unit)
    assert param.check("p", value) == value
    assert 0.0 <= param.to_unit(value) <= 1.0
    assert param.from_unit(param.to_unit(value)) == value


@given(int_params(), st.data())
def test_every_int_value_is_reachable(param: ap.Int, data: st.DataObject) -> None:
    value = data.draw(
        st.integers(param.low, param.high).map(lambda v: v - (v - param.low) % param.step)
    )
    assert param.from_unit(param.to_unit(value)) == value


@given(choices, units)
def test_categorical_round_trip(options: list, unit: float) -> None:
    param = ap.Categorical(options)
    value = param.from_unit(unit)
    assert param.index(value) == param.index(param.from_unit(param.to_unit(value)))
    assert type(param.from_unit(param.to_unit(value))) is type(value)


def test_categorical_bins_are_equal() -> None:
    param = ap.Categorical(["a", "b", "c", "d"])
    grid = np.linspace(0, 1, 4001)
    counts = {choice: sum(param.from_unit(u) == choice for u in grid) for choice in param.choices}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_int_bins_are_equal_on_linear_scale() -> None:
    param = ap.Int(0, 4)
    grid = (np.arange(100_000) + 0.5) / 100_000
    counts = np.bincount([param.from_unit(u) for u in grid])
    assert counts.tolist() == [20_000] * 5


def test_log_int_bins_follow_log_widths() -> None:
    param = ap.Int(1, 100, log=True)
    grid = (np.arange(20_000) + 0.5) / 20_000
    values = np.array([param.from_unit(u) for u in grid])
    # Bin of v spans [log(v - 0.5), log(v + 0.5)] of a total log(100.5 / 0.5): share of 1 is log(3)/log(201).
    assert abs(np.mean(values == 1) - math.log(3) / math.log(201)) < 1e-3
    assert set(values) == set(range(1, 101))


def test_space_round_trip_with_conditions() -> None:
    space = ap.Space(
        {
            "booster": ap.Categorical(["gbtree", "dart", "linear"]),
            "rate": ap.Float(0.0, 0.5, condition=("booster", "dart")),
            "depth": ap.Int(1, 10, condition=("booster", ["gbtree", "dart"])),
            "skip": ap.Categorical([True, False], condition=("booster", "dart")),
            "skip_rate": ap.Float(0, 1, condition=("skip", True)),
            "epochs": 5,
        }
    )
    rng = np.random.default_rng(0)
    for _ in range(300):
        params = space.decode(rng.random(space.dim))
        assert space.validate(params) == params
        assert space.decode(space.encode(params)) == params
        encoded = space.encode(params)
        assert np.isnan(encoded[list(space.names).index("rate") - 0]) == ("rate" not in params)
        if params["booster"] == "linear":
            assert "depth" not in params and "rate" not in params
        if "skip_rate" in params:
            assert params["booster"] == "dart" and params["skip"] is True
        assert params["epochs"] == 5


def test_space_json_round_trip() -> None:
    space = ap.Space(
        {
            "a": ap.Float(1e-3, 1.0, log=True),
            "b": ap.Float(0, 1, step=0.1),
            "c": ap.Int(1, 64, log=True),
            "d": ap.Categorical([None, True, 1, 1.5, "x"]),
            "e": ap.Float(0, 1, condition=("d", ["x", 1])),
            "f": "fixed",
        }
    )
    assert ap.Space.from_json(space.to_json()) == space
    assert ap.Space.from_json(space.to_json()).columns == space.columns


def test_from_bounds() -> None:
    space = ap.Space.from_bounds([(-5, 5)] * 3)
    assert space.names == ("x0", "x1", "x2") and space.dim == 3
