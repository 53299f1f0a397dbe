"""params.yaml as the library's settings: the one place that knows its layout.

dvc.yaml names things (a benchmark, a baseline, a masklet source) and the `vss` commands look
them up here with `--params params.yaml`; flag-style keys (`weight-decay`, as the CLI spells
them) become the fields of a settings dataclass (`weight_decay`, replication.core.settings),
whose defaults are the only defaults. Which rows a benchmark gets is replication.pipeline.specs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from replication.core.errors import MissingInput, SettingsError
from replication.core.settings import from_flags
from replication.metrics.specs import MetricSettings


class ParamsError(SettingsError):
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
        raise MissingInput(f"{path}: params file not found")
    try:
        params = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(params, dict):
        raise ParamsError(f"{path}: holds {type(params).__name__}, not a mapping of sections")
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


def metric_settings(params: dict, **overrides) -> MetricSettings:
    """The `metrics:` section (flags of `vss evaluate`) as settings, checked; `overrides`
    (None: not given) win."""
    return from_flags(MetricSettings, params.get("metrics") or {}, "metrics", **overrides)


def _no_more(spec: dict, where: str) -> dict:
    if spec:
        raise ParamsError(f"unknown keys under {where}: {sorted(spec)}")
    return {}
