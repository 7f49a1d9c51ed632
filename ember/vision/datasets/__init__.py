"""``ember.vision.datasets``: ``torchvision.datasets``' classes (the same objects as
``ember.datasets``' of those names)."""
from ...datasets import CIFAR10, CIFAR100, MNIST, FakeData, FashionMNIST
from . import folder, utils
from .celeba import CelebA
from .folder import DatasetFolder, ImageFolder
from .stl10 import STL10
from .svhn import SVHN
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "FakeData", "ImageFolder",
           "DatasetFolder", "VisionDataset", "STL10", "SVHN", "CelebA"]
