"""params.yaml as the library's settings: the one place that knows its layout.

dvc.yaml names things (a benchmark, a baseline, a masklet source) and the `vss` commands look
them up here with `--params params.yaml`; flag-style keys (`weight-decay`, as the CLI spells
them) become the fields of a settings dataclass (`weight_decay`, replication.core.settings),
whose defaults are the only defaults. Which rows a benchmark gets is replication.pipeline.specs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from replication.core import yaml_text
from replication.core.errors import SettingsError
from replication.core.settings import Settings, from_flags, setting
from replication.metrics.specs import MetricSettings


class ParamsError(SettingsError):
    """A params.yaml entry that is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Benchmark(Settings):
    """A `benchmarks:` entry: where a benchmark is and which splits each stage works on."""

    name: str = setting("camvid", flag=False)
    root: Path = setting(Path("data/camvid"), "where `vss fetch` puts it (every stage reads "
                         "it)", flag=False)
    source: tuple[str, ...] = setting((), "your copy (folder or official archives); empty: the "
                                      "public download (CamVid) or not run", flag=False)
    link: bool = setting(False, "hard-link the files of a folder source instead of copying",
                         flag=False)
    train: str = setting("train", "the split networks and classifiers train on", flag=False)
    eval: tuple[str, ...] = setting((), "the splits predicted and scored", flag=False)
    masks: tuple[str, ...] = setting((), "the splits with masklets", flag=False)
    region: str = setting("", "the split of the tables' mIoU and mBIoU", flag=False)
    temporal: str = setting("", "the split of mVC and TC (consecutive labelled frames); empty: "
                            "none", flag=False)

    def validate(self) -> None:
        from replication.data.registry import reader

        splits = reader(self.name).splits
        for field in ("train", "eval", "masks"):
            value = getattr(self, field)
            if any(s not in splits for s in ((value,) if isinstance(value, str) else value)):
                self.reject(field, f"splits of {self.name}: {', '.join(splits)}")
        if self.region not in self.eval:
            self.reject("region", f"one of its eval splits ({', '.join(self.eval)})")
        if self.temporal and self.temporal not in self.eval:
            self.reject("temporal", f"one of its eval splits ({', '.join(self.eval)}) or empty")

    def splits(self, role: str) -> list[str]:
        """The splits of a role: `train`, `eval` or `masks`."""
        value = getattr(self, role)
        return [value] if isinstance(value, str) else list(value)


def load(path: Path) -> dict:
    params = yaml_text.read_mapping(path, "params file")
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
    """The `benchmarks.<name>` entry, checked; what it leaves out takes the reader's defaults."""
    from replication.data.registry import reader

    spec = dict(entry(params, "benchmarks", name))
    cls = reader(name)
    source = spec.pop("source", None) or ()
    defaults = {"root": f"data/{name}", "eval": cls.eval_splits, "masks": cls.splits,
                "region": spec.get("region") or list(spec.get("eval", cls.eval_splits))[-1],
                "temporal": (list(spec.get("eval", cls.eval_splits))[0]
                             if cls.temporal else "")}
    values = {**defaults, **{k: v for k, v in spec.items() if v is not None}}
    values["temporal"] = values["temporal"] or ""
    return from_flags(Benchmark, {**values, "source": (source,) if isinstance(source, str)
                                  else tuple(source)}, f"benchmarks.{name}", name=name)


def metric_settings(params: dict, **overrides) -> MetricSettings:
    """The `metrics:` section (flags of `vss evaluate`) as settings, checked; `overrides`
    (None: not given) win."""
    return from_flags(MetricSettings, params.get("metrics") or {}, "metrics", **overrides)


@dataclass(frozen=True)
class Sweep(Settings):
    """The `sweep:` section: the mask-quality sweep, a masks entry's masklets degraded one way
    at a time (replication.masks.degraded), each step refined and scored like a source."""

    source: str = setting("oracle", "the `masks:` entry whose masklets are degraded", flag=False)
    seed: int = setting(0, "seed of every degradation", flag=False)
    levels: tuple[str, ...] = setting((), "the steps, `<axis>-<level>` (e.g. boundary-4)",
                                      flag=False)

    def validate(self) -> None:
        from replication.masks.axes import parse_level

        for level in self.levels:
            parse_level(level)


def sweep(params: dict) -> Sweep:
    """The `sweep:` section, checked (no levels: no sweep)."""
    return from_flags(Sweep, params.get("sweep") or {}, "sweep")


def sweep_entry(params: dict, dataset: str, level: str) -> dict:
    """The masks entry of one step of the sweep: the `degraded` source over the masks folder of
    `sweep.source` (as dvc.yaml lays it out: masks/<dataset>/<source>)."""
    settings = sweep(params)
    return {"source": "degraded", "of": f"masks/{dataset}/{settings.source}", "degrade": level,
            "seed": settings.seed}
