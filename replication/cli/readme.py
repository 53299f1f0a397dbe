"""`vss readme`: the README's headline block made equal to reports/headline.md."""
from __future__ import annotations

from pathlib import Path

HELP = "copy reports/headline.md into the README's headline block (scripts/repro.sh runs it)"


def add_arguments(p) -> None:
    p.add_argument("--headline", type=Path, default=Path("reports/headline.md"))
    p.add_argument("--readme", type=Path, default=Path("README.md"))


def run(args) -> None:
    from replication.report.build import update_readme

    changed = update_readme(args.readme, args.headline)
    print(f"{args.readme}: headline table {'updated' if changed else 'already current'} from "
          f"{args.headline}")
