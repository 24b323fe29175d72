"""Studies: where an engine meets the storage (ask/tell, optimize, results)."""

from apogee.study._create import create_study, load_study
from apogee.study._manage import copy_study, delete_study, list_studies
from apogee.study.callbacks import StopWhenConfident
from apogee.study.results import OptimizeResult, minimize
from apogee.study.study import Study
from apogee.study.trial import Failed, Trial

__all__ = [
    "Failed",
    "OptimizeResult",
    "StopWhenConfident",
    "Study",
    "Trial",
    "copy_study",
    "create_study",
    "delete_study",
    "list_studies",
    "load_study",
    "minimize",
]
