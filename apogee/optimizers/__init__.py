"""Engines: functions of the trial history that suggest the next parameters.

Users pass an engine by name (`optimizer="sobol"`) or as an object with options
(`optimizer=ap.optimizers.Random()`).
"""

from apogee.optimizers._cbo import CBO
from apogee.optimizers._cmaes import CMAES
from apogee.optimizers._de import DE
from apogee.optimizers._zo import ZO
from apogee.optimizers.auto import Auto, choose_engine
from apogee.optimizers.base import Engine, Proposal, Suggestion
from apogee.optimizers.gp import GP
from apogee.optimizers.nsga2 import NSGA2
from apogee.optimizers.nsga3 import NSGA3
from apogee.optimizers.random import Random
from apogee.optimizers.registry import ENGINES, engine_from_options, make_engine
from apogee.optimizers.sobol import Sobol

__all__ = [
    "CBO",
    "CMAES",
    "DE",
    "ENGINES",
    "GP",
    "NSGA2",
    "NSGA3",
    "ZO",
    "Auto",
    "Engine",
    "Proposal",
    "Random",
    "Sobol",
    "Suggestion",
    "choose_engine",
    "engine_from_options",
    "make_engine",
]
