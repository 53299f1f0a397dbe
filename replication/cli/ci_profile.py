"""`vss ci-profile`: the CI regression profile, run and compared with its reference."""
from __future__ import annotations

from pathlib import Path

HELP = "the CI regression profile: run and compare"


def add_arguments(p) -> None:
    from replication.experiments.ci_profile import CI_DIR

    p.add_argument("--camvid", type=Path, required=True, help="a full CamVid folder")
    p.add_argument("--work", type=Path, required=True, help="folder for the profile's outputs")
    p.add_argument("--reference", type=Path, default=CI_DIR / "reference_metrics.json")
    p.add_argument("--tolerances", type=Path, default=CI_DIR / "tolerances.json")
    p.add_argument("--write-reference", type=Path,
                   help="write the run's metrics here (e.g. as the new reference) instead of "
                        "comparing")
    p.add_argument("--make-models", action="store_true",
                   help="train the profile's committed models into tests/ci/")


def run(args) -> None:
    from replication.core.atomic import write_json
    from replication.core.errors import VSSError
    from replication.experiments.ci_profile import compare, load_json, make_models, run_profile

    if args.make_models:
        made = make_models(args.camvid, args.work)
        print(f"profile models ({made['fastscnn']['bytes']} + {made['classifier']['bytes']} "
              "bytes) -> tests/ci/")
        return
    headline = run_profile(args.camvid, args.work)
    if args.write_reference:
        write_json(args.write_reference, headline)  # a reference: plain {method: metrics}
        print(f"metrics of {len(headline)} methods -> {args.write_reference}")
        return
    problems = compare(headline, load_json(args.reference), load_json(args.tolerances))
    if problems:
        raise VSSError(f"metric regression against {args.reference}:\n  "
                       + "\n  ".join(problems))
    print(f"{len(headline)} methods match {args.reference}")
