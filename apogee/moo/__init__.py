"""Multi-objective utilities: non-dominated sorting and hypervolume (through moocore)."""

from apogee.moo._pareto import hypervolume, nondominated_mask

__all__ = ["hypervolume", "nondominated_mask"]
