"""Layer 6: the classic networks as ordinary Modules: the lectures' own (LeNet-5, the
character LM, seq2seq, the captioner, autoencoders, VAEs, GANs) and torchvision's builders
(the same objects as ``ember.vision.models``', with torchvision's names and key layouts)."""
from ..vision.models import (VGG, AlexNet, BasicBlock, Bottleneck, GoogLeNet, Inception,
                             ResidualBlock, ResNet, alexnet, googlenet, resnet18, resnet34,
                             resnet50, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19,
                             vgg19_bn)
from .captioner import Captioner
from .charlm import CharLM
from .generative import (VAE, Autoencoder, ConvAutoencoder, ConvVAE, DCGANDiscriminator,
                         DCGANGenerator, DenoisingAutoencoder, LinearAutoencoder,
                         MLPDiscriminator, MLPGenerator, clip_weights, critic_loss,
                         discriminator_loss, generator_loss, gradient_penalty, vae_loss)
from .lenet import LeNet5
from .seq2seq import Seq2Seq

__all__ = ["LeNet5", "AlexNet", "alexnet", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "GoogLeNet", "Inception", "googlenet",
           "ResNet", "BasicBlock", "Bottleneck", "ResidualBlock", "resnet18", "resnet34",
           "resnet50", "CharLM", "Seq2Seq", "Captioner", "LinearAutoencoder", "Autoencoder",
           "ConvAutoencoder", "DenoisingAutoencoder", "VAE", "ConvVAE", "vae_loss",
           "MLPGenerator", "MLPDiscriminator", "DCGANGenerator", "DCGANDiscriminator",
           "discriminator_loss", "generator_loss", "critic_loss", "clip_weights",
           "gradient_penalty"]
