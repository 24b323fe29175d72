"""Normalization and Chebyshev scalarization of minimized objectives (ParEGO's building blocks)."""

import numpy as np

from apogee.moo import chebyshev_scalarization, normalize_objectives

VALUES = np.array([[0.0, 10.0], [1.0, 20.0], [4.0, 30.0]])


def test_normalization_spans_the_observed_range_by_default() -> None:
    assert normalize_objectives(VALUES).tolist() == [[0.0, 0.0], [0.25, 0.5], [1.0, 1.0]]


def test_a_reference_point_is_the_top_of_the_normalization() -> None:
    # The first reference is above the best value and replaces the worst; the second is below
    # every value (nothing reaches it), so the observed range stays.
    normalized = normalize_objectives(VALUES, upper=[2.0, 5.0])
    assert normalized.tolist() == [[0.0, 0.0], [0.5, 0.5], [2.0, 1.0]]


def test_chebyshev_by_hand() -> None:
    scalar = chebyshev_scalarization(np.array([[0.2, 0.6]]), np.array([0.5, 0.5]), rho=0.1)
    assert np.allclose(scalar, [0.3 + 0.1 * 0.4])
