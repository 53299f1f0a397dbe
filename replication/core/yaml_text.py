"""YAML read as DVC reads params.yaml (YAML 1.2, ruamel.yaml): `6e-5` is a number and `on` a
string here exactly as in `dvc params diff` and `dvc exp run -S`, unlike YAML 1.1 readers."""
from __future__ import annotations

from ruamel.yaml import YAML, YAMLError

__all__ = ["YAMLError", "parse"]


def parse(text: str):
    """Plain Python values (dicts, lists, scalars) of one YAML document."""
    return YAML(typ="safe", pure=True).load(text)


def read_mapping(path, what: str, missing: str = "") -> dict:
    """The mapping in the YAML file `path` (a `what`: "params file", "profile"); a missing file,
    bad YAML or another kind of document is named (SettingsError; MissingInput with `missing`,
    a hint, when the file is not there)."""
    from pathlib import Path

    from replication.core.errors import MissingInput, SettingsError

    path = Path(path)
    if not path.is_file():
        raise MissingInput(f"{path}: {what} not found{missing}")
    try:
        data = parse(path.read_text()) or {}
    except YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: holds {type(data).__name__}, not a mapping of keys (a "
                            f"{what} maps names to values)")
    return data
