"""Read `results/` into methods: what each row is comes from its result's `method` entry (written
by `vss score` from the params that made it: kind, baseline, masklet source, vote, features),
never from its name."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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

    def of_kind(self, *kinds: str) -> list[Method]:
        return [m for m in self.methods.values() if m.kind in kinds]

    @property
    def metrics(self) -> list[str]:
        """mIoU, mBIoU and the mVC windows and TC that were scored (none without a temporal
        split)."""
        temporal = [m.result.get(self.temporal, {}) for m in self.methods.values() if m.ran]
        windows = sorted({k for split in temporal for k in split if k.startswith("mVC")},
                         key=lambda k: int(k[3:]))
        tc = ["TC"] if any(split.get("TC") is not None for split in temporal) else []
        return ["mIoU", "mBIoU", *windows, *tc]


def load_results(results_dir: Path, dataset: str) -> Results:
    root = Path(results_dir)
    methods = {}
    for name, result in _jsons(root / dataset).items():
        what = result.get("method")
        if what is None:
            raise ValueError(f"{root / dataset / name}.json: says not what method it is (no "
                             "`method` entry); results for the report come from `vss score`")
        methods[name] = Method(name, what["kind"], result, what.get("baseline"),
                               what.get("source"), what.get("features"),
                               what.get("vote", "masklet"))
    if not methods:
        raise FileNotFoundError(f"{root / dataset}: no results JSON; run the pipeline first "
                                "(`dvc repro`)")
    roles = next(iter(methods.values())).result.get("roles", {})
    curves = {p.stem: p for p in sorted((root / "training" / dataset).glob("*.csv"))}
    seeds = {r["seed"]: r for r in _jsons(root / "seeds" / dataset).values()}
    return Results(dataset, methods, roles.get("region", ""), roles.get("temporal", ""),
                   _jsons(root / "masks" / dataset), _jsons(root / "sam2"), curves, seeds)


def _jsons(folder: Path) -> dict[str, dict]:
    return {p.name[:-5]: json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))}
