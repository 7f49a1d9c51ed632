"""``ember.vision.datasets``: ``torchvision.datasets``' classes (the same objects as
``ember.datasets``' of those names)."""
from ...datasets import CIFAR10, CIFAR100, MNIST, FakeData, FashionMNIST

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "FakeData"]
