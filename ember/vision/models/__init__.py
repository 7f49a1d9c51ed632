"""``ember.vision.models``: torchvision's model builders, names, state-dict layouts and
pretrained weights (``resnet18(weights=ResNet18_Weights.DEFAULT)``), the model registry
(``list_models``, ``get_model``, ``get_model_weights``, ``get_weight``) and
``feature_extraction``."""
from . import feature_extraction
from ._api import get_model, get_model_builder, get_model_weights, get_weight, list_models
from ._weights import Weights, WeightsEnum
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .convnext import *  # noqa: F401,F403
from .convnext import __all__ as _convnext_all
from .densenet import *  # noqa: F401,F403
from .densenet import __all__ as _densenet_all
from .efficientnet import *  # noqa: F401,F403
from .efficientnet import __all__ as _efficientnet_all
from .googlenet import GoogLeNet, GoogLeNet_Weights, GoogLeNetOutputs, Inception, googlenet
from .mnasnet import *  # noqa: F401,F403
from .mnasnet import __all__ as _mnasnet_all
from .mobilenetv2 import *  # noqa: F401,F403
from .mobilenetv2 import __all__ as _mobilenetv2_all
from .mobilenetv3 import *  # noqa: F401,F403
from .mobilenetv3 import __all__ as _mobilenetv3_all
from .regnet import *  # noqa: F401,F403
from .regnet import __all__ as _regnet_all
from .resnet import *  # noqa: F401,F403
from .resnet import __all__ as _resnet_all
from .shufflenetv2 import *  # noqa: F401,F403
from .shufflenetv2 import __all__ as _shufflenetv2_all
from .squeezenet import *  # noqa: F401,F403
from .squeezenet import __all__ as _squeezenet_all
from .swin_transformer import *  # noqa: F401,F403
from .swin_transformer import __all__ as _swin_all
from .vgg import (VGG, VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights, VGG13_Weights,
                  VGG16_BN_Weights, VGG16_Weights, VGG19_BN_Weights, VGG19_Weights, vgg11,
                  vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)
from .vision_transformer import *  # noqa: F401,F403
from .vision_transformer import __all__ as _vit_all

__all__ = (["AlexNet", "alexnet", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
            "vgg16_bn", "vgg19", "vgg19_bn", "GoogLeNet", "GoogLeNetOutputs", "Inception", "googlenet", "Weights",
            "WeightsEnum", "AlexNet_Weights", "GoogLeNet_Weights", "VGG11_Weights",
            "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
            "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights", "feature_extraction",
            "get_model", "get_model_builder", "get_model_weights", "get_weight", "list_models"]
           + _resnet_all + _mobilenetv2_all + _mobilenetv3_all + _efficientnet_all
           + _densenet_all + _squeezenet_all + _shufflenetv2_all + _convnext_all + _vit_all
           + _swin_all + _regnet_all + _mnasnet_all)
