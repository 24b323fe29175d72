"""Multi-objective utilities: non-dominated sorting, crowding, hypervolume (through moocore)."""

from apogee.moo._pareto import hypervolume, nondominated_mask
from apogee.moo._sorting import constrained_ranks, crowding_distance, rank_and_crowding, survivors

__all__ = [
    "constrained_ranks",
    "crowding_distance",
    "hypervolume",
    "nondominated_mask",
    "rank_and_crowding",
    "survivors",
]
