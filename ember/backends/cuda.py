"""``torch.backends.cuda``: whether ember's GPU path (CuPy) is usable, and TF32 switches."""
from .. import backend


class _MatmulFlags:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    """True when CuPy is installed and sees a GPU (the stand-in counts: it runs the GPU path)."""
    return backend.cuda_is_available()
