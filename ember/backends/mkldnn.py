"""``torch.backends.mkldnn``: ember has no oneDNN path."""
enabled = False


def is_available() -> bool:
    return False
