"""``ember.backends``: the switches PyTorch programs read and set (``torch.backends``).

ember runs its CPU work on NumPy's BLAS and its GPU work through CuPy; it has no cuDNN
autotuner, no Apple MPS and no oneDNN path. The flags exist so that programs which set or
query them run unchanged; ``is_available()`` tells the truth about this machine.
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
