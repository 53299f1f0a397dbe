"""The methods the pipeline makes for a benchmark, from params: one home for their names, kinds
and what each is made from.

`methods(params, dataset)` follows the stage matrices of dvc.yaml (a test checks that they agree
for the default and the miniature params): the reference methods, every baseline, each baseline
refined with every masklet source (vote per masklet), with the sources of the vote ablation
(each of `refine.ablation_votes`) and with each step of the mask-quality sweep (`sweep.levels`),
every masklet source classified with every feature encoder, and the external prediction
folders of that benchmark. Score, report, the seed runs
and the CI profile run from these specs; each prediction folder's record says the same identity
(`describe()`), which score checks.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

KINDS = ("reference", "baseline", "refine", "classify", "external")
VOTE = "masklet"  # the paper's vote: each masklet over all its frames
SWEPT = "sweep-"  # the masks folder of a step of the mask-quality sweep: sweep-<axis>-<level>


@dataclass(frozen=True)
class MethodSpec:
    name: str                    # its prediction folder: predictions/<dataset>/<name>
    kind: str                    # one of KINDS
    stage: str                   # the dvc.yaml stage that makes it
    baseline: str | None = None  # refine: the refined baseline
    source: str | None = None    # refine, classify: the masklet source (a `masks:` entry)
    vote: str | None = None      # refine: masklet (the paper's) or an ablation's
    features: str | None = None  # classify: the feature encoder's name
    encoder: str | None = None   # classify: its kind, `baseline` or `sam2`

    def describe(self) -> dict:
        """The method's identity, as its results and its folder's record say it."""
        return {k: v for k, v in asdict(self).items()
                if v is not None and k not in ("name", "stage")}

    @property
    def trained(self) -> bool:
        """Whether training noise reaches it: a baseline, its refinements, a classifier."""
        return self.kind in ("baseline", "refine", "classify")


def refine_name(baseline: str, source: str, vote: str = VOTE) -> str:
    return f"{baseline}+refine-{source}" + ("" if vote == VOTE else f"-vote-{vote}")


def classify_name(source: str, features: str) -> str:
    return f"classify-{source}-{features}"


def reference(name: str, dataset: str) -> MethodSpec:
    return MethodSpec(name, "reference", f"reference@{dataset}-{name}")


def baseline(name: str, dataset: str) -> MethodSpec:
    return MethodSpec(name, "baseline", f"predict@{dataset}-{name}")


def refinement(base: str, source: str, dataset: str, vote: str = VOTE) -> MethodSpec:
    stage = (f"refine@{dataset}-{base}-{source}" if vote == VOTE else
             f"refine-vote@{dataset}-{base}-{source}-{vote}")
    return MethodSpec(refine_name(base, source, vote), "refine", stage, baseline=base,
                      source=source, vote=vote)


def swept(base: str, level: str, dataset: str) -> MethodSpec:
    """A baseline refined with one step of the mask-quality sweep (`sweep.levels`)."""
    return MethodSpec(refine_name(base, SWEPT + level), "refine",
                      f"refine-sweep@{dataset}-{base}-{level}", baseline=base,
                      source=SWEPT + level, vote=VOTE)


def classifier(source: str, features: str, encoder: str, dataset: str) -> MethodSpec:
    stage = "classify" if encoder == "baseline" else "classify-sam2"
    return MethodSpec(classify_name(source, features), "classify",
                      f"{stage}@{dataset}-{source}-{features}", source=source,
                      features=features, encoder=encoder)


def methods(params: dict, dataset: str) -> dict[str, MethodSpec]:
    """The prediction folders (methods) the pipeline makes for `dataset`, by name, in the order
    of the tables: references, each baseline and its refinements, the classifiers, externals."""
    specs = [reference(name, dataset) for name in params.get("reference_methods") or {}]
    refine = params.get("refine") or {}
    for base in params.get("baselines") or {}:
        specs.append(baseline(base, dataset))
        specs += [refinement(base, s, dataset) for s in refine.get("sources", [])]
        specs += [refinement(base, s, dataset, vote) for s in refine.get("vote_ablation", [])
                  for vote in refine.get("ablation_votes", [])]
        specs += [swept(base, level, dataset)
                  for level in (params.get("sweep") or {}).get("levels", [])]
    classify = params.get("classify") or {}
    encoders = [(f, "baseline") for f in classify.get("baseline_features", [])]
    encoders += [(f, "sam2") for f in classify.get("sam2_features", [])]
    specs += [classifier(source, f, encoder, dataset) for source in classify.get("sources", [])
              for f, encoder in encoders]
    specs += [MethodSpec(name, "external", f"import@{name}")
              for name, spec in (params.get("external") or {}).items()
              if spec["dataset"] == dataset]
    return {spec.name: spec for spec in specs}


def recipe(params: dict) -> dict:
    """The params that make the trained rows: a seed run counts only beside rows made with the
    same (the report leaves out runs of another recipe)."""
    return {key: params.get(key) for key in ("baselines", "refine", "classify", "metrics")}
