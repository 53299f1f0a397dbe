"""Settings dataclasses: each knob of a stage has one home, with its default, its help text and
the rule its value must satisfy, and is checked when the settings object is built.

    @dataclass
    class Oracle(Settings):
        window: int = setting(32, "frames per window", min=1)

`Settings.__post_init__` checks every field's type and rule; `from_flags` builds an instance
from params (flag-style keys, `weight-decay`) and command-line overrides and names where a bad
value was set (`masks.oracle.window: -4 is not allowed ...`). The CLI generates its flags from
the same fields (replication.cli.common), so `--help` shows these defaults.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path

from replication.core.errors import SettingsError


def setting(default=dataclasses.MISSING, help: str = "", *, choices=None, min=None, max=None,
            above=None, below=None, flag: bool | str | tuple[str, ...] = True, factory=None,
            kw_only: bool = False):
    """A dataclass field with its help and rule: `choices`, `min`/`max` (inclusive),
    `above`/`below` (exclusive; for tuples, every element). `flag`: False for no CLI flag, or
    the flag's name (or names) when it is not the field's (`sam2-config`). `factory`: makes
    the default (for a nested settings object). `kw_only`: a base class's field that
    subclasses' positional fields may follow."""
    rule = {"help": help, "choices": tuple(choices) if choices else None, "min": min,
            "max": max, "above": above, "below": below, "flag": flag}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple default (settings are immutable values)")
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=rule, kw_only=kw_only)
    return dataclasses.field(default=default, metadata=rule, kw_only=kw_only)


class Settings:
    """Mixin for settings dataclasses: every field is checked when an instance is built."""

    def __post_init__(self):
        check_fields(self)
        self.validate()

    def validate(self) -> None:
        """Rules between fields (override; raise SettingsError via `self.reject`)."""

    def reject(self, field: str, allowed: str) -> None:
        found = next(f for f in fields_of(self) if f.name == field)
        raise SettingsError(_message(found, getattr(self, field), allowed))


def key(name: str) -> str:
    """The params / flag spelling of a field name: `weight_decay` -> `weight-decay`."""
    return name.replace("_", "-")


def fields_of(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.name.startswith("_")]


def from_flags(cls, flags: dict, where: str = "", **overrides):
    """An instance of dataclass `cls` from params-style `flags` (unknown keys are named) and
    keyword `overrides` (None: not given). `where` (e.g. `masks.oracle`) prefixes messages."""
    known = {f.name for f in fields_of(cls)}
    values = {}
    for name, value in {**flags, **{k: v for k, v in overrides.items() if v is not None}}.items():
        field = name.replace("-", "_")
        if field not in known:
            raise SettingsError(f"{_at(where, key(field))}: unknown setting; known: "
                                f"{sorted(key(k) for k in known)} (fix the spelling in "
                                "params.yaml or the flag)")
        values[field] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**values)
    except SettingsError as exc:
        raise SettingsError(f"{where}.{exc}" if where else str(exc)) from None


def check_fields(obj) -> None:
    """Check each field of dataclass instance `obj` against its annotation and its rule."""
    hints = typing.get_type_hints(type(obj))
    for f in fields_of(obj):
        value = getattr(obj, f.name)
        allowed = _type_check(hints[f.name], value)
        if allowed is None and f.metadata:
            allowed = _rule_check(f.metadata, value)
        if allowed is not None:
            raise SettingsError(_message(f, value, allowed))


def describe(annotation) -> str:
    """An annotation in words, for messages and help."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [describe(a) for a in args if a is not type(None)]
        return " or ".join(inner) + (" or null" if type(None) in args else "")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {describe(args[0])}s"
        return f"a list of {len(args)} {describe(args[0])}s"
    return {int: "an integer", float: "a number", bool: "true or false", str: "text",
            Path: "a path"}.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _type_check(annotation, value) -> str | None:
    """None when `value` fits `annotation`, else what would."""
    return None if _fits(annotation, value) else describe(annotation)


def _fits(annotation, value) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(a, value) for a in args)
    if annotation is type(None):
        return value is None
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(args[0], v) for v in value)
        return len(value) == len(args) and all(_fits(a, v) for a, v in zip(args, value))
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value))
    if annotation is Path:
        return isinstance(value, (str, Path))
    if annotation in (str, dict):
        return isinstance(value, annotation)
    return True  # anything else (a loaded model, a callable): not a setting of params


def _rule_check(rule, value) -> str | None:
    if value is None:
        return None
    values = value if isinstance(value, tuple) else (value,)
    if rule.get("choices") and value not in rule["choices"]:
        return "one of " + ", ".join(map(str, rule["choices"]))
    bounds = [(rule.get("min"), ">=", lambda v, b: v >= b), (rule.get("max"), "<=",
                                                             lambda v, b: v <= b),
              (rule.get("above"), ">", lambda v, b: v > b),
              (rule.get("below"), "<", lambda v, b: v < b)]
    for bound, word, ok in bounds:
        if bound is not None and not all(isinstance(v, (int, float)) and ok(v, bound)
                                         for v in values):
            return " and ".join(f"{w} {b}" for b, w, _ in bounds if b is not None)
    return None


def _message(field, value, allowed: str) -> str:
    """`key: value is not allowed; it must be <allowed> (<what it is>). Set it in ...`."""
    shown = list(value) if isinstance(value, tuple) else value
    meta = field.metadata or {}
    flag = meta.get("flag", True)
    names = (key(field.name),) if flag is True else (flag,) if isinstance(flag, str) else flag
    where = "params.yaml" + (f" or with --{names[0]}" if names else "")
    what = f" ({meta['help']})" if meta.get("help") else ""
    return (f"{key(field.name)}: {shown!r} is not allowed; it must be {allowed}{what}. "
            f"Set it in {where}")


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
