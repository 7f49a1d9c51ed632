"""``ember.datasets``: standard datasets with ``torchvision.datasets``' names and signatures."""
from .cifar import CIFAR10, CIFAR100, read_cifar_binary
from .fake import FakeData
from .mnist import MNIST, FashionMNIST, read_idx, write_idx
from .shapes import CaptionedShapes
from .text import TextCorpus

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "read_idx", "write_idx",
           "read_cifar_binary", "TextCorpus", "CaptionedShapes", "FakeData"]
