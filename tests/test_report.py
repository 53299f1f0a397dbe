"""Bootstrap intervals, the regression comparison, and the tables, on results the real pipeline
made: a committed Fast-SCNN's predictions of a few CamVid frames, refined with oracle masklets,
a SAM2 source that could not run, scored by `vss score` and read back by the report."""
import json

import numpy as np
import pytest

from replication.cli import main
from replication.experiments.ci_profile import CHECKPOINT, compare
from replication.metrics.counts import sparse as counts_sparse
from replication.report import bootstrap
from replication.report.collect import Method, load_results
from replication.report.tables import Scorer, Table, percent, refiner_table


def test_unit_weights_give_the_pooled_metric_and_resamples_sum_to_n():
    inter, union = np.array([[1, 0], [3, 2]], float), np.array([[2, 0], [4, 4]], float)
    ones = np.ones((1, 2))
    assert bootstrap.pooled_mean_ratio(ones, inter, union)[0] == pytest.approx((4 / 6 + 2 / 4) / 2)
    # a resample taking frame 0 twice: class 1 absent (union 0) is left out of the mean
    assert bootstrap.pooled_mean_ratio(np.array([[2.0, 0.0]]), inter, union)[0] == 0.5
    weights = np.concatenate(list(bootstrap.resample_weights(7, resamples=120, seed=1)))
    assert weights.shape == (120, 7) and (weights.sum(1) == 7).all()
    # drawn in chunks, the rows of one draw of them all
    whole = np.random.default_rng(1).multinomial(7, np.full(7, 1 / 7), size=120)
    assert np.array_equal(weights, whole)
    ones = np.ones(3)
    assert bootstrap.weighted_mean(np.ones((1, 3)), np.array([0.2, 0.4, 0.9]), ones)[0] == 0.5
    # a video of two windows (0.2 + 0.4) drawn twice, one of a window (0.9) once
    got = bootstrap.weighted_mean(np.array([[2.0, 1.0]]), np.array([0.6, 0.9]), np.array([2, 1]))
    assert got[0] == pytest.approx((2 * 0.6 + 0.9) / 5)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, camvid_root):
    """A miniature of the pipeline's stages on a few CamVid frames (12 of the 15 Hz val clip, 2
    test frames), through the CLI as dvc.yaml runs them: predict (committed Fast-SCNN), masks
    (oracle; SAM2 without a checkpoint: not run), refine with both, the ground truth as a
    reference, then score."""
    from replication.experiments.ci_profile import PROFILE_SUBSET, make_subset

    work = tmp_path_factory.mktemp("report")
    root = make_subset(camvid_root, work / "camvid", {k: v for k, v in PROFILE_SUBSET.items()
                                                      if k != "train"})
    params = {"datasets": ["camvid"],
              "benchmarks": {"camvid": {"root": str(root), "eval": ["val", "test"],
                                        "masks": ["val", "test"]}},
              "reference_methods": {"gt": {}}, "baselines": {"fastscnn": {}},
              "refine": {"sources": ["oracle", "sam2-tiny"]}}
    path = work / "params.yaml"
    path.write_text(json.dumps(params))
    common = ["--params", str(path), "--dataset", "camvid", "--record-not-run"]
    pred, masks = work / "predictions" / "camvid", work / "masks" / "camvid"
    (work / "results" / "sam2").mkdir(parents=True)
    (work / "results" / "sam2" / "sam2-tiny.json").write_text(json.dumps(
        {"available": False, "reason": "no checkpoint here", "fix": "download it"}))
    steps = [["degrade", *common, "--entry", "gt", "--out", str(pred / "gt")],
             ["predict", *common, "--checkpoint", str(CHECKPOINT), "--device", "cpu",
              "--out", str(pred / "fastscnn")],
             ["masks", *common, "--source", "oracle", "--out", str(masks / "oracle")],
             ["masks", *common, "--source", "sam2", "--model", "sam2-tiny", "--sam2-records",
              str(work / "results" / "sam2"), "--out", str(masks / "sam2-tiny")]]
    steps += [["refine", *common, "--pred", str(pred / "fastscnn"), "--masks",
               str(masks / source), "--out", str(pred / f"fastscnn+refine-{source}")]
              for source in ("oracle", "sam2-tiny")]
    steps += [["score", "--params", str(path), "--dataset", "camvid", "--predictions",
               str(pred), "--out", str(work / "results" / "camvid"), "--metrics",
               str(work / "results" / "metrics" / "camvid"), "--counts",
               str(work / "counts" / "camvid"), "--quiet"]]
    for step in steps:
        assert main(step) == 0, step
    return work, load_results(work / "results", "camvid", work / "counts"), root


def test_intervals_bracket_the_estimate_and_paired_deltas_cancel_shared_noise(pipeline):
    _, results, _ = pipeline
    base = results.methods["fastscnn"].result["test"]
    refined = results.methods["fastscnn+refine-oracle"].result["test"]
    for metric in ("mIoU", "mBIoU"):
        low, high = bootstrap.confidence(base, metric, resamples=200)
        assert low <= base[metric] <= high and low < high
        assert bootstrap.paired_delta(base, base, metric, resamples=200) == (0.0, 0.0)
    low, high = bootstrap.paired_delta(base, refined, "mBIoU", resamples=200)
    assert refined["mBIoU"] - base["mBIoU"] > 0 and low <= refined["mBIoU"] - base["mBIoU"] <= high
    val = results.methods["fastscnn"].result["val"]
    assert bootstrap.units(val, "mVC8") == 12 - 8  # VSPW's windows: i in range(L - k)
    assert bootstrap.confidence(val, "mVC16") is None  # 12 frames: no window of 16
    assert bootstrap.confidence(val, "TC") is None  # pooled over pairs: no interval


def test_rows_follow_from_the_params_that_make_them():
    from replication.pipeline.specs import methods

    params = {"reference_methods": {"gt": {}}, "baselines": {"net": {}},
              "refine": {"sources": ["oracle", "sam2-tiny"], "vote_ablation": ["oracle"],
                   "ablation_votes": ["frame"], "decisive-tau": 0.6},
              "classify": {"sources": ["oracle"], "baseline_features": ["net"],
                           "sam2_features": ["sam2-tiny"]},
              "external": {"cffm": {"dataset": "camvid", "src": "x"},
                           "tv3s": {"dataset": "vspw", "src": "y"}}}
    rows = methods(params, "camvid")
    assert list(rows) == ["gt", "net", "net+refine-oracle", "net+refine-sam2-tiny",
                          "net+refine-oracle-vote-frame", "classify-oracle-net",
                          "classify-oracle-sam2-tiny", "cffm"]
    assert rows["net+refine-sam2-tiny"].describe() == {
        "kind": "refine", "baseline": "net", "source": "sam2-tiny", "vote": "masklet"}
    assert rows["net+refine-oracle-vote-frame"].stage == "refine-vote@camvid-net-oracle-frame"
    assert rows["classify-oracle-sam2-tiny"].describe() == {
        "kind": "classify", "source": "oracle", "features": "sam2-tiny", "encoder": "sam2"}
    assert rows["classify-oracle-sam2-tiny"].stage == "classify-sam2@camvid-oracle-sam2-tiny"
    assert "tv3s" not in rows and rows["cffm"].describe() == {"kind": "external"}


def test_identity_of_each_row_comes_from_its_folders_record(pipeline):
    work, results, _ = pipeline
    record = json.loads((work / "predictions" / "camvid" / "fastscnn+refine-oracle" /
                         "record.json").read_text())
    assert record["method"] == results.methods["fastscnn+refine-oracle"].result["method"] == {
        "kind": "refine", "baseline": "fastscnn", "source": "oracle", "vote": "masklet"}
    assert results.methods["gt"].kind == "reference"
    assert not results.methods["fastscnn+refine-sam2-tiny"].ran


def test_refiner_table_shows_deltas_and_not_run_rows_with_their_reason(pipeline):
    _, results, _ = pipeline
    scorer = Scorer.of(results, 200)
    assert scorer.splits == {"mIoU": "test", "mBIoU": "test", "mVC8": "val", "mVC16": "val",
                             "TC": "val"}
    table = refiner_table(results, scorer, "")
    assert [row[:2] for row in table.rows] == [
        ["fastscnn", "-"], ["+ refine", "oracle"], ["+ refine", "sam2-tiny"]]
    base, refined = results.methods["fastscnn"], results.methods["fastscnn+refine-oracle"]
    delta = table.rows[1][table.columns.index("ΔmIoU")]
    assert delta.startswith(percent(refined.result["test"]["mIoU"]
                                    - base.result["test"]["mIoU"], signed=True) + " [")
    assert table.rows[2][2] == "not run (1)"
    assert table.notes == ["no checkpoint here Fix: download it"]
    md, tex = table.markdown(), table.latex()
    assert "| fastscnn | - |" in md and "(1) no checkpoint here Fix: download it" in md
    assert r"\toprule" in tex and r"$\Delta$mIoU" in tex


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


def test_seed_table_sets_the_spread_across_seeds_beside_the_bootstrap_interval(pipeline, tmp_path):
    """Two more 'seeds' of the baseline: predictions of the committed Fast-SCNN with its class
    biases nudged (as retraining moves a model), scored as `vss seeds` scores them."""
    from baselines import checkpoint
    from baselines.predict import predict
    from replication.data.registry import get_dataset
    from replication.metrics.evaluate import evaluate_dataset
    from replication.metrics.specs import headline_metrics
    from replication.report.tables import seed_table

    _, results, root = pipeline
    dataset = get_dataset("camvid", root)
    seeds = {}
    for seed, nudge in ((1, 0.3), (2, -0.3)):
        state = checkpoint.load(CHECKPOINT)
        state["state_dict"]["decode_head.conv_seg.bias"] = (
            state["state_dict"]["decode_head.conv_seg.bias"].float() + nudge * np.arange(11))
        checkpoint.save(tmp_path / f"{seed}.pth", state.pop("state_dict"), **state)
        predict(tmp_path / f"{seed}.pth", dataset, ["val", "test"], tmp_path / f"p{seed}",
                device="cpu")
        result = evaluate_dataset(tmp_path / f"p{seed}", dataset, ["val", "test"],
                                  progress=False)
        seeds[seed] = {"methods": {"fastscnn": {s: headline_metrics(result[s])
                                                for s in ("val", "test")}}}
    results.seeds = seeds
    scorer = Scorer.of(results, 100)
    table = seed_table(results, scorer, "")
    assert "TC" not in table.columns  # the seed runs keep no TC: no column, no error
    values = [results.methods["fastscnn"].result["test"]["mIoU"],
              *(s["methods"]["fastscnn"]["test"]["mIoU"] for s in seeds.values())]
    mean, sd = np.mean(values), np.std(values, ddof=1)
    row = dict(zip(table.columns, table.rows[0]))
    assert row["mIoU seeds"] == f"{100 * mean:.1f} ± {100 * sd:.1f} (3)"
    assert row["mIoU"].startswith(f"{100 * values[0]:.1f} [")  # the interval over frames
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


def test_chunked_sparse_and_video_pooled_resamples_equal_one_dense_draw():
    """The bootstrap's memory-bounded form (resamples in chunks, frames' counts sparse, a
    video's units pooled) gives the samples of the plain form: one (resamples, units) draw,
    dense per-frame counts, a video's multiplicity repeated on each of its units."""
    from replication.metrics.evaluator import StreamingEvaluator
    from replication.metrics.specs import result_specs

    rng = np.random.default_rng(2)
    ev = StreamingEvaluator(5, boundary_ratio=0.05, vc_windows=(3,))
    for v, length in enumerate((6, 9, 4, 7, 5)):
        ev.start_video(f"v{v}", length)
        for t in range(length):
            gt = rng.integers(0, 5, (16, 20)).astype(np.uint8)
            gt[:, :v] = 4 - v % 2  # a class or two absent in some frames
            ev.add_frame(gt, np.where(rng.random(gt.shape) < 0.7, gt, 0).astype(np.uint8), str(t))
        ev.end_video()
    split = ev.summary(tuple("abcde"))
    resamples = 3 * bootstrap.CHUNK + 7  # several chunks, the last a part
    for by in ("frame", "video"):
        for metric in ("mIoU", "mBIoU", "mVC3"):
            unit = split["units"]["metrics"][metric]
            videos = np.asarray(unit["video"] if "scores" in unit
                                else split["units"]["frames"]["video"])
            n = len(videos) if by == "frame" else 5
            weights = np.random.default_rng(9).multinomial(n, np.full(n, 1 / n), size=resamples)
            weights = (weights if by == "frame" else weights[:, videos]).astype(float)
            if result_specs(split)[metric].estimator == "pooled-ratio":
                num, den = (counts_sparse(unit, k).toarray() for k in ("num", "den"))
                n_, d_ = weights @ num, weights @ den
                with np.errstate(invalid="ignore", divide="ignore"):
                    want = np.nanmean(np.where(d_ > 0, n_ / d_, np.nan), axis=1)
            else:
                want = (weights @ unit["scores"]) / weights.sum(1)
            got = bootstrap.samples([split], metric, resamples, seed=9, by=by)[0]
            tol = 0 if by == "frame" and metric != "mVC3" else 1e-12
            np.testing.assert_allclose(got, want, rtol=0, atol=tol)
