"""nn.utils.prune against PyTorch: the masks (given the same tensors), their combination when
pruning again, ``weight_orig``/``weight_mask`` in the state dict, the gradients, removal,
global pruning, custom methods, the random methods' counts, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn.utils import prune

torch = pytest.importorskip("torch")
tnn = torch.nn
import torch.nn.utils.prune as tprune  # noqa: E402


def _pair(make):
    e, t = make(enn).double(), make(tnn).double()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    return e, t


def _same(a, b):
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_l1_unstructured_then_more_as_pytorch():
    e, t = _pair(lambda nn: nn.Linear(6, 5))
    for amount in (0.3, 5, 0.2):
        prune.l1_unstructured(e, "weight", amount)
        tprune.l1_unstructured(t, "weight", amount)
        _same(e.weight_mask, t.weight_mask)
        _same(e.weight, t.weight)
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in e.named_parameters()] == ["bias", "weight_orig"]
    hook = next(iter(e._forward_pre_hooks.values()))
    assert isinstance(hook, prune.PruningContainer) and len(hook) == 3
    assert int(e.weight_mask.sum()) == int(t.weight_mask.sum()) == 30 - 9 - 5 - 3
    x = np.random.default_rng(0).standard_normal((3, 6))
    eo, to = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    eo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(e.weight_orig.grad.numpy(), t.weight_orig.grad.numpy())
    assert (e.weight_orig.grad.numpy()[e.weight_mask.numpy() == 0] == 0).all()


def test_structured_pruning_and_importance_scores_as_pytorch():
    e, t = _pair(lambda nn: nn.Conv2d(3, 6, 3))
    scores = np.random.default_rng(1).random((6, 3, 3, 3))
    prune.ln_structured(e, "weight", 2, float("inf"), 0, importance_scores=ember.tensor(scores))
    tprune.ln_structured(t, "weight", 2, float("inf"), 0, importance_scores=torch.tensor(scores))
    _same(e.weight_mask, t.weight_mask)
    prune.ln_structured(e, "weight", 0.5, 1, 1)
    tprune.ln_structured(t, "weight", 0.5, 1, 1)
    _same(e.weight_mask, t.weight_mask)
    prune.l1_unstructured(e, "weight", 0.25)
    tprune.l1_unstructured(t, "weight", 0.25)
    _same(e.weight_mask, t.weight_mask)
    prune.identity(e, "bias")
    tprune.identity(t, "bias")
    assert list(e.state_dict()) == list(t.state_dict())
    _same(e.bias_mask, t.bias_mask)


def test_remove_and_is_pruned_as_pytorch():
    e, t = _pair(lambda nn: nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
    assert not prune.is_pruned(e)
    prune.l1_unstructured(e[0], "weight", 0.5)
    tprune.l1_unstructured(t[0], "weight", 0.5)
    assert prune.is_pruned(e) and tprune.is_pruned(t)
    prune.remove(e[0], "weight")
    tprune.remove(t[0], "weight")
    assert list(e.state_dict()) == list(t.state_dict())
    assert not prune.is_pruned(e) and isinstance(e[0].weight, enn.Parameter)
    _same(e[0].weight, t[0].weight)
    assert (e[0].weight.detach().numpy() == 0).sum() == 6
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(e[0], "weight")


def test_global_unstructured_as_pytorch():
    e, t = _pair(lambda nn: nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 3)))
    prune.l1_unstructured(e[1], "weight", 3)
    tprune.l1_unstructured(t[1], "weight", 3)
    params = [(0, "weight"), (1, "weight"), (1, "bias")]
    prune.global_unstructured([(e[i], n) for i, n in params], prune.L1Unstructured, amount=0.5)
    tprune.global_unstructured([(t[i], n) for i, n in params], tprune.L1Unstructured, amount=0.5)
    for i, n in params:
        _same(getattr(e[i], n + "_mask"), getattr(t[i], n + "_mask"))
    assert list(e.state_dict()) == list(t.state_dict())
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE'):
        prune.global_unstructured([(e[0], "bias")], prune.LnStructured, amount=1, n=2, dim=0)


def test_random_pruning_counts_and_masks():
    ember.manual_seed(0)
    m = enn.Linear(10, 10)
    prune.random_unstructured(m, "weight", 0.3)
    assert int(m.weight_mask.sum()) == 70
    prune.random_structured(m, "weight", 3, dim=1)
    cols = m.weight_mask.detach().numpy().sum(0)
    assert (cols == 0).sum() >= 3
    masks = set()
    for seed in range(5):
        ember.manual_seed(seed)
        n = prune.random_unstructured(enn.Linear(4, 4), "weight", 8)
        masks.add(tuple(n.weight_mask.detach().numpy().reshape(-1)))
    assert len(masks) > 1


def test_custom_method_and_prune_of_a_tensor():
    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.reshape(-1)[::2] = 0
            return mask

    mod = enn.Linear(2, 3)
    method = EveryOther.apply(mod, "weight")
    assert isinstance(method, EveryOther) and method._tensor_name == "weight"
    np.testing.assert_array_equal(mod.weight_mask.numpy(), [[0, 1], [0, 1], [0, 1]])
    t = ember.tensor([[1.0, -3.0], [0.5, 2.0]])
    np.testing.assert_array_equal(prune.L1Unstructured(amount=2).prune(t).numpy(),
                                  [[0.0, -3.0], [0.0, 2.0]])
    custom = prune.custom_from_mask(enn.Linear(2, 2), "bias", ember.tensor([0.0, 1.0]))
    np.testing.assert_array_equal(custom.bias.detach().numpy()[0], 0.0)


def test_pruning_errors_as_pytorch():
    for mod, nn in ((prune, enn), (tprune, tnn)):
        with pytest.raises(ValueError, match="should either be a float in the range"):
            mod.l1_unstructured(nn.Linear(2, 3), "weight", 1.5)
        with pytest.raises(TypeError, match="Invalid type for amount"):
            mod.l1_unstructured(nn.Linear(2, 3), "weight", "half")
        with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
            mod.l1_unstructured(nn.Linear(2, 3), "weight", 7)
        with pytest.raises(ValueError, match="Structured pruning can only be applied"):
            mod.ln_structured(nn.Linear(2, 3), "bias", 1, 2, 0)
        with pytest.raises(IndexError, match="Invalid index 3"):
            mod.ln_structured(nn.Linear(2, 3), "weight", 1, 2, 3)
        lin = nn.Linear(2, 3)
        with pytest.raises(ValueError):
            mod.l1_unstructured(lin, "weight", 9)
        # the parameter is back (registered last, as PyTorch does), nothing else is left
        assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]
        assert not lin._forward_pre_hooks and "weight_mask" not in lin.state_dict()
