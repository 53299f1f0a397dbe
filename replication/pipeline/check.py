"""The whole of params.yaml checked before any work (the fetch stage, the pipeline's first, runs
it): every value against its settings class, every name against the entries it refers to."""
from __future__ import annotations

from replication.core.settings import from_flags
from replication.pipeline.params import ParamsError, benchmark, metric_settings, sweep


def check(params: dict) -> None:
    """Check every section of params before any work: each value against its settings class
    (replication.core.settings), each name against the entries it refers to; a SettingsError
    names the params path, the value and what is allowed."""
    from baselines.train import BaselineRecipe
    from replication.approaches.classify import FILLS, ClassifierSettings
    from replication.approaches.refine import VOTES, decisive_tau
    from replication.core.executor import Executor
    from replication.data.degrade import DegradeSettings
    from replication.masks.base import source_class
    from replication.masks.sam2.budget import CPUBudget

    benchmarks, masks = params.get("benchmarks") or {}, params.get("masks") or {}
    baselines, sam2 = params.get("baselines") or {}, params.get("sam2") or {}
    _among("datasets", params.get("datasets") or [], benchmarks, "benchmarks")
    for name in benchmarks:
        benchmark(params, name)
    for name, spec in baselines.items():
        BaselineRecipe.from_entry(spec or {}, f"baselines.{name}")
    for name, spec in masks.items():
        if not isinstance(spec, dict) or "source" not in spec:
            raise ParamsError(f"masks.{name}: names no `source`")
        source_class(spec["source"]).check_entry(spec, f"masks.{name}", models=sam2)
    for name, spec in (params.get("reference_methods") or {}).items():
        from_flags(DegradeSettings, spec or {}, f"reference_methods.{name}")
    refine, classify = params.get("refine") or {}, params.get("classify") or {}
    for key in ("sources", "vote_ablation"):
        _among(f"refine.{key}", refine.get(key, []), masks, "masks")
    for vote in refine.get("ablation_votes", []):
        if vote not in VOTES[1:]:
            raise ParamsError(f"refine.ablation_votes: {vote!r} is not a vote of the ablation; "
                              f"one of {', '.join(VOTES[1:])}")
    decisive_tau(params)
    _among("classify.sources", classify.get("sources", []), masks, "masks")
    _among("classify.baseline_features", classify.get("baseline_features", []), baselines,
           "baselines")
    _among("classify.sam2_features", classify.get("sam2_features", []), sam2, "sam2")
    from_flags(ClassifierSettings, classify.get("train") or {}, "classify.train")
    if classify.get("fill", FILLS[0]) not in FILLS:
        raise ParamsError(f"classify.fill: {classify['fill']!r} is not allowed; it must be one "
                          f"of {', '.join(FILLS)}")
    swept = sweep(params)
    _among("sweep.source", [swept.source] if swept.levels else [], masks, "masks")
    metric_settings(params)
    from_flags(Executor, params.get("executor") or {}, "executor")
    from_flags(CPUBudget, params.get("sam2_cpu") or {}, "sam2_cpu")
    for name, spec in (params.get("external") or {}).items():
        if not isinstance(spec, dict) or spec.get("dataset") not in benchmarks or not spec.get(
                "src"):
            raise ParamsError(f"external.{name}: give its `dataset` (one of "
                              f"{sorted(benchmarks)}) and `src` (its prediction folder)")
    resamples = (params.get("report") or {}).get("resamples", 1)
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 1:
        raise ParamsError(f"report.resamples: {resamples!r} is not allowed; it must be an "
                          "integer >= 1 (bootstrap resamples of every interval)")


def _among(where: str, names, entries: dict, section: str) -> None:
    if not isinstance(names, list) or any(n not in entries for n in names):
        unknown = [n for n in names if n not in entries] if isinstance(names, list) else names
        raise ParamsError(f"{where}: {unknown!r} not found under `{section}:` (there: "
                          f"{sorted(entries)}); add the entry or fix the name")
