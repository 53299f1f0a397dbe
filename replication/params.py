"""params.yaml as the library's settings: the one place that knows its layout.

dvc.yaml names things (a benchmark, a baseline, a masklet source) and the `vss` commands look
them up here with `--params params.yaml`; flag-style keys (`weight-decay`, as the CLI spells
them) become the fields of a settings dataclass (`weight_decay`), whose defaults are the only
defaults. `methods` says which rows a benchmark gets, from the params that make them.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path


class ParamsError(ValueError):
    """A params.yaml entry that is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Benchmark:
    name: str
    root: Path
    source: tuple[str, ...] = ()
    link: bool = False
    train: str = "train"
    eval: tuple[str, ...] = ()
    masks: tuple[str, ...] = ()
    region: str = ""
    temporal: str = ""

    def splits(self, role: str) -> list[str]:
        """The splits of a role: `train`, `eval` or `masks`."""
        value = getattr(self, role)
        return [value] if isinstance(value, str) else list(value)


def load(path: Path) -> dict:
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: params file not found")
    params = yaml.safe_load(path.read_text()) or {}
    params["_path"] = str(path)
    return params


def entry(params: dict, section: str, name: str) -> dict:
    """`params[section][name]`, or an error naming what is there."""
    entries = params.get(section) or {}
    if name not in entries:
        raise ParamsError(f"{params.get('_path', 'params')}: no `{name}` under `{section}:` "
                          f"(there: {sorted(entries)})")
    return entries[name]


def benchmark(params: dict, name: str) -> Benchmark:
    from replication.data.registry import reader

    spec = dict(entry(params, "benchmarks", name))
    cls = reader(name)
    source = spec.pop("source", None) or ()
    return Benchmark(
        name=name, root=Path(spec.pop("root", f"data/{name}")),
        source=(source,) if isinstance(source, str) else tuple(source),
        link=spec.pop("link", False), train=spec.pop("train", "train"),
        eval=tuple(spec.pop("eval", cls.eval_splits)), masks=tuple(spec.pop("masks", cls.splits)),
        region=spec.pop("region", cls.eval_splits[-1]),
        temporal=spec.pop("temporal", cls.eval_splits[0] if cls.temporal else "") or "",
        **_no_more(spec, f"benchmarks.{name}"))


def from_flags(cls, flags: dict, **overrides):
    """An instance of dataclass `cls` from a params dict of flags (unknown keys are named);
    `overrides` that are None are left to the dataclass' defaults."""
    known = {f.name for f in fields(cls)}
    values = {}
    for key, value in {**flags, **{k: v for k, v in overrides.items() if v is not None}}.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ParamsError(f"unknown setting {key!r} for {cls.__name__}; known: "
                              f"{sorted(k.replace('_', '-') for k in known)}")
        values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


TC_KEYS = ("tc-flow", "raft-weights")  # the `metrics` flags of TC, not of the evaluator


def evaluate_options(metrics: dict) -> dict:
    """Keyword arguments of the evaluator from the `metrics` section (flags of `vss evaluate`)."""
    return {key.replace("-", "_"): tuple(v) if isinstance(v, list) else v
            for key, v in metrics.items() if key not in TC_KEYS}


def tc_options(metrics: dict) -> dict:
    """TC's flow backend from the `metrics` section: `tc-flow` (dis | raft | none) and
    `raft-weights`."""
    return {"flow": metrics.get("tc-flow", "dis"),
            "raft_weights": metrics.get("raft-weights") or None,
            "strict": bool(metrics.get("strict-vc", False))}


def methods(params: dict, dataset: str) -> dict[str, dict]:
    """The prediction folders (methods) the pipeline makes for a benchmark, following the stage
    matrices of dvc.yaml: {name: what it is} (kind: reference, baseline, refine, classify or
    external; with the baseline, masklet source, vote and features it was made from). These
    are the rows to score and how the report places them."""
    rows = {name: {"kind": "reference"} for name in params.get("reference_methods") or {}}
    refine = params.get("refine") or {}
    for base in params.get("baselines") or {}:
        rows[base] = {"kind": "baseline"}
        for source in refine.get("sources", []):
            rows[f"{base}+refine-{source}"] = {"kind": "refine", "baseline": base,
                                               "source": source, "vote": "masklet"}
        for source in refine.get("vote_ablation", []):
            rows[f"{base}+refine-{source}-vote-frame"] = {"kind": "refine", "baseline": base,
                                                          "source": source, "vote": "frame"}
    classify = params.get("classify") or {}
    features = [(f, "baseline") for f in classify.get("baseline_features", [])]
    features += [(f, "sam2") for f in classify.get("sam2_features", [])]
    for source in classify.get("sources", []):
        for name, encoder in features:
            rows[f"classify-{source}-{name}"] = {"kind": "classify", "source": source,
                                                 "features": name, "encoder": encoder}
    for name, spec in (params.get("external") or {}).items():
        if spec["dataset"] == dataset:
            rows[name] = {"kind": "external"}
    return rows


def _no_more(spec: dict, where: str) -> dict:
    if spec:
        raise ParamsError(f"unknown keys under {where}: {sorted(spec)}")
    return {}
