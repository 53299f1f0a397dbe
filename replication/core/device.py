"""Choosing the torch device from params: `auto` takes the GPU when there is one."""
from __future__ import annotations

from replication.core.errors import InputError


def pick_device(name: str = "auto"):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {name!r} requested but torch sees no GPU; use `device: auto`")
    return torch.device(name)


def describe_device(dev) -> str:
    """The device in words, for results: `cuda (NVIDIA H100 ...)` or `cpu (AMD EPYC ...,
    2 threads)`: timings and trained weights depend on it."""
    import torch

    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    return f"cpu ({cpu_model()}, {torch.get_num_threads()} threads)"


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), or the machine type elsewhere."""
    import platform

    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine() or "unknown CPU"
