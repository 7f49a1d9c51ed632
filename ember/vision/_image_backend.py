"""torchvision's top-level helpers: the image backend switch and the tracing test."""
from __future__ import annotations

__all__ = ["get_image_backend", "set_image_backend", "_is_tracing"]

_BACKENDS = ("PIL", "accimage")


def set_image_backend(backend: str) -> None:
    """Choose the package that reads images: ``'PIL'`` (ember's only one). ``'accimage'``
    is torchvision's other option; ember has no accimage reader, so asking for it raises
    rather than leaving the datasets reading with Pillow behind the caller's back."""
    if backend not in _BACKENDS:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    if backend != "PIL":
        raise NotImplementedError("set_image_backend('accimage'): ember reads images with "
                                  "Pillow only ('PIL')")


def get_image_backend() -> str:
    """The package that reads images: always ``'PIL'`` in ember."""
    return "PIL"


def _is_tracing() -> bool:
    """Whether a model is being traced: never in ember (``ember.jit.trace`` runs the
    function eagerly), as ``ember.jit.is_tracing()`` says."""
    from ..jit import is_tracing  # noqa: PLC0415

    return is_tracing()
