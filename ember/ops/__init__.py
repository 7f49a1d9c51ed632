"""Layer 2: every differentiable function, one module per op family.

Importing this package also binds the functions as Tensor methods and
operators (``_methods.py``).
"""
from .activation import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .products import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .margin_loss import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .upsample import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .sort import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .search import *  # noqa: F401,F403
from .trig import *  # noqa: F401,F403
from .specfun import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .blas import *  # noqa: F401,F403
from .strided import *  # noqa: F401,F403
from .index_update import *  # noqa: F401,F403
from .bitwise import *  # noqa: F401,F403
from .grids import *  # noqa: F401,F403
from .conv3d import *  # noqa: F401,F403
from .pool3d import *  # noqa: F401,F403
from .grid_sample import *  # noqa: F401,F403
from .complex_ops import *  # noqa: F401,F403
from .spectral import *  # noqa: F401,F403
from .linsolve import *  # noqa: F401,F403
from .decomp import *  # noqa: F401,F403
from .detnorm import *  # noqa: F401,F403
from .matfn import *  # noqa: F401,F403
from . import _methods  # noqa: F401  (binds Tensor methods)
