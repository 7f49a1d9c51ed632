"""``ember.datasets``: standard datasets with ``torchvision.datasets``' names and signatures."""
from .cifar import CIFAR10, CIFAR100, read_cifar_binary
from .fake import FakeData
from .mnist import MNIST, FashionMNIST, read_idx, write_idx
from .shapes import CaptionedShapes
from .text import TextCorpus
# torchvision's folder datasets and the readers of STL-10, SVHN and CelebA live in
# ember.vision.datasets; they are the same objects here.
from ..vision.datasets.celeba import CelebA
from ..vision.datasets.folder import DatasetFolder, ImageFolder
from ..vision.datasets.stl10 import STL10
from ..vision.datasets.svhn import SVHN
from ..vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "read_idx", "write_idx",
           "read_cifar_binary", "TextCorpus", "CaptionedShapes", "FakeData", "ImageFolder",
           "DatasetFolder", "VisionDataset", "STL10", "SVHN", "CelebA"]
