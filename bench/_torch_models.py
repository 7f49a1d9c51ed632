"""PyTorch reference models for the benchmarks (torch is passed in: imported by the caller)."""
from __future__ import annotations


def torch_resnet18_small(torch):
    """ResNet-18 with a 3x3 stem and no max pool, written with torch.nn (torchvision-free):
    the reference for ember.models.resnet18(small_input=True)."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, i, o, s):
            super().__init__()
            self.conv1 = nn.Conv2d(i, o, 3, s, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(o)
            self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(o)
            self.down = None
            if s != 1 or i != o:
                self.down = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))

        def forward(self, x):
            idt = x if self.down is None else self.down(x)
            out = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(out)) + idt)

    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    i = 64
    for o, s in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(i, o, s), Block(o, o, 1)]
        i = o
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)
