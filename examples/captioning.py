"""Image captioning in miniature: a CNN encoder starts an LSTM that writes the caption.

    python examples/captioning.py [--epochs 10] [--seed 0]

Generated 24x24 images of a coloured shape in one of four places (ember.datasets.
CaptionedShapes) are captioned with three words, e.g. "blue triangle top". The script trains
ember.models.Captioner with teacher forcing (cross-entropy of each next word) and Adam,
printing the share of held-out images whose greedy caption is exactly right (over 95% within
ten epochs, about twenty seconds on a laptop), then captions a few of them.
"""
from __future__ import annotations

import argparse

import ember
from ember.datasets import CaptionedShapes
from ember.utils.data import DataLoader


def exact(model, data):
    pred = model.caption(data.images)
    return sum(data.decode(p) == data.decode(c) for p, c in zip(pred, data.captions)) / len(data)


def main(argv=None):
    p = argparse.ArgumentParser(description="Caption generated shape images with a CNN + LSTM.")
    p.add_argument("--epochs", type=int, default=10, help="passes over the 2,500 images (10)")
    p.add_argument("--target", type=float, default=1.0, help="stop once held-out exact "
                   "match reaches this (1.0)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    ember.manual_seed(args.seed)
    train = CaptionedShapes(2500, seed=args.seed)
    held = CaptionedShapes(300, seed=10_000 + args.seed)
    model = ember.models.Captioner(len(CaptionedShapes.vocab))
    opt = ember.optim.Adam(model.parameters(), lr=5e-3)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    acc = 0.0
    for epoch in range(1, args.epochs + 1):
        for images, captions in loader:
            captions = captions.t()  # (words, batch), starting with <bos>
            logits = model(images, captions)
            loss = ember.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     captions[1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = exact(model, held)
        print(f"epoch {epoch:2d}  loss {loss.item():.3f}  held-out exact captions {acc:.1%}")
        if acc >= args.target:
            break
    for p_ids, c_ids in zip(model.caption(held.images[:4]), held.captions[:4]):
        print(f"  {held.decode(p_ids):24s} (true: {held.decode(c_ids)})")
    return acc


if __name__ == "__main__":
    main()
