"""Small names of the census that programs import from PyTorch's and torchvision's paths:
torchvision's image-backend switch and tracing test, ``torch.utils.data._utils.collate`` and
``torch.distributed.is_nccl_available``."""
import numpy as np
import pytest

import ember
import ember.vision as ev
from ember.utils.data._utils.collate import default_collate, default_convert

try:
    import torch
    import torchvision
except ImportError:  # pragma: no cover
    torch = torchvision = None

oracle = pytest.mark.skipif(torchvision is None, reason="torchvision (the oracle) is absent")


@oracle
def test_image_backend_as_torchvision():
    assert ev.get_image_backend() == torchvision.get_image_backend() == "PIL"
    ev.set_image_backend("PIL")
    for lib in (ev, torchvision):
        with pytest.raises(ValueError, match="Invalid backend 'pil'. Options are 'PIL' and "
                                             "'accimage'"):
            lib.set_image_backend("pil")
    assert ev._is_tracing() is False and not torchvision._is_tracing()


def test_accimage_is_refused_and_changes_nothing():
    with pytest.raises(NotImplementedError, match="Pillow only"):
        ev.set_image_backend("accimage")
    assert ev.get_image_backend() == "PIL"


@oracle
def test_collate_under_pytorchs_private_path():
    from torch.utils.data._utils import collate  # noqa: PLC0415

    assert default_collate is ember.utils.data.default_collate
    assert default_convert is ember.utils.data.default_convert
    batch = [{"x": np.ones(3, np.float32) * i, "y": i} for i in range(4)]
    ours, theirs = default_collate(batch), collate.default_collate(batch)
    np.testing.assert_array_equal(ours["x"].numpy(), theirs["x"].numpy())
    np.testing.assert_array_equal(ours["y"].numpy(), theirs["y"].numpy())
    assert str(ours["y"].dtype).split(".")[-1] == str(theirs["y"].dtype).split(".")[-1]


def test_distributed_backends_other_than_mpi_are_absent():
    assert ember.distributed.is_nccl_available() is False
    assert ember.distributed.is_gloo_available() is False
