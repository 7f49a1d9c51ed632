"""Moving a PyTorch module's weights into the same ember module, checking the layout."""
from __future__ import annotations

import ember


def copy_torch_state(tm, em) -> None:
    """Load ``tm``'s state dict into ``em`` after checking the keys (in order) and shapes are
    PyTorch's: the test that state dicts move between the two libraries."""
    sd = tm.state_dict()
    assert list(em.state_dict()) == list(sd), "state-dict keys differ from PyTorch's"
    for k, v in em.state_dict().items():
        assert tuple(v.shape) == tuple(sd[k].shape), k
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
