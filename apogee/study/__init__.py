"""Studies: where an engine meets the storage (ask/tell, optimize, results)."""

from apogee.study._create import create_study, load_study
from apogee.study.results import OptimizeResult, minimize
from apogee.study.study import Study
from apogee.study.trial import Failed, Trial

__all__ = ["Failed", "OptimizeResult", "Study", "Trial", "create_study", "load_study", "minimize"]
