"""`vss deps`: check (or rewrite) the code deps of dvc.yaml's stages."""
from __future__ import annotations

from pathlib import Path

HELP = "check that each dvc.yaml stage depends on the code its command runs (--write: fix it)"


def add_arguments(p) -> None:
    p.add_argument("--dvc-yaml", type=Path, default=Path("dvc.yaml"))
    p.add_argument("--write", action="store_true",
                   help="rewrite the code deps (other deps, comments and layout are kept)")


def run(args) -> None:
    from replication.cli import COMMANDS
    from replication.core.errors import VSSError
    from replication.pipeline import deps

    if args.write:
        changed = deps.write(args.dvc_yaml, COMMANDS)
        print(f"{args.dvc_yaml}: code deps rewritten for "
              + (", ".join(changed) if changed else "no stage (all current)"))
        return
    problems = deps.check(args.dvc_yaml, COMMANDS)
    if problems:
        raise VSSError(f"{args.dvc_yaml}: code deps are not current (fix: `vss deps --write`):\n  "
                       + "\n  ".join(problems))
    print(f"{args.dvc_yaml}: every stage depends on the code it runs")
