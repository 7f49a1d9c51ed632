"""LeNet-5 as the lectures draw it."""
from __future__ import annotations

from .. import nn


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., "Gradient-based learning applied to document recognition", 1998).

    For 28x28 images: two valid 5x5 convolutions (6 and 16 maps), each followed
    by 2x2 sub-sampling, then fully connected layers 256-120-84-num_classes.

    Args:
        num_classes: outputs (logits), default 10.
        in_channels: image channels, default 1.
        pool: ``'avg'`` (the original sub-sampling) or ``'max'``.
        activation: ``'tanh'`` (the original) or ``'relu'``.

    Shape: Input (N, in_channels, 28, 28). Output (N, num_classes).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, pool: str = "avg",
                 activation: str = "tanh"):
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"LeNet5: pool must be 'avg' or 'max', got {pool!r}")
        if activation not in ("tanh", "relu"):
            raise ValueError(f"LeNet5: activation must be 'tanh' or 'relu', got {activation!r}")
        act = nn.Tanh if activation == "tanh" else nn.ReLU
        pooling = nn.AvgPool2d if pool == "avg" else nn.MaxPool2d
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.act1 = act()
        self.pool1 = pooling(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.act2 = act()
        self.pool2 = pooling(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.act3 = act()
        self.fc2 = nn.Linear(120, 84)
        self.act4 = act()
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.pool1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        x = self.act3(self.fc1(self.flatten(x)))
        return self.fc3(self.act4(self.fc2(x)))
