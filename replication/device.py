"""Choosing the torch device from params: `auto` takes the GPU when there is one."""
from __future__ import annotations


def pick_device(name: str = "auto"):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but torch sees no GPU; use `device: auto`")
    return torch.device(name)


def describe_device(dev) -> str:
    """The device in words, for results: `cuda (NVIDIA H100 ...)` or `cpu (2 threads)`."""
    import torch

    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    return f"cpu ({torch.get_num_threads()} threads)"
