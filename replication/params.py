"""params.yaml sections as the library's settings: flag-style keys (`weight-decay`, as the CLI
and dvc.yaml spell them) become the fields of a settings dataclass (`weight_decay`)."""
from __future__ import annotations

from dataclasses import fields


def from_flags(cls, flags: dict, **overrides):
    """An instance of dataclass `cls` from a params dict of flags; unknown keys are named."""
    known = {f.name for f in fields(cls)}
    values = {}
    for key, value in flags.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ValueError(f"unknown setting {key!r} for {cls.__name__}; known: "
                             f"{sorted(k.replace('_', '-') for k in known)}")
        values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**{**values, **overrides})


def evaluate_options(metrics: dict) -> dict:
    """Keyword arguments of the evaluator from the `metrics` section (flags of `vss evaluate`)."""
    return {key.replace("-", "_"): tuple(v) if isinstance(v, list) else v
            for key, v in metrics.items()}
