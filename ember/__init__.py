"""ember: a deep-learning framework with PyTorch's API on NumPy (CPU) and CuPy (GPU).

Layer by layer (each imports only the layers below it; the README's "Layout"
lists them): ``backend`` (arrays, devices, dtypes, RNG), ``tensor`` +
``autograd`` (Tensor and reverse-mode differentiation), ``ops`` (every
differentiable function), ``nn``, ``optim``, data, models, training. This
module re-exports the public names and holds no logic.
"""
import sys as _sys

from . import backend
from .backend import (Generator, bfloat16, bool_ as bool, device, dtype, float16, float32, float64,  # noqa: A004
                      get_default_dtype, get_rng_state, initial_seed, int8, int16, int32, int64,
                      manual_seed, seed, set_default_dtype, set_rng_state, uint8)
from .backend import default_generator, get_num_threads, set_num_threads
from .size import Size
from .tensor import Tensor
from ._tensor_types import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                            HalfTensor, IntTensor, LongTensor, ShortTensor)
from . import autograd
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)
from . import ops
from .ops import *  # noqa: F401,F403
from .ops.elementwise import abs, pow, round  # noqa: A004 - PyTorch's names
from .ops.reduce import all, any, max, min, sum  # noqa: A004
from . import accelerator, backends, cuda
from . import nn, optim
from . import models
from . import utils
from . import datasets, vision
from .vision import transforms
from .utils import data as _data  # noqa: F401  (makes ember.utils.data importable)
from .serialization import load, save
from . import compiler, jit, onnx
from . import metrics
from . import viz
from . import distributed
from . import special
from . import fft, linalg
from . import hub
from .compiler import _compile as compile  # noqa: A004 - PyTorch's name
from .tensor import is_inference
from . import amp, cpu
from .amp import autocast
from .amp.grad_scaler import _amp_foreach_non_finite_check_and_unscale_, _amp_update_scale_
from .cuda import amp as _cuda_amp  # noqa: F401 (makes ember.cuda.amp an attribute, as torch's)
from ._amp_state import (autocast_decrement_nesting, autocast_increment_nesting,  # noqa: F401
                         clear_autocast_cache, get_autocast_cpu_dtype, get_autocast_dtype,
                         get_autocast_gpu_dtype, get_autocast_ipu_dtype, get_autocast_xla_dtype,
                         is_autocast_cache_enabled, is_autocast_cpu_enabled, is_autocast_enabled,
                         is_autocast_ipu_enabled, is_autocast_xla_enabled,
                         set_autocast_cache_enabled, set_autocast_cpu_dtype,
                         set_autocast_cpu_enabled, set_autocast_dtype, set_autocast_enabled,
                         set_autocast_gpu_dtype, set_autocast_ipu_dtype, set_autocast_ipu_enabled,
                         set_autocast_xla_dtype, set_autocast_xla_enabled)
from . import return_types
from .backend import OutOfMemoryError  # torch.OutOfMemoryError (also ember.cuda's)
from . import random  # noqa: A004 - torch.random
from ._format import set_printoptions
from ._settings import (are_deterministic_algorithms_enabled, get_default_device,
                        get_deterministic_debug_mode, get_float32_matmul_precision,
                        is_deterministic_algorithms_warn_only_enabled, set_default_device,
                        set_deterministic_debug_mode, set_float32_matmul_precision,
                        use_deterministic_algorithms)
from ._tensor_types import set_default_tensor_type
from ._typeinfo import finfo, iinfo
from ._memory_format import (channels_last, channels_last_3d, contiguous_format, memory_format,
                             preserve_format)
from ._storage import (BFloat16Storage, BoolStorage, ByteStorage, CharStorage, DoubleStorage,
                       FloatStorage, HalfStorage, IntStorage, LongStorage, ShortStorage,
                       TypedStorage, UntypedStorage, is_storage)
from ._assertions import _assert
from math import e, inf, nan, pi  # noqa: E402 - PyTorch re-exports these constants
newaxis = None
fill_ = Tensor.fill_  # PyTorch's torch.fill_(tensor, value)
from . import distributions

half, double, long, short = float16, float64, int64, int16
from .backend import complex64, complex128  # noqa: E402
cfloat, cdouble = complex64, complex128
float = float32  # noqa: A001 - PyTorch's alias ember.float == float32
int = int32  # noqa: A001 - PyTorch's alias ember.int == int32


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def is_floating_point(t: Tensor) -> bool:
    return t.is_floating_point()


__version__ = "0.1.0"

# ``import ember.transforms`` finds the package that ``ember.transforms`` names.
_sys.modules[__name__ + ".transforms"] = transforms
for _sub in ("functional", "transforms", "autoaugment"):  # and its modules, the same objects
    _sys.modules[f"{__name__}.transforms.{_sub}"] = getattr(transforms, _sub)
