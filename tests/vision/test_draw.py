"""ember.vision.utils' drawing functions against torchvision.utils', pixel for pixel (both
draw with the same Pillow), on uint8, float and grey images."""
from __future__ import annotations

import glob
import warnings

import numpy as np
import pytest

import ember
import ember.vision.utils as EU

from ._images import chw

torch = pytest.importorskip("torch")
TU = pytest.importorskip("torchvision.utils")

IMG = chw(40, 50)
FLOAT = chw(40, 50, dtype="float32")
BOXES = np.array([[2, 3, 20, 25], [10, 5, 45, 38.7], [0, 0, 49, 39]], dtype=np.float32)
FONTS = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))


def both(fn_name, *arrays, **kw):
    """The function of each library on the same arrays; the two results as arrays."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(EU, fn_name)(*[ember.tensor(a) for a in arrays], **kw)
        theirs = getattr(TU, fn_name)(*[torch.tensor(a) for a in arrays], **kw)
    return ours.numpy(), theirs.numpy()


def assert_same(pair):
    ours, theirs = pair
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("kw", [
    {}, dict(labels=["a", "bb", "cat"]), dict(fill=True, width=3, colors="red"),
    dict(labels=["x", "y", "z"], fill_labels=True, colors=[(255, 0, 0), "#00ff00", "blue"]),
    dict(labels=["x", "y", "z"], label_colors="white", label_background_colors=["black"] * 3,
         fill_labels=True),
    dict(labels=["x", "y", "z"], font_size=20, colors=(10, 200, 30), width=2),
], ids=["plain", "labels", "fill", "fill_labels", "label_colors", "font_size_alone"])
def test_boxes_pixel_equal(kw):
    assert_same(both("draw_bounding_boxes", IMG, BOXES, **kw))


def test_boxes_on_float_grey_and_oriented_images():
    assert_same(both("draw_bounding_boxes", FLOAT, BOXES, labels=["p", "q", "r"], fill=True))
    assert_same(both("draw_bounding_boxes", IMG[:1], BOXES))
    oriented = np.array([[5, 5, 30, 8, 28, 30, 3, 27], [40, 2, 48, 10, 40, 18, 32, 10]],
                        dtype=np.float32)
    assert_same(both("draw_bounding_boxes", IMG, oriented, fill=True, width=2,
                     labels=["o", "d"]))


@pytest.mark.skipif(not FONTS, reason="no DejaVu TrueType font on this machine")
def test_boxes_with_a_font_file():
    assert_same(both("draw_bounding_boxes", IMG, BOXES, labels=["one", "two", "3"],
                     font=FONTS[0], font_size=14))


def test_boxes_warnings_and_errors():
    with pytest.warns(UserWarning, match="font_size' will be ignored"):
        EU.draw_bounding_boxes(ember.tensor(IMG), ember.tensor(BOXES), font_size=12)
    img = ember.tensor(IMG)
    with pytest.warns(UserWarning, match="No box was drawn"):
        assert EU.draw_bounding_boxes(img, ember.zeros(0, 4)) is img
    bad = BOXES.copy()
    bad[0, 0] = 30
    with pytest.raises(ValueError, match="xmin, ymin, xmax, ymax"):
        EU.draw_bounding_boxes(img, ember.tensor(bad))
    with pytest.raises(ValueError, match="Number of boxes"):
        EU.draw_bounding_boxes(img, ember.tensor(BOXES), labels=["a"])
    with pytest.raises(ValueError, match="Pass individual images"):
        EU.draw_bounding_boxes(ember.tensor(IMG[None]), ember.tensor(BOXES))
    with pytest.raises(ValueError, match="Only grayscale and RGB"):
        EU.draw_bounding_boxes(ember.tensor(chw(8, 8, 4)), ember.tensor(BOXES))
    with pytest.raises(ValueError, match="dtype must be uint8 or float"):
        EU.draw_bounding_boxes(ember.tensor(IMG.astype(np.int32)), ember.tensor(BOXES))
    with pytest.raises(TypeError, match="Tensor expected"):
        EU.draw_bounding_boxes(IMG, ember.tensor(BOXES))
    with pytest.raises(ValueError, match="Number of colors must be"):
        EU.draw_bounding_boxes(img, ember.tensor(BOXES), colors=["red"])


MASKS = np.random.default_rng(3).random((3, 40, 50)) > 0.6


@pytest.mark.parametrize("alpha", [0.8, 0.35, 1.0, 0.0])
def test_segmentation_masks_pixel_equal(alpha):
    assert_same(both("draw_segmentation_masks", IMG, MASKS, alpha=alpha))
    assert_same(both("draw_segmentation_masks", FLOAT, MASKS, alpha=alpha,
                     colors=["red", (0, 10, 200), "#123456"]))
    assert_same(both("draw_segmentation_masks", IMG, MASKS[1], alpha=alpha, colors="green"))


def test_segmentation_masks_errors():
    img = ember.tensor(IMG)
    with pytest.raises(ValueError, match="must be of dtype bool"):
        EU.draw_segmentation_masks(img, ember.tensor(MASKS.astype(np.uint8)))
    with pytest.raises(ValueError, match="same height and width"):
        EU.draw_segmentation_masks(img, ember.tensor(MASKS[:, :10]))
    with pytest.raises(ValueError, match="Pass an RGB image"):
        EU.draw_segmentation_masks(ember.tensor(IMG[:1]), ember.tensor(MASKS))
    with pytest.warns(UserWarning, match="No mask was drawn"):
        assert EU.draw_segmentation_masks(img, ember.zeros(0, 40, 50, dtype=ember.bool)) is img


def test_keypoints_pixel_equal():
    rng = np.random.default_rng(4)
    kp = rng.uniform(0, 40, (2, 5, 2)).astype(np.float32)
    vis = rng.random((2, 5)) > 0.3
    conn = [(0, 1), (1, 2), (3, 4)]
    for image in (IMG, FLOAT):
        assert_same(both("draw_keypoints", image, kp, connectivity=conn, colors="red",
                         radius=3, width=2))
    ours = EU.draw_keypoints(ember.tensor(IMG), ember.tensor(kp), connectivity=conn,
                             colors="blue", visibility=ember.tensor(vis))
    theirs = TU.draw_keypoints(torch.tensor(IMG), torch.tensor(kp), connectivity=conn,
                               colors="blue", visibility=torch.tensor(vis))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="keypoints must be of shape"):
        EU.draw_keypoints(ember.tensor(IMG), ember.tensor(kp[0]))
    with pytest.raises(ValueError, match="same dimensionality"):
        EU.draw_keypoints(ember.tensor(IMG), ember.tensor(kp), visibility=ember.tensor(vis[:1]))
