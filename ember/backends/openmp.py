"""``torch.backends.openmp``: ember's OpenMP threads are oneDNN's (NumPy's BLAS has its own)."""
from . import mkldnn


def is_available() -> bool:
    """Whether ember runs OpenMP threads here: oneDNN's, where it loads."""
    return mkldnn.is_available()
