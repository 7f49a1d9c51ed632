"""``torch.backends.cudnn``: ember does not call cuDNN, so its switches change nothing.

``benchmark``, ``deterministic``, ``enabled`` and ``allow_tf32`` may be set and read as in
PyTorch; ``is_available()`` is False (ember's convolutions are its own, on CuPy's BLAS).
"""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None
