"""``ember.vision.models``: torchvision's model builders, names, state-dict layouts and
pretrained weights (``resnet18(weights=ResNet18_Weights.DEFAULT)``)."""
from ._weights import Weights, WeightsEnum
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .googlenet import GoogLeNet, GoogLeNet_Weights, Inception, googlenet
from .resnet import (BasicBlock, Bottleneck, ResidualBlock, ResNet, ResNet18_Weights,
                     ResNet34_Weights, ResNet50_Weights, resnet18, resnet34, resnet50)
from .vgg import (VGG, VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights, VGG13_Weights,
                  VGG16_BN_Weights, VGG16_Weights, VGG19_BN_Weights, VGG19_Weights, vgg11,
                  vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)

__all__ = ["AlexNet", "alexnet", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn", "GoogLeNet", "Inception", "googlenet", "ResNet",
           "BasicBlock", "Bottleneck", "ResidualBlock", "resnet18", "resnet34", "resnet50",
           "Weights", "WeightsEnum", "AlexNet_Weights", "GoogLeNet_Weights", "ResNet18_Weights",
           "ResNet34_Weights", "ResNet50_Weights", "VGG11_Weights", "VGG11_BN_Weights",
           "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights",
           "VGG19_Weights", "VGG19_BN_Weights"]
