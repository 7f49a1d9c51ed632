"""Grad-CAM (Selvaraju et al., 2017) on a small CNN, the way it is usually written: a forward
hook keeps the target layer's activations, a full backward hook keeps the gradients of the
class score with respect to them, and the heat map is the ReLU of the activations weighted
by the spatially averaged gradients, upsampled to the image size. The network is first
trained a few steps on fixed data; its weights come from a seeded NumPy generator, so the
two libraries start from the same weights."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.classifier = nn.Linear(8, n_classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


class GradCAM:
    def __init__(self, model, target_layer):
        self.model = model
        self.activations = None
        self.gradients = None
        self.calls = {"forward": 0, "backward": 0}
        self.handles = [target_layer.register_forward_hook(self.save_activation),
                        target_layer.register_full_backward_hook(self.save_gradient)]

    def save_activation(self, module, inputs, output):
        self.calls["forward"] += 1
        self.activations = output.detach()

    def save_gradient(self, module, grad_input, grad_output):
        self.calls["backward"] += 1
        self.gradients = grad_output[0].detach()

    def __call__(self, image, class_idx=None):
        self.model.zero_grad()
        scores = self.model(image)
        if class_idx is None:
            class_idx = int(scores.argmax(dim=1)[0])
        scores[0, class_idx].backward()
        weights = self.gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.activations).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=image.shape[-2:], mode="bilinear", align_corners=False)
        cam = cam - cam.min()
        cam = cam / (cam.max() + 1e-12)
        return cam[0, 0], class_idx

    def remove(self):
        for h in self.handles:
            h.remove()


rng = np.random.default_rng(0)
model = SmallCNN().double()
model.load_state_dict({k: torch.tensor(rng.standard_normal(tuple(v.shape)) * 0.3)
                       for k, v in model.state_dict().items()})
images = torch.tensor(rng.standard_normal((12, 1, 8, 8)))
labels = torch.tensor(rng.integers(0, 3, 12))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
losses = []
for step in range(20):
    opt.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    opt.step()
    losses.append(loss.item())

model.eval()
cam = GradCAM(model, model.features[5])  # the last convolution
heat, cls = cam(images[:1])
heat2, _ = cam(images[1:2], class_idx=cls)
cam.remove()
model(images[:1])  # hooks removed: nothing more is recorded
print(json.dumps({
    "first_loss": losses[0], "last_loss": losses[-1], "class_idx": cls,
    "heat_shape": list(heat.shape), "heat": np.round(heat.numpy(), 6).tolist(),
    "heat2": np.round(heat2.numpy(), 6).tolist(), "calls": cam.calls,
    "grad_shape": list(cam.gradients.shape), "act_shape": list(cam.activations.shape),
    "min_max": [float(heat.min()), float(heat.max())]}))
