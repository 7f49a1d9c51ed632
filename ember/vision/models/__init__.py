"""``ember.vision.models``: torchvision's model builders, names and state-dict layouts."""
from .alexnet import AlexNet, alexnet
from .googlenet import GoogLeNet, Inception, googlenet
from .resnet import (BasicBlock, Bottleneck, ResidualBlock, ResNet, resnet18, resnet34,
                     resnet50)
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = ["AlexNet", "alexnet", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn", "GoogLeNet", "Inception", "googlenet", "ResNet",
           "BasicBlock", "Bottleneck", "ResidualBlock", "resnet18", "resnet34", "resnet50"]
