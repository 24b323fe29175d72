"""Problem names: `get(name)` parses one, `names(tag)` lists the canonical default set.

Each family is a regular expression over the name and a builder of its match. Any
single-objective name may end in `-noise<sd>`, which adds Gaussian noise of that standard
deviation to the objective (`bbob-f8-d5-i1-noise0.1`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from apogee.problems import (
    _bbob,
    _categorical,
    _classic,
    _engineering,
    _hpo,
    _moo,
    _multifidelity,
)
from apogee.problems._problem import KNOWN_TAGS, Problem


@dataclass(frozen=True)
class Family:
    """Problems whose names match `grammar` (shown in errors) through the regex `pattern`.

    `tags` are the tags every member carries, so `names(tag)` filters without building
    problems (and without the optional packages some families need).
    """

    grammar: str
    pattern: str
    build: Callable[[re.Match[str]], Problem]
    defaults: tuple[str, ...]
    tags: frozenset[str]


def _int(match: re.Match[str], group: str) -> int:
    return int(match.group(group))


def _scalable(family: str, build: Callable[[int], Problem]) -> Family:
    """A classic family `NAME-d{D}` in any dimension, listed in d = 2, 5 and 10."""
    return Family(
        f"{family}-d{{D>=2}}",
        rf"{family}-d(?P<d>\d+)",
        lambda m: build(_int(m, "d")),
        tuple(f"{family}-d{d}" for d in (2, 5, 10)),
        frozenset({"classic"}),
    )


def _single(name: str, build: Callable[[], Problem], *tags: str) -> Family:
    """A family of one problem, named `name`."""
    return Family(name, re.escape(name), lambda m: build(), (name,), frozenset(tags))


FAMILIES: tuple[Family, ...] = (
    Family(
        "bbob-f{1..24}-d{D>=2}-i{I>=1}",
        r"bbob-f(?P<f>\d+)-d(?P<d>\d+)-i(?P<i>\d+)",
        lambda m: _bbob.bbob(_int(m, "f"), _int(m, "d"), _int(m, "i")),
        tuple(f"bbob-f{f}-d{d}-i1" for d in (2, 5, 10, 40) for f in _bbob.BBOB_FUNCTIONS),
        frozenset({"bbob"}),
    ),
    _single("branin", _classic.branin, "classic"),
    Family(
        "hartmann{3|6}",
        r"hartmann(?P<d>3|6)",
        lambda m: _classic.hartmann(_int(m, "d")),
        ("hartmann3", "hartmann6"),
        frozenset({"classic"}),
    ),
    _scalable("ackley", _classic.ackley),
    _scalable("levy", _classic.levy),
    _scalable("rosenbrock", _classic.rosenbrock),
    _scalable("styblinski-tang", _classic.styblinski_tang),
    _scalable("michalewicz", _classic.michalewicz),
    Family(
        "zdt{1|2|3}-d{D>=2}",
        r"zdt(?P<v>[123])-d(?P<d>\d+)",
        lambda m: _moo.zdt(_int(m, "v"), _int(m, "d")),
        ("zdt1-d6", "zdt2-d6", "zdt3-d6"),
        frozenset({"moo"}),
    ),
    Family(
        "dtlz2-m{M>=2}-d{D>=M}",
        r"dtlz2-m(?P<m>\d+)-d(?P<d>\d+)",
        lambda m: _moo.dtlz2(_int(m, "m"), _int(m, "d")),
        ("dtlz2-m3-d6",),
        frozenset({"moo"}),
    ),
    _single("branin-currin", _moo.branin_currin, "moo"),
    _single("pressure-vessel", _engineering.pressure_vessel, "constrained"),
    _single("welded-beam", _engineering.welded_beam, "constrained"),
    _single("tension-compression-spring", _engineering.tension_compression_spring, "constrained"),
    _single("speed-reducer", _engineering.speed_reducer, "constrained"),
    _single("constrained-branin", _engineering.constrained_branin, "constrained"),
    _single("augmented-branin", _multifidelity.augmented_branin, "multifidelity"),
    _single("augmented-hartmann6", _multifidelity.augmented_hartmann, "multifidelity"),
    Family(
        "categorical-v{V>=2}-c{C>=2}",
        r"categorical-v(?P<v>\d+)-c(?P<c>\d+)",
        lambda m: _categorical.categorical_chain(_int(m, "v"), _int(m, "c")),
        ("categorical-v12-c10",),
        frozenset({"categorical"}),
    ),
    _single("hpo-gb-breast-cancer", _hpo.gradient_boosting_breast_cancer, "hpo", "conditional"),
    _single("hpo-svm-digits", _hpo.svm_digits, "hpo", "conditional"),
    _single("hpo-mlp-wine", _hpo.mlp_wine, "hpo", "conditional"),
)

NOISE_SUFFIX = re.compile(r"(?P<base>.+)-noise(?P<sd>\d+(\.\d+)?(e[-+]?\d+)?)")
NOISY_DEFAULTS = ("bbob-f8-d5-i1-noise0.1", "bbob-f15-d5-i1-noise1", "branin-noise1")


def get(name: str) -> Problem:
    """The problem called `name`; see `docs/problems.md` for the grammar of each family.

    Example:
        >>> from apogee import problems
        >>> problems.get("ackley-d10").space.dim
        10

    Raises:
        TypeError: `name` is not a string.
        ValueError: no family matches `name` (the message lists the families).
    """
    if not isinstance(name, str):
        raise TypeError(f"A problem name must be a str. Got {name!r} instead.")
    return _get(name)


@lru_cache(maxsize=256)
def _get(name: str) -> Problem:
    noisy = NOISE_SUFFIX.fullmatch(name)
    if noisy is not None:
        return with_noise(_get(noisy.group("base")), float(noisy.group("sd")))
    for family in FAMILIES:
        match = re.fullmatch(family.pattern, name)
        if match is not None:
            return family.build(match)
    grammars = ", ".join(family.grammar for family in FAMILIES)
    raise ValueError(
        f"Unknown problem {name!r}. Known families: {grammars}; any single-objective name may "
        "end in -noise<sd> (e.g. bbob-f8-d5-i1-noise0.1)."
    )


def with_noise(problem: Problem, noise_sd: float) -> Problem:
    """`problem` with additive Gaussian noise of standard deviation `noise_sd` on its objective."""
    if problem.n_objectives != 1 or problem.noise_sd > 0:
        raise ValueError(
            f"Noise can be added to a noise-free single-objective problem only; "
            f"{problem.name!r} has {problem.n_objectives} objectives and noise_sd={problem.noise_sd}."
        )
    if not noise_sd > 0:
        raise ValueError(f"The noise sd of {problem.name!r} must be > 0. Got {noise_sd!r} instead.")
    return dataclasses.replace(
        problem,
        name=f"{problem.name}-noise{_shortest(noise_sd)}",
        noise_sd=noise_sd,
        tags=problem.tags | {"noisy"},
    )


def _shortest(number: float) -> str:
    """`1`, `0.1`, `2.5e+08`: `:g` where it is exact, else the full repr."""
    short = f"{number:g}"
    return short if float(short) == number else repr(float(number))


def names(tag: str | None = None) -> list[str]:
    """The canonical default problems, optionally only those carrying `tag`.

    Parametric families list a documented default set (docs/problems.md); `get` accepts any
    member of a family, not only these. Nothing is built, so no optional package is needed.
    """
    if tag is not None and tag not in KNOWN_TAGS:
        raise ValueError(
            f"The 'tag' parameter of names must be one of {sorted(KNOWN_TAGS)}. Got {tag!r} instead."
        )
    tagged: list[tuple[str, frozenset[str]]] = [
        (name, family.tags) for family in FAMILIES for name in family.defaults
    ]
    tagged += [(name, _family_of(name).tags | {"noisy"}) for name in NOISY_DEFAULTS]
    return [name for name, tags in tagged if tag is None or tag in tags]


def _family_of(name: str) -> Family:
    base = NOISE_SUFFIX.fullmatch(name)
    plain = name if base is None else base.group("base")
    return next(family for family in FAMILIES if re.fullmatch(family.pattern, plain))
