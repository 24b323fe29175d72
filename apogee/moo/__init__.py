"""Multi-objective utilities: Pareto sorting, crowding, niching, hypervolume (moocore), scalarizations."""

from apogee.moo._niching import associate, das_dennis, default_partitions, niching_survivors
from apogee.moo._pareto import hypervolume, nondominated_mask
from apogee.moo._scalarize import chebyshev_scalarization, normalize_objectives, simplex_weights
from apogee.moo._sorting import constrained_ranks, crowding_distance, rank_and_crowding, survivors

__all__ = [
    "associate",
    "chebyshev_scalarization",
    "constrained_ranks",
    "crowding_distance",
    "das_dennis",
    "default_partitions",
    "hypervolume",
    "niching_survivors",
    "nondominated_mask",
    "normalize_objectives",
    "rank_and_crowding",
    "simplex_weights",
    "survivors",
]
