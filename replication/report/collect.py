"""Read `results/` into methods: what each row is comes from its result's `method` entry (written
by `vss score` from the params that made it: kind, baseline, masklet source, vote, features),
never from its name. The refiner with a step of the mask-quality sweep (its masks: sweep-<step>)
is kept apart from the tables' methods (`swept`; replication.report.sweep)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from replication.core.errors import InputError, MissingInput
from replication.metrics.counts import attach
from replication.metrics.counts import load as load_counts
from replication.metrics.specs import ROLES, MetricSpec, result_specs
from replication.metrics.summaries import unpack
from replication.pipeline.specs import SWEPT

KINDS = ("reference", "baseline", "external", "refine", "classify")


@dataclass
class Method:
    name: str
    kind: str                       # one of KINDS
    result: dict
    baseline: str | None = None     # refine: the refined baseline
    source: str | None = None       # refine, classify: the masklet source
    features: str | None = None     # classify: the feature encoder's name
    vote: str = "masklet"           # refine: masklet (the paper's) or frame (the ablation)

    @property
    def ran(self) -> bool:
        return self.result.get("status") != "not run"

    @property
    def variant(self) -> bool:
        """A refiner ablation (not the paper's setting)."""
        return self.kind == "refine" and self.vote != "masklet"

    @property
    def inference(self) -> dict:
        return self.result.get("inference", {})


@dataclass
class Results:
    dataset: str
    methods: dict[str, Method]
    region: str = ""                                       # split of mIoU and mBIoU
    temporal: str = ""                                     # split of mVC ("": not defined)
    masks: dict[str, dict] = field(default_factory=dict)   # source -> masklet statistics
    sam2: dict[str, dict] = field(default_factory=dict)    # model -> checkpoint record
    curves: dict[str, Path] = field(default_factory=dict)  # method -> training-curve CSV
    seeds: dict[int, dict] = field(default_factory=dict)   # extra seed -> its `vss seeds` run
    sweep: dict[str, dict] = field(default_factory=dict)   # sweep step -> its masks' statistics
    swept: dict[str, Method] = field(default_factory=dict)  # the refiner with a sweep step

    def of_kind(self, *kinds: str) -> list[Method]:
        return [m for m in self.methods.values() if m.kind in kinds]

    @property
    def specs(self) -> dict[str, MetricSpec]:
        """The headline metrics the results carry (replication.metrics.specs), region ones (on
        the region split) before temporal ones (on the temporal split; none without one), in
        the order the evaluator made them; a metric no method has a value of is left out."""
        found: dict[str, dict[str, MetricSpec]] = {role: {} for role in ROLES}
        for method in self.methods.values():
            for role, split in (("region", self.region), ("temporal", self.temporal)):
                values = method.result.get(split) if method.ran and split else None
                for name, spec in result_specs(values or {}).items():
                    if spec.role == role and spec.headline and values.get(name) is not None:
                        found[role].setdefault(name, spec)
        return {name: spec for role in ROLES for name, spec in found[role].items()}

    @property
    def metrics(self) -> list[str]:
        return list(self.specs)

    def videos(self, split: str) -> int:
        """How many videos of `split` were scored (0 without any result of it)."""
        return max((m.result[split]["videos"] for m in self.methods.values()
                    if m.ran and isinstance(m.result.get(split), dict)), default=0)


def load_results(results_dir: Path, dataset: str, counts: Path | None = None) -> Results:
    """The results of `dataset` (`results_dir/<dataset>/*.json`), each with its resampling units
    from `counts/<dataset>/<method>.npz` when there is one (replication.metrics.counts)."""
    root = Path(results_dir)
    methods = {}
    for name, packed in _jsons(root / dataset).items():
        result = unpack(packed)
        path = Path(counts) / dataset / f"{name}.npz" if counts is not None else None
        if path is not None and path.is_file():
            attach(result, load_counts(path))
        what = result.get("method")
        if what is None:
            raise InputError(f"{root / dataset / name}.json: says not what method it is (no "
                             "`method` entry); results for the report come from `vss score`")
        methods[name] = Method(name, what["kind"], result, what.get("baseline"),
                               what.get("source"), what.get("features"),
                               what.get("vote", "masklet"))
    if not methods:
        raise MissingInput(f"{root / dataset}: no results JSON; run the pipeline first "
                                "(`dvc repro`)")
    roles = next(iter(methods.values())).result.get("roles", {})
    curves = {p.stem: p for p in sorted((root / "training" / dataset).glob("*.csv"))}
    seeds = {r["seed"]: r for r in _jsons(root / "seeds" / dataset).values()}
    swept = {name: m for name, m in methods.items()
             if m.kind == "refine" and (m.source or "").startswith(SWEPT)}
    return Results(dataset, {n: m for n, m in methods.items() if n not in swept},
                   roles.get("region", ""), roles.get("temporal", ""),
                   _jsons(root / "masks" / dataset), _jsons(root / "sam2"), curves, seeds,
                   _jsons(root / "masks" / dataset / "sweep"), swept)


def _jsons(folder: Path) -> dict[str, dict]:
    """The JSON files of a folder by name, less hidden ones (score's manifest)."""
    return {p.name[:-5]: json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))
            if not p.name.startswith(".")}
