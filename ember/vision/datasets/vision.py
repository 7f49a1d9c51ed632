"""``VisionDataset``: the base of torchvision's datasets (root, transforms, the repr)."""
from __future__ import annotations

import os

from ...utils.data import Dataset

__all__ = ["VisionDataset", "StandardTransform"]


class VisionDataset(Dataset):
    """Base class of the image datasets, as ``torchvision.datasets.VisionDataset``.

    Args:
        root: the dataset's folder (shown by ``repr``; ``~`` is expanded).
        transforms: a callable taking ``(image, target)`` and returning both transformed.
        transform: a callable applied to the image.
        target_transform: a callable applied to the target.

    ``transforms`` and the pair ``transform``/``target_transform`` exclude each other; the
    pair is wrapped as a :class:`StandardTransform` in ``self.transforms``. Subclasses
    define ``__getitem__`` and ``__len__``.
    """

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body += [repr(self.transforms)]
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [pad + line for line in body])

    def _format_transform_repr(self, transform, head: str) -> list:
        return _format(transform, head)

    def extra_repr(self) -> str:
        return ""


def _format(transform, head):
    lines = repr(transform).splitlines()
    return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]


class StandardTransform:
    """``transform`` applied to the input and ``target_transform`` to the target."""

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format_transform_repr(self, transform, head: str) -> list:
        return _format(transform, head)

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += _format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _format(self.target_transform, "Target transform: ")
        return "\n".join(body)
