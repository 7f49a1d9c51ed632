"""PyTorch reference models for the benchmarks (torch is passed in: imported by the caller)."""
from __future__ import annotations


def torch_resnet18_small(torch):
    """ResNet-18 with a 3x3 stem and no max pool, written with torch.nn (torchvision-free):
    the reference for ember.models.resnet18(small_input=True) (`ember bench`'s builder)."""
    from ember.bench import resnet18_small  # noqa: PLC0415

    return resnet18_small(torch)
