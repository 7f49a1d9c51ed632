"""Folders of files, one sub-folder per class: ``DatasetFolder`` and ``ImageFolder``, as
``torchvision.datasets.folder``.

The samples are listed once, at construction (classes sorted, files sorted within each
class, sub-folders walked); a file is read only when its item is asked for, by ``loader``.
A file Pillow cannot read is one error that names it.
"""
from __future__ import annotations

import os
import struct

from .vision import VisionDataset

__all__ = ["IMG_EXTENSIONS", "has_file_allowed_extension", "is_image_file", "find_classes",
           "make_dataset", "DatasetFolder", "ImageFolder", "pil_loader", "accimage_loader",
           "default_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions) -> bool:
    """Whether ``filename`` ends (case-insensitively) with one of ``extensions`` (a string or
    a tuple of lowercase extensions)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def is_image_file(filename: str) -> bool:
    """Whether ``filename`` has one of the :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """The class folders of ``directory``: ``(classes, class_to_idx)``, the names sorted and
    numbered in that order. Raises ``FileNotFoundError`` when there is none."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty: bool = False) -> list:
    """The samples ``[(path, class_index), ...]`` under ``directory``: classes in sorted
    order, each class folder walked (following links) with folders and files in sorted
    order. A file counts when it has one of ``extensions`` or when ``is_valid_file(path)``
    says so (exactly one of the two must be given). A class without any file is a
    ``FileNotFoundError`` unless ``allow_empty``."""
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any "
                         "samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    instances = []
    found = set()
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            shown = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {shown}"
        raise FileNotFoundError(msg)
    return instances


class DatasetFolder(VisionDataset):
    """Samples stored as ``root/<class>/**/<file>``, read by ``loader``.

    Args:
        root: the folder holding one sub-folder per class.
        loader: a callable reading a sample from its path.
        extensions: the file extensions that count (exclusive with ``is_valid_file``).
        transform: applied to each sample.
        target_transform: applied to each class index.
        is_valid_file: a callable deciding from a path whether the file counts.
        allow_empty: accept class folders without any valid file.

    Attributes: ``classes`` (sorted names), ``class_to_idx``, ``samples`` (list of
    ``(path, class_index)``), ``targets`` (the class indices). Override :meth:`find_classes`
    or :meth:`make_dataset` for another layout.
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx=class_to_idx, extensions=extensions,
                                    is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty: bool = False) -> list:
        """The module-level :func:`make_dataset` with this dataset's ``class_to_idx``
        (required here, so an overridden :meth:`find_classes` is the one obeyed)."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions,
                            is_valid_file=is_valid_file, allow_empty=allow_empty)

    def find_classes(self, directory):
        """The class folders of ``directory`` (see :func:`find_classes`)."""
        return find_classes(directory)

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)


def pil_loader(path):
    """The image at ``path`` as an RGB PIL image. A file Pillow cannot identify (or whose
    header is broken) raises ``PIL.UnidentifiedImageError`` and one it cannot decode
    (truncated, corrupt data) raises ``OSError``; both messages name the file."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    name = os.fspath(path)
    with open(path, "rb") as f:
        try:
            img = Image.open(f)
        except (UnidentifiedImageError, SyntaxError, ValueError, EOFError, struct.error) as exc:
            why = "" if isinstance(exc, UnidentifiedImageError) else f": {exc}"
            raise UnidentifiedImageError(
                f"{name}: cannot identify the image file (not an image format Pillow reads, "
                f"or a corrupt file{why})") from None
        try:
            return img.convert("RGB")
        except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
            raise OSError(f"{name}: cannot decode the {img.format} image ({exc}); the file is "
                          "corrupt or truncated") from None


def accimage_loader(path):
    """Refused: ember reads images with Pillow only."""
    raise NotImplementedError(f"accimage_loader({os.fspath(path)!r}): ember has no accimage "
                              "backend; images are read with Pillow (use pil_loader or "
                              "default_loader)")


def default_loader(path):
    """The image at ``path`` as an RGB PIL image (:func:`pil_loader`: ember's only image
    backend is Pillow)."""
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """Images stored as ``root/<class>/**/<image>``: a :class:`DatasetFolder` whose files are
    those with one of the :data:`IMG_EXTENSIONS` (unless ``is_valid_file`` decides) and whose
    samples are RGB PIL images (``loader=default_loader``). ``imgs`` is ``samples``.

    Args:
        root: the folder holding one sub-folder per class.
        transform: applied to each image (e.g. ``transforms.Compose([...])``).
        target_transform: applied to each class index.
        loader: reads an image from its path.
        is_valid_file: a callable deciding from a path whether the file counts.
        allow_empty: accept class folders without any image.
    """

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty: bool = False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
