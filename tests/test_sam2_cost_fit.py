"""The E + n x M cost fit of benchmarks/sam2_refine_fps.py, on hand-computed figures."""
import pytest

from benchmarks.sam2_refine_fps import fit_cost


def rows(*pairs):
    return [{"masklets_per_frame": n, "masks_seconds_per_frame": s} for n, s in pairs]


def test_a_linear_cost_is_recovered_exactly():
    # 2 s per frame + 0.5 s per masklet: 7 s at 10 masklets, 12 s at 20, 27 s at 50
    assert fit_cost(rows((10, 7.0), (20, 12.0), (50, 27.0))) == {
        "E": 2.0, "M": 0.5, "max_residual": 0.0}


def test_least_squares_through_noisy_figures():
    # n = 0, 1, 2 at 1, 3, 4 s: slope 1.5, intercept 7/6; residuals -1/6, 1/3, -1/6
    assert fit_cost(rows((0, 1.0), (1, 3.0), (2, 4.0))) == {
        "E": 1.1667, "M": 1.5, "max_residual": 0.3333}


def test_one_count_cannot_be_fitted():
    with pytest.raises(SystemExit, match="two masklet counts"):
        fit_cost(rows((20, 45.6), (20, 46.0)))
