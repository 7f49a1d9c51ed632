"""``torch.backends.mps``: Apple's Metal devices, which ember does not support."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
