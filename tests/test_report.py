"""Bootstrap intervals, the regression comparison, and table rendering on hand-made results."""
import numpy as np
import pytest

from replication.ci_profile import compare
from replication.report import bootstrap
from replication.report.collect import Method
from replication.report.tables import Scorer, Table, percent, refiner_table


def split(intersection, union, windows):
    """A results split with per-frame counts (2 classes) and one video's window scores."""
    inter, uni = np.array(intersection, float), np.array(union, float)
    return {"mIoU": float(np.nanmean(np.where(uni.sum(0) > 0, inter.sum(0) / uni.sum(0),
                                              np.nan))),
            "mBIoU": float(np.nanmean(inter.sum(0) / uni.sum(0))),
            "mVC8": float(np.mean(windows)), "mVC16": float("nan"),
            "per_frame": {"stems": [f"f{i}" for i in range(len(inter))],
                          "intersection": intersection, "union": union,
                          "band_intersection": intersection, "band_union": union},
            "per_video": {"v": {"window_scores": {"8": windows, "16": []}}}}


def test_unit_weights_give_the_pooled_metric_and_resamples_sum_to_n():
    inter, union = np.array([[1, 0], [3, 2]], float), np.array([[2, 0], [4, 4]], float)
    ones = np.ones((1, 2))
    assert bootstrap.pooled_mean_ratio(ones, inter, union)[0] == pytest.approx((4 / 6 + 2 / 4) / 2)
    # a resample taking frame 0 twice: class 1 absent (union 0) is left out of the mean
    assert bootstrap.pooled_mean_ratio(np.array([[2.0, 0.0]]), inter, union)[0] == 0.5
    weights = bootstrap.resample_weights(7, resamples=50, seed=1)
    assert weights.shape == (50, 7) and (weights.sum(1) == 7).all()
    assert bootstrap.weighted_mean(np.ones((1, 3)), np.array([0.2, 0.4, 0.9]))[0] == 0.5


def test_intervals_bracket_the_estimate_and_paired_deltas_cancel_shared_noise():
    rng = np.random.default_rng(0)
    inter = rng.integers(50, 100, (40, 2))
    union = inter + rng.integers(0, 50, (40, 2))
    a = split(inter.tolist(), union.tolist(), rng.random(30).tolist())
    low, high = bootstrap.confidence(a, "mIoU")
    assert low < a["mIoU"] < high and high - low < 0.1
    low, high = bootstrap.confidence(a, "mVC8")
    assert low < a["mVC8"] < high
    assert bootstrap.paired_delta(a, a, "mIoU") == (0.0, 0.0)
    better = split((inter + 5).tolist(), union.tolist(), a["per_video"]["v"]["window_scores"]["8"])
    low, high = bootstrap.paired_delta(a, better, "mIoU")
    assert 0 < low < high  # every frame gained: the paired interval excludes 0
    assert bootstrap.confidence(a, "mVC16") is None  # no window to resample


def test_rows_follow_from_the_params_that_make_them():
    from replication.params import methods

    params = {"reference_methods": {"gt": {}}, "baselines": {"net": {}},
              "refine": {"sources": ["oracle", "sam2-tiny"], "vote_ablation": ["oracle"]},
              "classify": {"sources": ["oracle"], "baseline_features": ["net"],
                           "sam2_features": ["sam2-tiny"]},
              "external": {"cffm": {"dataset": "camvid", "src": "x"},
                           "tv3s": {"dataset": "vspw", "src": "y"}}}
    rows = methods(params, "camvid")
    assert list(rows) == ["gt", "net", "net+refine-oracle", "net+refine-sam2-tiny",
                          "net+refine-oracle-vote-frame", "classify-oracle-net",
                          "classify-oracle-sam2-tiny", "cffm"]
    assert rows["net+refine-sam2-tiny"] == {"kind": "refine", "baseline": "net",
                                            "source": "sam2-tiny", "vote": "masklet"}
    assert rows["net+refine-oracle-vote-frame"]["vote"] == "frame"
    assert rows["classify-oracle-sam2-tiny"] == {"kind": "classify", "source": "oracle",
                                                 "features": "sam2-tiny", "encoder": "sam2"}
    assert "tv3s" not in rows and rows["cffm"] == {"kind": "external"}


def test_refiner_table_shows_deltas_and_not_run_rows_with_their_reason():
    rng = np.random.default_rng(3)
    inter = rng.integers(50, 100, (20, 2))
    union = inter + 20
    results = type("R", (), {})()
    results.dataset = "camvid"
    base = Method("net", "baseline", {"test": split(inter.tolist(), union.tolist(), [0.5] * 9),
                                      "inference": {"fps": 9.0}})
    refined = Method("net+refine-oracle", "refine",
                     {"test": split((inter + 10).tolist(), union.tolist(), [0.7] * 9)},
                     baseline="net", source="oracle")
    missing = Method("net+refine-sam2-tiny", "refine",
                     {"status": "not run", "reason": "no checkpoint", "fix": "download it"},
                     baseline="net", source="sam2-tiny")
    results.of_kind = lambda *kinds: [m for m in (base, refined, missing) if m.kind in kinds]
    scorer = Scorer({"mIoU": "test", "mBIoU": "test", "mVC8": "test", "mVC16": "test"}, 200)
    table = refiner_table(results, scorer, "")
    assert [row[0] for row in table.rows] == ["net", "+ refine", "+ refine"]
    delta = table.rows[1][table.columns.index("ΔmIoU")]
    assert delta.startswith(percent(refined.result["test"]["mIoU"] - base.result["test"]["mIoU"],
                                    signed=True))
    assert table.rows[2][2] == "not run (1)" and table.notes == ["no checkpoint Fix: download it"]
    md, tex = table.markdown(), table.latex()
    assert "| net | - |" in md and "(1) no checkpoint Fix: download it" in md
    assert r"\toprule" in tex and r"$\Delta$mIoU" in tex and tex.count(r"\\") == 4


def test_table_csv_keeps_raw_numbers(tmp_path):
    table = Table("t", "caption", ["a"], [["1.0"]], [{"method": "m", "mIoU": 0.25}])
    md, tex, csv = table.write(tmp_path)
    assert csv.read_text().splitlines() == ["method,mIoU", "m,0.25"]


def test_compare_lists_every_regression_readably():
    reference = {"m": {"test": {"mIoU": 0.5, "mBIoU": 0.4}}, "gone": {"test": {"mIoU": 1.0}}}
    current = {"m": {"test": {"mIoU": 0.5, "mBIoU": 0.43}}, "new": {"test": {"mIoU": 1.0}}}
    problems = compare(current, reference, {"default": 1e-9, "m": 0.01})
    assert problems == [
        "gone: missing from the run",
        "m test mBIoU: expected 0.400000, got 0.430000 (off by +0.030000; tolerance 0.01)",
        "new: missing from the reference"]
    assert compare(reference, reference, {"default": 0.0}) == []


def test_seed_table_sets_the_spread_across_seeds_beside_the_bootstrap_interval():
    from replication.report.tables import seed_table

    rng = np.random.default_rng(4)
    inter = rng.integers(50, 100, (20, 2))
    main = Method("net", "baseline", {"test": split(inter.tolist(), (inter + 20).tolist(),
                                                    [0.5] * 9)})
    results = type("R", (), {})()
    results.dataset, results.methods = "camvid", {"net": main}
    value = main.result["test"]["mIoU"]
    results.seeds = {1: {"methods": {"net": {"test": {"mIoU": value + 0.02, "mBIoU": 0.5,
                                                      "mVC8": 0.5, "mVC16": float("nan")}}}},
                     2: {"methods": {"net": {"test": {"mIoU": value - 0.04, "mBIoU": 0.5,
                                                      "mVC8": 0.5, "mVC16": float("nan")}}}}}
    scorer = Scorer({"mIoU": "test", "mBIoU": "test", "mVC8": "test", "mVC16": "test",
                     "TC": "test"}, 100)
    table = seed_table(results, scorer, "")
    assert "TC" not in table.columns  # the seed runs keep no TC: no column, no error
    mean = value - 0.02 / 3
    sd = np.std([value, value + 0.02, value - 0.04], ddof=1)
    row = dict(zip(table.columns, table.rows[0]))
    assert row["mIoU seeds"] == f"{100 * mean:.1f} ± {100 * sd:.1f} (3)"
    assert row["mIoU"].startswith(f"{100 * value:.1f} [")  # the interval over frames
    assert row["mVC16 seeds"] == "n/a"
    assert table.records[0]["mIoU_seed_sd"] == pytest.approx(sd)
    assert "mean ± standard deviation over 3 training seeds" in table.caption
    results.seeds = {}
    assert seed_table(results, scorer, "") is None


def test_tables_of_several_benchmarks_get_a_column_group_each():
    from replication.report.tables import merge

    camvid = Table("t", "camvid caption", ["Method", "mIoU"], [["net", "50.0"], ["+r", "x"]],
                   [{"method": "net"}])
    camvid.rows[1][1] = camvid.not_run(Method("+r", "refine", {"reason": "a", "fix": "b"}))
    vspw = Table("t", "vspw caption", ["Method", "mIoU"], [["net", "30.0"], ["other", "1.0"]],
                 [{"method": "net"}])
    vspw.rows.append(["+r", vspw.not_run(Method("+r", "refine", {"reason": "c", "fix": "d"}))])
    table = merge({"camvid": camvid, "vspw": vspw}, lead=1)
    assert table.columns == ["Method", "camvid mIoU", "vspw mIoU"]
    assert table.rows == [["net", "50.0", "30.0"], ["+r", "not run (1)", "not run (2)"],
                          ["other", "-", "1.0"]]
    assert table.notes == ["camvid: a Fix: b", "vspw: c Fix: d"]
    assert [r["dataset"] for r in table.records] == ["camvid", "vspw"]
    assert merge({"camvid": camvid}, lead=1) is camvid
