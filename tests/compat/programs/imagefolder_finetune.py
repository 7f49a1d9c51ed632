"""Fine-tuning on a folder of images, the way torchvision programs are written: a small
ImageFolder of generated pictures (circles, squares and triangles, each class in its own
family of colours, on random dark backgrounds, saved as PNG and JPEG files, one folder per
class), the usual augmentation pipeline
(Resize, RandomResizedCrop, ColorJitter, ToTensor, Normalize) behind a DataLoader, a network
built from torchvision.ops blocks trained whole, then fine-tuned: the features frozen and a
new classifier head trained alone. Prints one JSON line."""
import json
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.ops import MLP, Conv2dNormActivation, SqueezeExcitation

CLASSES = ["circle", "square", "triangle"]
HUES = [(0, 1, 1), (1, 0, 1), (1, 1, 0)]  # which channels each class keeps dim


def make_folder(root, per_class, seed):
    rng = np.random.default_rng(seed)
    for k, shape in enumerate(CLASSES):
        os.makedirs(os.path.join(root, shape), exist_ok=True)
        for i in range(per_class):
            background = tuple(int(c) for c in rng.integers(0, 60, 3))
            img = Image.new("RGB", (32, 32), background)
            draw = ImageDraw.Draw(img)
            colour = tuple(int(c) for c in rng.integers(150, 256, 3) - 110 * np.array(HUES[k]))
            cx, cy, r = (int(v) for v in rng.integers([12, 12, 7], [20, 20, 11]))
            if shape == "circle":
                draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
            elif shape == "square":
                draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
            else:
                draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
            ext = ".png" if i % 2 else ".jpg"
            img.save(os.path.join(root, shape, f"{i:03d}{ext}"))


def build_model():
    features = nn.Sequential(
        Conv2dNormActivation(3, 8, stride=2),
        Conv2dNormActivation(8, 16, stride=2),
        SqueezeExcitation(16, 4),
        nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Sequential(features, MLP(16, [16, len(CLASSES)], dropout=0.1))


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum())
            total += len(y)
    model.train()
    return correct / total


def train(model, loader, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def main():
    torch.manual_seed(0)
    root = tempfile.mkdtemp()
    make_folder(os.path.join(root, "train"), 20, seed=1)
    make_folder(os.path.join(root, "val"), 10, seed=2)
    mean, std = [0.3, 0.3, 0.3], [0.3, 0.3, 0.3]
    train_tf = transforms.Compose([
        transforms.Resize(28),
        transforms.RandomResizedCrop(24, scale=(0.7, 1.0)),
        transforms.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2),
        transforms.ToTensor(),
        transforms.Normalize(mean, std)])
    val_tf = transforms.Compose([transforms.Resize(24), transforms.ToTensor(),
                                 transforms.Normalize(mean, std)])
    train_set = datasets.ImageFolder(os.path.join(root, "train"), transform=train_tf)
    val_set = datasets.ImageFolder(os.path.join(root, "val"), transform=val_tf)
    train_loader = DataLoader(train_set, batch_size=12, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=30)

    model = build_model()
    losses = train(model, train_loader, torch.optim.Adam(model.parameters(), lr=1e-2), 6)
    accuracy = evaluate(model, val_loader)

    # fine-tune: freeze the features, train a fresh head
    features = model[0]
    for p in features.parameters():
        p.requires_grad_(False)
    model[1] = MLP(16, [16, len(CLASSES)])
    head_losses = train(model, train_loader, torch.optim.Adam(model[1].parameters(), lr=2e-2), 3)
    print(json.dumps({
        "classes": train_set.classes, "class_to_idx": train_set.class_to_idx,
        "n_train": len(train_set), "n_val": len(val_set),
        "first_files": [os.path.relpath(p, root) for p, _ in train_set.samples[:3]],
        "batch_shape": list(next(iter(train_loader))[0].shape),
        "first_loss": float(np.mean(losses[:2])), "last_loss": float(np.mean(losses[-4:])),
        "accuracy": accuracy,
        "head_first_loss": float(np.mean(head_losses[:2])),
        "head_last_loss": float(np.mean(head_losses[-3:])),
        "head_accuracy": evaluate(model, val_loader),
        "frozen": sum(p.numel() for p in model.parameters() if not p.requires_grad),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "keys": list(model.state_dict())[:8]}))


if __name__ == "__main__":
    main()
