"""apogee: global optimization of expensive black-box functions, and bilevel optimization.

Example:
    >>> import apogee as ap
    >>> space = ap.Space({"x": ap.Float(-5, 5), "kind": ap.Categorical(["a", "b"])})
    >>> result = ap.minimize(lambda p: p["x"] ** 2 + (p["kind"] == "b"), space,
    ...                      budget=20, seed=0, progress=False)
    >>> result.params["kind"]
    'a'
"""

from apogee import optimizers
from apogee._util.errors import (
    ApogeeError,
    DuplicatedStudyError,
    InvalidParamsError,
    InvalidSpaceError,
    InvalidValueError,
    NoCompleteTrialError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
    UnsupportedError,
)
from apogee._util.logging import get_verbosity, set_verbosity
from apogee._version import __version__
from apogee.history import Direction, TrialState
from apogee.optimizers.gp import OptimumPosterior
from apogee.space import Categorical, Fixed, Float, Int, Space
from apogee.study import (
    Failed,
    OptimizeResult,
    StopWhenConfident,
    Study,
    Trial,
    copy_study,
    create_study,
    delete_study,
    list_studies,
    load_study,
    minimize,
)

__all__ = [
    "ApogeeError",
    "Categorical",
    "Direction",
    "DuplicatedStudyError",
    "Failed",
    "Fixed",
    "Float",
    "Int",
    "InvalidParamsError",
    "InvalidSpaceError",
    "InvalidValueError",
    "NoCompleteTrialError",
    "OptimizeResult",
    "OptimumPosterior",
    "Space",
    "StopWhenConfident",
    "StorageError",
    "Study",
    "StudyNotFoundError",
    "Trial",
    "TrialFinishedError",
    "TrialNotFoundError",
    "TrialState",
    "UnsupportedError",
    "__version__",
    "copy_study",
    "create_study",
    "delete_study",
    "get_verbosity",
    "list_studies",
    "load_study",
    "minimize",
    "optimizers",
    "set_verbosity",
]
