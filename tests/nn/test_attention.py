"""MultiheadAttention and the Transformer layers against PyTorch in float64: state-dict keys,
outputs, attention weights, and the gradients of inputs and every parameter."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from ..torchsync import copy_torch_state

torch = pytest.importorskip("torch")


def _sync(tm, em):
    copy_torch_state(tm, em)
    tm.eval()
    em.eval()


def _compare(tm, em, arrays, kwargs=lambda m: {}, outputs=lambda o: [o]):
    _sync(tm, em)
    res = []
    for m, mod in ((torch, tm), (ember, em)):
        ins = [m.tensor(a, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's notes on mask types
            outs = [o for o in outputs(mod(*ins, **kwargs(m))) if o is not None]
        sum((o ** 2).sum() for o in outs).backward()
        res.append([o.detach().numpy() for o in outs] + [i.grad.numpy() for i in ins] +
                   [p.grad.numpy() for p in mod.parameters()])
    assert len(res[0]) == len(res[1])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


L, S, N, E = 4, 5, 3, 8
KPM = np.array([[False, False, False, False, True], [False] * 5, [False, False, True, True,
                                                                   True]])
rng0 = np.random.default_rng(0)
AMASK_B = rng0.random((L, S)) > 0.7
AMASK_B[:, 0] = False
AMASK_F = rng0.standard_normal((L, S))
MHA = [
    ("plain", {}, [(L, N, E), (S, N, E), (S, N, E)], {}),
    ("batch_first_kpm_per_head", dict(batch_first=True), [(N, L, E), (N, S, E), (N, S, E)],
     dict(key_padding_mask=KPM, average_attn_weights=False)),
    ("kdim_vdim_bool_mask", dict(kdim=5, vdim=6), [(L, N, E), (S, N, 5), (S, N, 6)],
     dict(attn_mask=AMASK_B)),
    ("bias_kv_zero_attn", dict(add_bias_kv=True, add_zero_attn=True),
     [(L, N, E), (S, N, E), (S, N, E)], dict(attn_mask=AMASK_F, key_padding_mask=KPM)),
    ("no_bias_unbatched_no_weights", dict(bias=False), [(L, E), (S, E), (S, E)],
     dict(need_weights=False)),
    ("causal_3d_mask", {}, [(L, N, E), (L, N, E), (L, N, E)],
     dict(attn_mask=np.repeat(np.triu(np.ones((L, L), bool), 1)[None], N * 2, 0),
          is_causal=True)),
]


@pytest.mark.parametrize("name,kw,shapes,call", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention_matches_pytorch(name, kw, shapes, call):
    rng = np.random.default_rng(1)
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, 2, **kw).double()
    em = ember.nn.MultiheadAttention(E, 2, **kw).double()
    arrays = [rng.standard_normal(s) for s in shapes]
    _compare(tm, em, arrays, lambda m: {k: (m.tensor(v) if isinstance(v, np.ndarray) else v)
                                        for k, v in call.items()}, lambda o: list(o))


LAYERS = [("TransformerEncoderLayer", {}), ("TransformerEncoderLayer",
                                            dict(norm_first=True, activation="gelu")),
          ("TransformerEncoderLayer", dict(batch_first=True, bias=False)),
          ("TransformerDecoderLayer", {}), ("TransformerDecoderLayer",
                                            dict(norm_first=True, batch_first=True))]


@pytest.mark.parametrize("cls,kw", LAYERS, ids=[f"{c}-{kw}" for c, kw in LAYERS])
def test_transformer_layers_match_pytorch(cls, kw):
    rng = np.random.default_rng(2)
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(E, 2, 16, **kw).double()
    em = getattr(ember.nn, cls)(E, 2, 16, **kw).double()
    bf = kw.get("batch_first")
    src = rng.standard_normal((N, L, E) if bf else (L, N, E))
    arrays = [src] + ([rng.standard_normal((N, S, E) if bf else (S, N, E))]
                      if "Decoder" in cls else [])
    _compare(tm, em, arrays)


def test_transformer_matches_pytorch_with_masks():
    rng = np.random.default_rng(3)
    torch.manual_seed(0)
    tm = torch.nn.Transformer(E, 2, 2, 2, 16).double()
    em = ember.nn.Transformer(E, 2, 2, 2, 16).double()
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    mask_e = ember.nn.Transformer.generate_square_subsequent_mask(L, dtype=ember.float64)
    np.testing.assert_array_equal(mask_e.numpy(), mask_t.numpy())

    def call(m):
        return dict(tgt_mask=mask_t if m is torch else mask_e, tgt_is_causal=True,
                    src_key_padding_mask=m.tensor(KPM),
                    memory_key_padding_mask=m.tensor(KPM))
    _compare(tm, em, [rng.standard_normal((S, N, E)), rng.standard_normal((L, N, E))], call)


def test_encoder_stack_and_subclassing_like_pytorch_scripts():
    rng = np.random.default_rng(4)
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, 2, 16), 3,
                                     norm=torch.nn.LayerNorm(E),
                                     enable_nested_tensor=False).double()
    em = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(E, 2, 16), 3,
                                     norm=ember.nn.LayerNorm(E)).double()
    _compare(tm, em, [rng.standard_normal((L, N, E))],
             lambda m: dict(mask=m.tensor(np.triu(np.ones((L, L), bool), 1))))

    class Model(ember.nn.Transformer):  # the language-model example's subclass
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                             num_encoder_layers=nlayers)
            self.decoder = ember.nn.Linear(ninp, ntoken)  # replaces the Transformer decoder

        def forward(self, src):
            return self.decoder(self.encoder(src))

    out = Model(10, E, 2, 16, 2)(ember.randn(L, N, E))
    assert tuple(out.shape) == (L, N, 10)


def test_attention_errors_name_the_shapes():
    mha = ember.nn.MultiheadAttention(E, 2)
    x = ember.randn(L, N, E)
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        mha(x, x, x, attn_mask=ember.zeros(3, 3, dtype=ember.bool))
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        ember.nn.MultiheadAttention(E, 3)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="do not fit"):
        ember.nn.functional.scaled_dot_product_attention(ember.randn(2, 4, 3),
                                                         ember.randn(2, 5, 2),
                                                         ember.randn(2, 5, 2))
