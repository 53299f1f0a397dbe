"""`vss refine`: approach 1, a baseline's labels refined with masklets."""
from __future__ import annotations

from pathlib import Path

from replication.approaches.refine import TAU, VOTES
from replication.cli import common

HELP = "refine a baseline's labels with masklets (approach 1)"


def add_arguments(p) -> None:
    common.add_dataset(p)
    p.add_argument("--pred", type=Path, required=True, help="the baseline's prediction folder")
    p.add_argument("--masks", type=Path, required=True, help="a masks folder")
    p.add_argument("--vote", choices=VOTES, default=VOTES[0],
                   help="masklet: over all its frames (the paper's); frame: per frame; "
                        "confidence, decisive, ditta: weighted by the baseline's confidence "
                        "(replication/approaches/refine.py)")
    p.add_argument("--tau", type=float,
                   help=f"decisive: the share of the weighted vote the winner must hold "
                        f"(default: `refine.decisive-tau` in params, else {TAU})")
    p.add_argument("--out", type=Path, required=True)
    common.add_not_run(p)


def run(args) -> None:
    from replication.approaches.refine import decisive_tau, refine_predictions
    from replication.core.errors import SettingsError
    from replication.core.not_run import require_ran

    require_ran(args.pred, args.masks)
    tau = args.tau if args.tau is not None else decisive_tau(common.params(args))
    if not 0 < tau <= 1:
        raise SettingsError(f"--tau: {tau} is not in (0, 1]")
    info = refine_predictions(args.pred, args.masks, common.dataset(args),
                              common.splits(args, "eval"), args.out, vote=args.vote, tau=tau)
    print(f"refined {info['frames']} frames ({info['masklets_per_frame']} masklets per frame) "
          f"at {info['fps_parts']['refiner']:.1f} frames/s (whole method {info['fps']:.2f}) "
          f"-> {args.out}")
