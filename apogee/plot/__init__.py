"""Figures of a study: Pareto front (2 or 3 objectives), hypervolume and best value over trials.

Each function returns a `matplotlib.figure.Figure` built without `pyplot` (so no global
backend or figure state changes) and saves it as a PNG when given `path`. matplotlib is
imported on the first call, so `import apogee.plot` stays cheap.
"""

from apogee.plot._figures import best_value_history, hypervolume_history, pareto_front

__all__ = ["best_value_history", "hypervolume_history", "pareto_front"]
