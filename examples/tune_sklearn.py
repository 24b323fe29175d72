"""`make run`: tune a scikit-learn classifier on a dataset that ships with scikit-learn.

A mixed, conditional space (the kernel's own parameters are active only for that kernel),
cross-validated log loss as the objective, apogee's default engine, and the result printed.
Run it with `python examples/tune_sklearn.py [--trials N] [--storage URL]`.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import apogee as ap

SPACE = ap.Space(
    {
        "C": ap.Float(1e-3, 1e3, log=True),
        "kernel": ap.Categorical(["rbf", "poly", "linear"]),
        "gamma": ap.Float(1e-4, 1e1, log=True, condition=("kernel", ["rbf", "poly"])),
        "degree": ap.Int(2, 5, condition=("kernel", "poly")),
        "class_weight": ap.Categorical([None, "balanced"]),
    }
)


def make_objective(seed: int) -> Any:
    features, labels = load_breast_cancer(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)

    def cross_validated_error(params: dict[str, Any]) -> float:
        model = make_pipeline(StandardScaler(), SVC(**params, max_iter=20_000))
        with warnings.catch_warnings():  # a capped SVC may warn that it stopped early
            warnings.simplefilter("ignore")
            accuracy = cross_val_score(model, features, labels, cv=folds, n_jobs=1).mean()
        return 1.0 - float(accuracy)

    return cross_validated_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage", default=None, help="storage URL (sqlite:///apogee.db); in memory if omitted")
    args = parser.parse_args()
    start = time.perf_counter()
    result = ap.minimize(
        make_objective(args.seed),
        SPACE,
        budget=args.trials,
        seed=args.seed,
        storage=args.storage,
        study_name=f"svc-breast-cancer-{time.strftime('%Y%m%d-%H%M%S')}",
        progress=True,
    )
    print(f"Tuned an SVC on breast cancer (3-fold CV error) in {time.perf_counter() - start:.1f} s")
    print(result)
    print("auto chose:", result.study.attrs.get("auto"))
    if args.storage:
        print(f"Stored as study '{result.study.name}' in {args.storage}")


if __name__ == "__main__":
    main()
