"""What the `vss` commands share: flags generated from settings dataclasses, the benchmark and
its splits from `--params`, and the not-run flag.

Settings come, in order, from a flag, else the command's params entry, else the dataclass
default (replication.core.settings): each default has its one home, which `--help` shows.
"""
from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path

from replication.core.settings import describe, fields_of, key
from replication.data.registry import READERS

DATASETS = tuple(READERS)


# --- flags from settings ------------------------------------------------------------------------

def flag_names(field) -> tuple[str, ...]:
    flag = field.metadata.get("flag", True)
    names = (key(field.name),) if flag is True else (flag,) if isinstance(flag, str) else flag
    return tuple(f"--{n}" for n in names)


def add_settings(parser, cls, *, skip: tuple[str, ...] = (), note: str = "") -> None:
    """A flag for every field of settings class `cls` that has help and is a flag (less
    `skip`): its type from the annotation, its default and rule in the help."""
    hints = typing.get_type_hints(cls)
    for f in fields_of(cls):
        if f.name in skip or not _is_flag(f):
            continue
        parser.add_argument(*flag_names(f), dest=f.name, default=None,
                            help=_help(f, hints[f.name], note), **_kind(hints[f.name], f))


def given(args, cls, *, skip: tuple[str, ...] = ()) -> dict:
    """The flags of `cls`'s fields that were given, as overrides (field name -> value)."""
    return {f.name: _value(getattr(args, f.name)) for f in fields_of(cls)
            if f.name not in skip and _is_flag(f) and getattr(args, f.name, None) is not None}


def _is_flag(field) -> bool:
    return bool(field.metadata.get("help")) and field.metadata.get("flag", True) is not False


def _value(value):
    return tuple(value) if isinstance(value, list) else value


def _kind(annotation, field) -> dict:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if annotation is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        nargs = "+" if len(args) == 2 and args[1] is Ellipsis else len(args)
        return {"type": args[0], "nargs": nargs}
    kind = {"type": annotation if annotation in (int, float, Path) else str}
    if field.metadata.get("choices"):
        kind["choices"] = field.metadata["choices"]
    return kind


def _help(field, annotation, note: str) -> str:
    default = None if field.default is dataclasses.MISSING else field.default
    shown = "none" if default is None else (" ".join(map(str, default))
                                            if isinstance(default, tuple) else default)
    text = f"{field.metadata['help']} ({describe(annotation)}; default: {shown})"
    text = f"{note}: {text}" if note else text
    return text.replace("%", "%%")  # argparse formats help with %


# --- params, benchmark, dataset -----------------------------------------------------------------

def add_dataset(parser, *, entry: str | None = None, required: bool = True) -> None:
    parser.add_argument("--dataset", choices=DATASETS, required=required)
    add_root(parser)
    parser.add_argument("--splits", "--split", nargs="+",
                        help="default: the benchmark's splits for this command (params), else "
                             "the dataset's own")
    if entry:
        parser.add_argument("--entry", help=f"with --params: take the settings of {entry}")


def add_root(parser) -> None:
    parser.add_argument("--root", type=Path, help="dataset folder (default: the benchmark's "
                        "root in --params, else data/<dataset>)")
    parser.add_argument("--params", type=Path, help="params.yaml: defaults for what is not "
                        "given")


def add_device(parser) -> None:
    parser.add_argument("--device", default="auto", help="where models run: auto (the GPU when "
                        "there is one, else the CPU), cpu, or cuda[:N]")


def add_not_run(parser) -> None:
    parser.add_argument("--record-not-run", action="store_true",
                        help="when an input cannot be had here (a benchmark not fetched, no SAM2 "
                             "checkpoint, an input that did not run), write 'not run' outputs "
                             "with the reason and the fix instead of failing")


def params(args) -> dict:
    """`--params`, loaded once; {} without."""
    from replication.pipeline.params import load

    if not getattr(args, "params", None):
        return {}
    if getattr(args, "_params", None) is None:
        args._params = load(args.params)
    return args._params


def benchmark(args):
    from replication.pipeline import params as params_module

    p = params(args)
    return params_module.benchmark(p, args.dataset) if p else None


def dataset(args):
    from replication.data.registry import get_dataset

    bench = benchmark(args)
    root = args.root or (bench.root if bench else Path("data") / args.dataset)
    return get_dataset(args.dataset, root)


def splits(args, role: str) -> list[str]:
    """The splits a command works on: `--splits`, else the benchmark's for the role (params),
    else the reader's default."""
    from replication.data.registry import reader

    if getattr(args, "splits", None):
        return args.splits
    bench = benchmark(args)
    if bench:
        return bench.splits(role)
    cls = reader(args.dataset)
    return {"train": ["train"], "eval": list(cls.eval_splits), "masks": list(cls.splits)}[role]


def entry(args, section: str) -> dict:
    """The command's params entry (`--entry` under `section`), {} without one."""
    from replication.pipeline.params import entry as params_entry

    return dict(params_entry(params(args), section, args.entry)) if args.entry else {}


def where(args, section: str) -> str:
    """The params path of the command's entry, for messages (`masks.oracle`); "" without one
    (the settings come from flags)."""
    return f"{section}.{args.entry}" if getattr(args, "entry", None) else ""


def executor(args):
    """In-process, or a Ray cluster: the flags, else `executor:` in params."""
    from replication.core.executor import Executor
    from replication.core.settings import from_flags

    return from_flags(Executor, params(args).get("executor") or {}, "executor",
                      **given(args, Executor))


def shard(text: str) -> tuple[int, int]:
    from replication.core.errors import SettingsError

    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        index, count = -1, 0
    if not 0 <= index < count:
        raise SettingsError(f"--shard {text}: give I/N with 0 <= I < N (e.g. 0/4)")
    return index, count
