"""Profiles: named settings (the paper's VSPW and Cityscapes setting) applied to params.yaml.

A profile is a YAML file of keys, each a top-level section (`baselines:`) or a dotted path
(`benchmarks.vspw.source:`), whose value replaces what params has there, whole: a profile's
`baselines:` leaves no other baseline behind (unlike `dvc exp run -S`, which merges mappings and
refuses keys params.yaml lacks). Profiles apply in order, then `--set key=value` overrides
(values read as YAML). The result is checked as the pipeline's first stage checks params
(replication.pipeline.check) before it is written; the params file it replaces is kept beside
it (`<name>.bak`) when its content is not already one a profile can make again.
"""
from __future__ import annotations

import copy
from pathlib import Path

from replication.core import yaml_text
from replication.core.atomic import write_text
from replication.core.errors import OutputError, SettingsError


def load_profile(path: Path) -> dict:
    return yaml_text.read_mapping(path, "profile", " (the suite's are in profiles/)")


def parse_set(text: str) -> tuple[str, object]:
    """`key.path=value` (the value read as YAML)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SettingsError(f"--set {text!r}: give KEY=VALUE, e.g. benchmarks.vspw.source="
                            "/data/VSPW_480p")
    return key.strip(), yaml_text.parse(value)


def apply(params, changes: dict, where: str = ""):
    """`params` (a plain or a round-trip mapping, changed in place and returned) with each key
    of `changes` (a section or a dotted path) replaced whole."""
    for dotted, value in changes.items():
        parts = str(dotted).split(".")
        node = params
        for i, part in enumerate(parts[:-1]):
            if node.get(part) is None:
                node[part] = {}
            if not isinstance(node[part], dict):
                raise SettingsError(f"{where}{dotted}: {'.'.join(parts[:i + 1])} is "
                                    f"{node[part]!r}, not a section; name a key that exists")
            node = node[part]
        node[parts[-1]] = copy.deepcopy(value)
    return params


def apply_files(params_path: Path, profiles: list[Path], sets: list[str]) -> str:
    """The text of `params_path` with the profiles, then the `--set`s, applied; its comments
    stay where their sections stay. Checked whole before it is returned."""
    import io

    from ruamel.yaml import YAML

    from replication.pipeline.check import check

    rt = YAML()
    rt.width = 100
    rt.indent(mapping=2, sequence=4, offset=2)
    params = rt.load(Path(params_path).read_text()) if Path(params_path).is_file() else {}
    for profile in profiles:
        apply(params, load_profile(profile), f"{profile}: ")
    apply(params, dict(parse_set(text) for text in sets), "--set ")
    out = io.StringIO()
    rt.dump(params, out)
    check({**yaml_text.parse(out.getvalue()), "_path": str(params_path)})
    return out.getvalue()


def write_params(path: Path, text: str) -> Path | None:
    """Write params.yaml; the file it replaces is kept as `<name>.bak` (returned), unless it
    is already the same; an existing `.bak` that differs is never replaced."""
    path = Path(path)
    backup = None
    if path.is_file() and path.read_text() != text:
        backup = path.with_name(path.name + ".bak")
        if backup.exists() and backup.read_text() != path.read_text():
            raise OutputError(f"{backup}: holds an earlier params file that is not {path}'s; "
                              "move it away (it may be yours) and apply the profile again")
        write_text(backup, path.read_text())
    write_text(path, text)
    return backup
