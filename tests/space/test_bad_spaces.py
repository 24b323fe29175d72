"""Invalid spaces and parameter values raise errors naming the value and the rule."""

import pytest

import apogee as ap


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: ap.Float(3, 1),
            r"`low <= high` must hold for Float\(3, 1\), but got \(low=3, high=1\)",
        ),
        (lambda: ap.Int(5, 2), r"`low <= high` must hold"),
        (lambda: ap.Float(0, 1, log=True), r"`low > 0` must hold .* log=True, but got low=0"),
        (lambda: ap.Int(-1, 4, log=True), r"`low > 0` must hold"),
        (lambda: ap.Float(0, 1, step=0.3), r"multiple of `step`"),
        (lambda: ap.Float(0, 1, step=-0.1), r"'step' parameter .* \(0, inf\)"),
        (lambda: ap.Float(1, 2, log=True, step=0.5), r"both log=True and a step"),
        (lambda: ap.Int(1.5, 3), r"'low' parameter of Int.* must be an int. Got 1.5"),
        (lambda: ap.Float(float("nan"), 1), r"must be a finite number"),
        (lambda: ap.Categorical([]), r"must not be empty"),
        (lambda: ap.Categorical(["a", "b", "a"]), r"must be distinct. Repeated: 'a'"),
        (lambda: ap.Categorical("abc"), r"must be a list of values"),
        (lambda: ap.Categorical([object()]), r"JSON-able"),
    ],
)
def test_bad_parameters(make, message) -> None:
    with pytest.raises(ap.InvalidSpaceError, match=message):
        make()


def test_true_and_one_are_distinct_choices() -> None:
    assert ap.Categorical([1, True, 1.0]).choices == (1, True, 1.0)


def test_condition_on_unknown_parameter() -> None:
    with pytest.raises(ap.InvalidSpaceError, match="unknown parameter 'boster'"):
        ap.Space({"booster": ap.Categorical(["a"]), "x": ap.Float(0, 1, condition=("boster", "a"))})


def test_condition_on_impossible_value() -> None:
    with pytest.raises(
        ap.InvalidSpaceError, match=r"'booster' == 'gblinear', which 'booster' can never take"
    ):
        ap.Space(
            {
                "booster": ap.Categorical(["gbtree", "dart"]),
                "x": ap.Float(0, 1, condition=("booster", "gblinear")),
            }
        )


def test_condition_cycle() -> None:
    with pytest.raises(ap.InvalidSpaceError, match="cycle"):
        ap.Space(
            {
                "a": ap.Categorical([1, 2], condition=("b", 1)),
                "b": ap.Categorical([1, 2], condition=("a", 1)),
            }
        )


def test_condition_on_float_rejected() -> None:
    with pytest.raises(ap.InvalidSpaceError, match="float parameter 'x'"):
        ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1, condition=("x", 0.5))})


def test_malformed_condition() -> None:
    with pytest.raises(ap.InvalidSpaceError, match="pair"):
        ap.Float(0, 1, condition="booster")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"x": 2.0, "k": "a"}, r"'x' must be in \[0.0, 1.0\]. Got 2.0"),
        ({"x": 0.5, "k": "z"}, r"'k' must be one of \['a', 'b'\]. Got 'z'"),
        ({"x": 0.5}, r"'k' is active and missing"),
        ({"x": 0.5, "k": "a", "extra": 1}, r"Unknown parameter\(s\) \['extra'\]"),
        ({"x": 0.5, "k": "a", "y": 3}, r"'y' is inactive here"),
        ({"x": "0.5", "k": "a"}, r"'x' must be a finite float"),
        ({"x": 0.5, "k": "b", "y": 2.5}, r"'y' must be an int"),
    ],
)
def test_invalid_params(params, message) -> None:
    space = ap.Space(
        {
            "x": ap.Float(0, 1),
            "k": ap.Categorical(["a", "b"]),
            "y": ap.Int(1, 4, condition=("k", "b")),
        }
    )
    with pytest.raises(ap.InvalidParamsError, match=message):
        space.validate(params)


def test_decode_wrong_shape() -> None:
    with pytest.raises(ap.InvalidParamsError, match=r"shape \(2,\)"):
        ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)}).decode([0.5])


def test_newer_schema_is_refused() -> None:
    data = ap.Space({"x": ap.Float(0, 1)}).to_json()
    data["schema_version"] = 99
    with pytest.raises(ap.InvalidSpaceError, match="schema version 99"):
        ap.Space.from_json(data)
