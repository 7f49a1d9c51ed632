"""``torch.backends.openmp``: ember's CPU threads are those of NumPy's BLAS."""


def is_available() -> bool:
    return False
