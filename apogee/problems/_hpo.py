"""Mixed-space hyperparameter tuning of scikit-learn models on datasets bundled with it.

Each problem is the cross-validated loss of one model, deterministic given the parameters: the
folds are a `StratifiedKFold(3, shuffle=True, random_state=0)` and the model's own
`random_state` is fixed. The spaces mix log-floats, floats, integers, categoricals and
conditional parameters. Optimal values are unknown (None). scikit-learn is imported when a
problem is evaluated, so building or listing them does not need it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np

from apogee.problems._problem import Problem, Values
from apogee.space import Categorical, Float, Int, Space

N_FOLDS = 3
FOLD_SEED = 0
MODEL_SEED = 0


def _require_sklearn() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError as error:
        raise ImportError("The hpo problems need scikit-learn: pip install scikit-learn") from error


@cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loaders: dict[str, Callable[..., Any]] = {
        "breast-cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "wine": datasets.load_wine,
    }
    features, labels = loaders[name](return_X_y=True)
    return np.asarray(features, dtype=float), np.asarray(labels)


def _cross_validated(model: Any, dataset: str, scoring: str) -> float:
    """Mean score over the fixed folds, on one thread, with convergence warnings silenced.

    One thread (threadpoolctl, a scikit-learn dependency) keeps an evaluation's cost the same
    on a busy machine and matches the bench, which runs every solver on one thread.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    features, labels = _dataset(dataset)
    folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=FOLD_SEED)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        scores = cross_val_score(model, features, labels, cv=folds, scoring=scoring)
    return float(np.mean(scores))


def _hpo_problem(
    name: str, space: Space, function: Callable[[Mapping[str, Any]], Values]
) -> Problem:
    """A tuning problem; scikit-learn is needed (and checked) when it is evaluated."""

    def evaluate(params: Mapping[str, Any]) -> Values:
        _require_sklearn()
        return function(params)

    return Problem(
        name=name,
        space=space,
        objectives={"loss": "minimize"},
        tags=frozenset({"hpo", "conditional"} if space.has_conditions else {"hpo"}),
        function=evaluate,
    )


def gradient_boosting_breast_cancer() -> Problem:
    """Histogram gradient boosting on breast cancer (569 x 30); loss: cross-validated log loss.

    `validation_fraction` and `n_iter_no_change` are active only with `early_stopping=True`.
    """
    space = Space(
        {
            "learning_rate": Float(1e-3, 1.0, log=True),
            "max_iter": Int(10, 100, log=True),
            "max_leaf_nodes": Int(2, 32, log=True),
            "min_samples_leaf": Int(1, 64, log=True),
            "l2_regularization": Float(1e-8, 10.0, log=True),
            "max_features": Float(0.1, 1.0),
            "early_stopping": Categorical([False, True]),
            "validation_fraction": Float(0.1, 0.4, condition=("early_stopping", True)),
            "n_iter_no_change": Int(2, 20, condition=("early_stopping", True)),
        }
    )

    def evaluate(params: Mapping[str, Any]) -> Values:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(**params, random_state=MODEL_SEED)
        return {"loss": -_cross_validated(model, "breast-cancer", "neg_log_loss")}

    return _hpo_problem("hpo-gb-breast-cancer", space, evaluate)


def svm_digits() -> Problem:
    """An SVM on digits (1797 x 64, pixels scaled to [0, 1]); loss: cross-validated error rate.

    `gamma` is active for the rbf, poly and sigmoid kernels, `degree` for poly, `coef0` for poly
    and sigmoid.
    """
    space = Space(
        {
            "C": Float(1e-2, 1e3, log=True),
            "kernel": Categorical(["rbf", "poly", "sigmoid", "linear"]),
            "gamma": Float(1e-4, 1.0, log=True, condition=("kernel", ["rbf", "poly", "sigmoid"])),
            "degree": Int(2, 5, condition=("kernel", "poly")),
            "coef0": Float(-1.0, 1.0, condition=("kernel", ["poly", "sigmoid"])),
            "shrinking": Categorical([True, False]),
        }
    )

    def evaluate(params: Mapping[str, Any]) -> Values:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer
        from sklearn.svm import SVC

        model = make_pipeline(
            FunctionTransformer(lambda pixels: pixels / 16.0),
            SVC(**params, max_iter=100_000, random_state=MODEL_SEED),
        )
        return {"loss": 1 - _cross_validated(model, "digits", "accuracy")}

    return _hpo_problem("hpo-svm-digits", space, evaluate)


def mlp_wine() -> Problem:
    """A standardized MLP on wine (178 x 13); loss: cross-validated log loss.

    `momentum` and `nesterovs_momentum` are active with `solver="sgd"`, `beta_1` with `"adam"`.
    """
    space = Space(
        {
            "n_layers": Int(1, 3),
            "n_units": Int(4, 128, log=True),
            "activation": Categorical(["relu", "tanh", "logistic"]),
            "alpha": Float(1e-6, 1e-1, log=True),
            "learning_rate_init": Float(1e-4, 1e-1, log=True),
            "solver": Categorical(["adam", "sgd"]),
            "momentum": Float(0.5, 0.99, condition=("solver", "sgd")),
            "nesterovs_momentum": Categorical([True, False], condition=("solver", "sgd")),
            "beta_1": Float(0.5, 0.99, condition=("solver", "adam")),
            "max_iter": Int(20, 300, log=True),
        }
    )

    def evaluate(params: Mapping[str, Any]) -> Values:
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        options = dict(params)
        layers = (options.pop("n_units"),) * options.pop("n_layers")
        network = MLPClassifier(hidden_layer_sizes=layers, **options, random_state=MODEL_SEED)
        model = make_pipeline(StandardScaler(), network)
        return {"loss": -_cross_validated(model, "wine", "neg_log_loss")}

    return _hpo_problem("hpo-mlp-wine", space, evaluate)
