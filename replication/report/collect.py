"""Read `results/` into methods: what each results file is (by its name) and what it holds.

Names (set in params.yaml, kept by every stage): `gt`, `gt-degraded` (reference methods),
`<baseline>+refine-<source>` (approach 1; `<baseline>+refine-<anything>` is an ablation variant,
its source read from its inference record), `classify-<source>-<features>` (approach 2, where
<source> is one of the masklet sources in `results/masks/<dataset>/`), anything else a baseline
or an imported method.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = ("gt", "gt-degraded")


@dataclass
class Method:
    name: str
    kind: str                       # reference | baseline | refined | standalone
    result: dict
    baseline: str | None = None     # refined: the refined baseline
    source: str | None = None       # refined, standalone: the masklet source
    features: str | None = None     # standalone: the feature encoder's name
    variant: bool = False           # refined: an ablation (not `<baseline>+refine-<source>`)

    @property
    def ran(self) -> bool:
        return self.result.get("status") != "not run"

    @property
    def inference(self) -> dict:
        return self.result.get("inference", {})


@dataclass
class Results:
    dataset: str
    methods: dict[str, Method]
    masks: dict[str, dict] = field(default_factory=dict)   # source -> masklet statistics
    sam2: dict[str, dict] = field(default_factory=dict)    # model -> checkpoint record
    curves: dict[str, Path] = field(default_factory=dict)  # method -> training-curve CSV
    seeds: dict[int, dict] = field(default_factory=dict)   # extra seed -> {method: headline}

    def of_kind(self, kind: str) -> list[Method]:
        return [m for m in self.methods.values() if m.kind == kind]


def load_results(results_dir: Path, dataset: str) -> Results:
    root = Path(results_dir)
    masks = _jsons(root / "masks" / dataset)
    methods = {}
    for name, result in _jsons(root / dataset).items():
        methods[name] = classify_name(name, result, list(masks))
    if not methods:
        raise FileNotFoundError(f"{root / dataset}: no results JSON; run the pipeline first "
                                "(`dvc repro`)")
    curves = {p.stem: p for p in sorted((root / "training" / dataset).glob("*.csv"))}
    seeds = {r["seed"]: r["methods"] for r in _jsons(root / dataset / "seeds").values()}
    return Results(dataset, methods, masks, _jsons(root / "sam2"), curves, seeds)


def classify_name(name: str, result: dict, sources: list[str]) -> Method:
    """The Method a results name stands for (see the module docstring)."""
    if name in REFERENCE:
        return Method(name, "reference", result)
    if "+refine-" in name:
        baseline, source = name.split("+refine-", 1)
        masks = result.get("inference", {}).get("masks")
        variant = masks is not None and Path(masks).name != source
        return Method(name, "refined", result, baseline=baseline,
                      source=Path(masks).name if variant else source, variant=variant)
    if name.startswith("classify-"):
        rest = name[len("classify-"):]
        source = max((s for s in sources if rest.startswith(s + "-")), key=len, default=None)
        if source is None:
            raise ValueError(f"{name}: no masklet source of results/masks matches its name "
                             f"(known: {sources})")
        return Method(name, "standalone", result, source=source,
                      features=rest[len(source) + 1:])
    return Method(name, "baseline", result)


def _jsons(folder: Path) -> dict[str, dict]:
    return {p.name[:-5]: json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))}
