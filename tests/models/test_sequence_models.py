"""The lectures' sequence applications learn: character-level language models (RNN, LSTM,
GRU and a small Transformer) and the encoder-decoder with attention."""
from __future__ import annotations

import math
import pathlib
import runpy

import numpy as np
import pytest

import ember
from ember.datasets import TextCorpus

TEXT = "the quick brown fox jumps over the lazy dog. " * 40
EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"


def _train_charlm(cell, epochs=8):
    corpus = TextCorpus(TEXT, level="char", valid_fraction=0.1)
    ember.manual_seed(0)
    model = ember.models.CharLM(corpus.vocab_size, 32, 64, cell=cell, max_len=64)
    opt = ember.optim.Adam(model.parameters(), lr=1e-2 if cell != "transformer" else 3e-3)
    for _ in range(epochs):
        state = None
        for x, y in corpus.sequences(corpus.train, 32, 8):
            logits, state = model(x, state)
            state = model.detach_state(state)
            loss = ember.nn.functional.cross_entropy(logits.reshape(-1, corpus.vocab_size),
                                                     y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    with ember.no_grad():
        x, y = next(corpus.sequences(corpus.valid, 32, 4))
        logits, _ = model(x)
        bpc = ember.nn.functional.cross_entropy(logits.reshape(-1, corpus.vocab_size),
                                                y.reshape(-1)).item() / math.log(2)
    return model, corpus, bpc


@pytest.mark.parametrize("cell,limit", [("lstm", 0.2), ("gru", 0.2), ("rnn", 0.3),
                                        ("transformer", 2.0)])
def test_charlm_learns_the_text(cell, limit):
    model, corpus, bpc = _train_charlm(cell, epochs=8 if cell != "transformer" else 12)
    unigram = 4.0  # the text's characters carry about 4 bits each on their own
    assert bpc < limit < unigram
    if cell != "transformer":
        greedy = corpus.decode(model.generate(corpus.encode("the quick"), 20, temperature=0))
        assert greedy == " brown fox jumps ove"


def test_charlm_sampling_is_seeded_and_checked():
    model, corpus, _ = _train_charlm("gru", epochs=2)
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    a = model.generate([corpus.stoi["t"]], 30, temperature=1.5, generator=g1)
    b = model.generate([corpus.stoi["t"]], 30, temperature=1.5, generator=g2)
    assert a == b and len(a) == 30 and all(0 <= i < corpus.vocab_size for i in a)
    assert model.training  # generate() restores the mode
    with pytest.raises(ValueError, match="temperature"):
        model.generate([0], 3, temperature=-1)
    with pytest.raises(ValueError, match="prompt"):
        model.generate([], 3)
    with pytest.raises(ValueError, match="cell must be"):
        ember.models.CharLM(10, cell="lstmx")


@pytest.mark.slow
def test_seq2seq_with_attention_reverses_digit_strings(tmp_path, capsys):
    main = runpy.run_path(str(EXAMPLES / "seq2seq_reverse.py"))["main"]
    acc = main(["--steps", "800", "--plot", str(tmp_path / "attention.png")])
    assert acc >= 0.99  # exact match on 300 held-out strings
    assert (tmp_path / "attention.png").stat().st_size > 0
    assert "held-out exact match" in capsys.readouterr().out


def test_seq2seq_attention_weights_are_distributions_over_real_tokens():
    ember.manual_seed(0)
    model = ember.models.Seq2Seq(13, 13, 8, 16)
    src = ember.tensor([[3, 4], [5, 0], [6, 0]])  # the second source has one token
    out, attn = model.translate(src, max_len=4)
    assert tuple(attn.shape[::2]) == (2, 3) and len(out) == 2
    np.testing.assert_allclose(attn.sum(-1).numpy(), 1.0, rtol=1e-6)
    assert float(attn[1, :, 1:].abs().sum()) == 0.0  # no weight on padding
    logits = model(src, ember.tensor([[1, 1], [7, 8], [2, 2]]))
    assert tuple(logits.shape) == (2, 2, 13)


def test_charlm_example_runs(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(TEXT * 3, encoding="utf-8")
    main = runpy.run_path(str(EXAMPLES / "charlm.py"))["main"]
    bpc = main(["--text", str(text), "--steps", "30", "--hidden", "32", "--length", "20",
                "--prompt", "the "])
    out = capsys.readouterr().out
    assert math.isfinite(bpc) and "bits per character" in out and "the " in out


@pytest.mark.slow
def test_captioner_learns_to_describe_shapes(capsys):
    main = runpy.run_path(str(EXAMPLES / "captioning.py"))["main"]
    acc = main(["--epochs", "10", "--target", "0.95"])
    assert acc >= 0.9  # exact three-word captions of held-out images
    assert "held-out exact captions" in capsys.readouterr().out


def test_captioned_shapes_dataset():
    from ember.datasets import CaptionedShapes

    a, b = CaptionedShapes(20, seed=3), CaptionedShapes(20, seed=3)
    np.testing.assert_array_equal(a.images.numpy(), b.images.numpy())
    img, cap = a[0]
    assert tuple(img.shape) == (3, 24, 24) and cap.tolist()[0] == a.stoi["<bos>"]
    assert len(a.decode(cap).split()) == 3 and float(img.max()) <= 1.0
    with pytest.raises(ValueError, match="size >= 12"):
        CaptionedShapes(5, size=8)
