"""AlexNet."""
from __future__ import annotations

from ... import nn
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(
        "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", 61100840, 56.522, 79.066,
        0.714, 233.087,
        "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg",
        min_size=(63, 63))
    DEFAULT = IMAGENET1K_V1


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep
    convolutional neural networks", 2012), in torchvision's single-tower layout
    (``features``, ``avgpool``, ``classifier``; keys equal torchvision's).

    Shape: Input (N, 3, 224, 224) (any size >= 63 works through the adaptive pool).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


@register_model()
@builder(AlexNet_Weights, legacy=AlexNet_Weights.IMAGENET1K_V1)
def alexnet(**kwargs) -> AlexNet:
    return AlexNet(**kwargs)
