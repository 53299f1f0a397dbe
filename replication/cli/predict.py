"""`vss predict`: segment dataset splits with a trained baseline."""
from __future__ import annotations

from pathlib import Path

from replication.cli import common
from replication.core.executor import Executor

HELP = "segment dataset splits with a trained baseline"


def add_arguments(p) -> None:
    common.add_dataset(p)
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file or folder")
    p.add_argument("--model", help="model of a checkpoint that is not ours (mmseg zoo)")
    p.add_argument("--mit", help="SegFormer size of such a checkpoint")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="fully unpickle a checkpoint from elsewhere (only files you trust)")
    common.add_device(p)
    p.add_argument("--out", type=Path, required=True, help="prediction folder to write")
    common.add_settings(p, Executor)
    common.add_not_run(p)


def run(args) -> None:
    from baselines.predict import predict
    from replication.core.not_run import require_ran

    require_ran(args.checkpoint if args.checkpoint.is_dir() else None)
    info = predict(args.checkpoint, common.dataset(args), common.splits(args, "eval"), args.out,
                   device=args.device, model_name=args.model, mit=args.mit,
                   trust=args.trust_checkpoint, executor=common.executor(args))
    print(f"{info['frames']} frames at {info['fps']:.2f} frames/s on {info['device']} "
          f"-> {args.out}")
