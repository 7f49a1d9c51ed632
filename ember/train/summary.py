"""A model summary table, like Keras' ``model.summary()``."""
from __future__ import annotations

from .._grad_mode import no_grad
from ..ops.creation import zeros

__all__ = ["summary"]


def summary(model, input_size, dtype=None) -> str:
    """Layer, output shape and parameter count of every leaf module, for one forward pass
    of a zero batch of shape ``(1, *input_size)``; returns the table as text."""
    rows, handles = [], []

    def hook(mod, args, out):
        shape = tuple(out.shape) if hasattr(out, "shape") else "-"
        n = sum(p.numel() for p in mod.parameters(recurse=False))
        rows.append((names[id(mod)], type(mod).__name__, shape, n))

    names = {id(m): n for n, m in model.named_modules()}
    for m in model.modules():
        if not m._modules:  # leaf modules only
            handles.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(zeros(1, *input_size, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    w = max([len(f"{n} ({t})") for n, t, _, _ in rows] + [24])
    lines = [f"{'Layer (type)':<{w}}  {'Output shape':<20}  {'Param #':>10}", "=" * (w + 34)]
    for n, t, shape, k in rows:
        lines.append(f"{f'{n} ({t})':<{w}}  {str(shape):<20}  {k:>10,}")
    lines += ["=" * (w + 34), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(lines)
