"""Layer 6: the classic networks as ordinary Modules (torchvision's names and key layouts)."""
from .alexnet import AlexNet, alexnet
from .captioner import Captioner
from .charlm import CharLM
from .generative import (VAE, Autoencoder, ConvAutoencoder, ConvVAE, DCGANDiscriminator,
                         DCGANGenerator, DenoisingAutoencoder, LinearAutoencoder,
                         MLPDiscriminator, MLPGenerator, clip_weights, critic_loss,
                         discriminator_loss, generator_loss, gradient_penalty, vae_loss)
from .googlenet import GoogLeNet, Inception, googlenet
from .lenet import LeNet5
from .seq2seq import Seq2Seq
from .resnet import (BasicBlock, Bottleneck, ResidualBlock, ResNet, resnet18, resnet34,
                     resnet50)
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = ["LeNet5", "AlexNet", "alexnet", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "GoogLeNet", "Inception", "googlenet",
           "ResNet", "BasicBlock", "Bottleneck", "ResidualBlock", "resnet18", "resnet34",
           "resnet50", "CharLM", "Seq2Seq", "Captioner", "LinearAutoencoder", "Autoencoder",
           "ConvAutoencoder", "DenoisingAutoencoder", "VAE", "ConvVAE", "vae_loss",
           "MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "discriminator_loss", "generator_loss", "critic_loss", "clip_weights",
           "gradient_penalty"]
