"""``ember.backends``: the switches PyTorch programs read and set (``torch.backends``).

ember runs its CPU work on NumPy (its BLAS for matrix products) and, for convolutions,
pooling, batch norm and recurrent layers, on oneDNN (``mkldnn``, which its switches
control); its GPU work runs through CuPy. It has no cuDNN autotuner and no Apple MPS: those
flags exist so that programs which set or query them run unchanged. ``is_available()``
tells the truth about this machine.
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
