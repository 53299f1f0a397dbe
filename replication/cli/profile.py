"""`vss profile apply`: named settings (profiles/) applied to params.yaml."""
from __future__ import annotations

from pathlib import Path

HELP = "apply profiles (e.g. profiles/paper-vspw.yaml) and KEY=VALUE settings to params.yaml"


def add_arguments(p) -> None:
    actions = p.add_subparsers(dest="action", required=True)
    apply = actions.add_parser("apply", help=HELP)
    apply.add_argument("profiles", nargs="*", type=Path,
                       help="profile files, applied in order: each key (a section, or a dotted "
                            "path) replaces what params has there, whole")
    apply.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                       help="one more setting after the profiles (VALUE read as YAML), e.g. "
                            "--set benchmarks.vspw.source=/data/VSPW_480p")
    apply.add_argument("--params", type=Path, default=Path("params.yaml"),
                       help="the params file to change (kept as <name>.bak when it differs)")


def run(args) -> None:
    from replication.pipeline.profiles import apply_files, write_params

    text = apply_files(args.params, args.profiles, args.sets)
    backup = write_params(args.params, text)
    names = ", ".join(map(str, args.profiles)) or "no profile"
    print(f"{args.params}: {names} and {len(args.sets)} setting(s) applied"
          + (f"; the previous file is {backup}" if backup else "")
          + "; `dvc repro` runs what changed")
