"""ember.vision.datasets against torchvision.datasets on files the tests write in the official
formats: image folders, the download/archive helpers, STL-10, SVHN (its MATLAB files), CelebA
and CIFAR-100's class names. torchvision checks the published MD5 of every file (which test
files cannot have) and reads SVHN with SciPy (not installed): those two steps are replaced
on torchvision's side, by an always-true integrity check and by a ``scipy.io.loadmat`` that
returns the arrays the test wrote."""
from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import sys
import tarfile
import types
import zipfile

import numpy as np
import pytest

import ember
import ember.vision.datasets as ED
from ember.vision.datasets import folder as EF
from ember.vision.datasets import utils as EU

from ..datasets.test_datasets import http_server  # noqa: F401 - a fixture
from ._matfile import mat_file

torch = pytest.importorskip("torch")
TD = pytest.importorskip("torchvision.datasets")
from torchvision.datasets import folder as TF  # noqa: E402
from torchvision.datasets import utils as TU  # noqa: E402

RNG = np.random.default_rng(0)


def _image(path, shape, fmt=None, seed=0):
    from PIL import Image

    a = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(a).save(path, format=fmt)


@pytest.fixture
def tree(tmp_path):
    """root/<class>/... with images of several formats, nested folders, capitalised
    extensions, files that are not images, and a link to a folder."""
    root = tmp_path / "tree"
    specs = {"dog": ["b.png", "a.JPG", "sub/c.jpeg", "sub/deeper/d.bmp", "notes.txt"],
             "cat": ["z.png", "y.ppm", "x.tif", "readme"],
             "ant": ["1.webp", "2.PNG", "sub2/3.pgm"]}
    for k, (cls, names) in enumerate(specs.items()):
        for j, name in enumerate(names):
            path = root / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name in ("notes.txt", "readme"):
                path.write_text("not an image")
            else:
                shape = (7, 9) if name.endswith(".pgm") else (7 + j, 9 + k, 3)
                _image(path, shape, seed=10 * k + j)
    (root / "empty_file_not_a_class").write_text("")
    os.symlink(root / "cat", root / "dog" / "linked")
    return root


def test_image_folder_lists_what_torchvision_lists(tree):
    ours, theirs = ED.ImageFolder(tree), TD.ImageFolder(tree)
    assert ours.classes == theirs.classes == ["ant", "cat", "dog"]
    assert ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples and ours.imgs == theirs.imgs
    assert ours.targets == theirs.targets and len(ours) == len(theirs)
    for i in range(len(ours)):
        a, b = ours[i], theirs[i]
        assert a[1] == b[1] and a[0].mode == b[0].mode == "RGB"
        np.testing.assert_array_equal(np.asarray(a[0]), np.asarray(b[0]))
    assert repr(ours) == repr(theirs)
    both = dict(transform=lambda im: im.size, target_transform=lambda y: -y)
    assert ED.ImageFolder(tree, **both)[4] == TD.ImageFolder(tree, **both)[4]


def test_dataset_folder_options_as_torchvision(tree, tmp_path):
    def loader(path):
        return os.path.getsize(path)

    for kw in [dict(extensions=(".png",)), dict(extensions=".txt", allow_empty=True),
               dict(is_valid_file=lambda p: "sub" in p, allow_empty=True)]:
        ours, theirs = ED.DatasetFolder(tree, loader, **kw), TD.DatasetFolder(tree, loader, **kw)
        assert ours.samples == theirs.samples and ours[0] == theirs[0], kw
        assert ours.extensions == theirs.extensions
    for kw in [dict(), dict(extensions=".png", is_valid_file=lambda p: True)]:
        with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
            ED.DatasetFolder(tree, loader, **kw)
    for cls in (ED, TD):  # a class with no valid file: the same error
        with pytest.raises(FileNotFoundError) as err:
            cls.DatasetFolder(tree, loader, extensions=(".txt",))
        if cls is ED:
            ours = str(err.value)
        else:
            assert ours == str(err.value)
    (tree / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes "
                                                "empty_class"):
        ED.ImageFolder(tree)
    ours = ED.ImageFolder(tree, allow_empty=True)
    assert ours.samples == TD.ImageFolder(tree, allow_empty=True).samples
    assert "empty_class" in ours.classes
    bare = tmp_path / "bare"
    bare.mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ED.ImageFolder(bare)

    class OnlyDogs(ED.ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}

    assert {t for _, t in OnlyDogs(tree).samples} == {0} and OnlyDogs(tree).classes == ["dog"]
    with pytest.raises(ValueError, match="class_to_idx parameter cannot be None"):
        ED.DatasetFolder.make_dataset(str(tree), None, extensions=".png")


def test_folder_helpers_equal_torchvisions(tree):
    assert EF.IMG_EXTENSIONS == TF.IMG_EXTENSIONS
    for name in ("a.PNG", "a.png.txt", "b.JpEg", "c"):
        assert EF.is_image_file(name) == TF.is_image_file(name)
        assert EF.has_file_allowed_extension(name, ".txt") == \
            TF.has_file_allowed_extension(name, ".txt")
    assert EF.find_classes(tree) == TF.find_classes(tree)
    assert EF.make_dataset(str(tree), extensions=(".png", ".bmp")) == \
        TF.make_dataset(str(tree), extensions=(".png", ".bmp"))
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        EF.make_dataset(str(tree), {}, extensions=".png")
    img = EF.default_loader(str(tree / "ant" / "sub2" / "3.pgm"))
    assert img.mode == "RGB"
    with pytest.raises(NotImplementedError, match="accimage"):
        EF.accimage_loader(str(tree / "cat" / "z.png"))


def test_a_corrupt_image_is_one_error_naming_it(tree):
    bad = tree / "cat" / "y.ppm"
    bad.write_bytes(b"P6 garbage")
    truncated = tree / "cat" / "z.png"
    truncated.write_bytes(truncated.read_bytes()[:70])
    ds = ED.ImageFolder(tree, transform=lambda im: np.asarray(im).mean())
    from PIL import UnidentifiedImageError

    with pytest.raises(UnidentifiedImageError, match=str(bad)):
        ds[ds.samples.index((str(bad), 1))]
    with pytest.raises(OSError, match=f"{truncated}: cannot decode the PNG image"):
        ds[ds.samples.index((str(truncated), 1))]
    loader = ember.utils.data.DataLoader(ds, batch_size=4)
    with pytest.raises(OSError, match="cat/y.ppm|cat/z.png"):
        list(loader)


# ---------------------------------------------------------------------------- utils

def test_checksums_equal_torchvisions(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(os.urandom(3000))
    assert EU.calculate_md5(p) == TU.calculate_md5(p) == EU.calculate_md5(p, chunk_size=7)
    good = hashlib.md5(p.read_bytes()).hexdigest()  # noqa: S324
    for md5 in (None, good, "0" * 32):
        assert EU.check_integrity(p, md5) == TU.check_integrity(p, md5)
        if md5:
            assert EU.check_md5(p, md5) == TU.check_md5(p, md5)
    assert not EU.check_integrity(tmp_path / "missing")


def _archives(tmp_path):
    src = tmp_path / "src"
    (src / "top" / "inner").mkdir(parents=True)
    (src / "top" / "a.txt").write_text("alpha")
    (src / "top" / "inner" / "b.bin").write_bytes(os.urandom(100))
    out = {}
    for name, mode in [("x.tar.gz", "w:gz"), ("x.tgz", "w:gz"), ("x.tar.bz2", "w:bz2"),
                       ("x.tar", "w"), ("x.tar.xz", "w:xz")]:
        with tarfile.open(tmp_path / name, mode) as tar:
            tar.add(src / "top", arcname="top")
        out[name] = tmp_path / name
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.write(src / "top" / "a.txt", "top/a.txt")
        z.write(src / "top" / "inner" / "b.bin", "top/inner/b.bin")
    out["x.zip"] = tmp_path / "x.zip"
    (tmp_path / "single.txt.gz").write_bytes(gzip.compress(b"just one file"))
    out["single.txt.gz"] = tmp_path / "single.txt.gz"
    return out


def _tree_of(folder):
    return sorted((os.path.relpath(os.path.join(r, f), folder), open(os.path.join(r, f),
                                                                     "rb").read())
                  for r, _, fs in os.walk(folder) for f in fs)


def test_extract_archive_gives_torchvisions_tree(tmp_path):
    for name, path in _archives(tmp_path).items():
        ours, theirs = tmp_path / "ours" / name, tmp_path / "theirs" / name
        ours.mkdir(parents=True)
        theirs.mkdir(parents=True)  # torchvision decompresses a single file into a folder
        r1 = EU.extract_archive(str(path), str(ours))
        r2 = TU.extract_archive(str(path), str(theirs))
        assert _tree_of(ours) == _tree_of(theirs), name
        assert os.path.relpath(r1, ours) == os.path.relpath(r2, theirs)
    assert isinstance(EU.extract_archive(path, tmp_path / "p"), type(path))  # a Path stays one
    with pytest.raises(RuntimeError, match="Unknown compression or archive type: '.rar'"):
        EU.extract_archive(str(tmp_path / "x.rar"))
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b not really")
    with pytest.raises(RuntimeError, match=r"broken\.tar\.gz: cannot extract"):
        EU.extract_archive(str(tmp_path / "broken.tar.gz"), str(tmp_path / "b"))
    assert not (tmp_path / "b").exists() or not os.listdir(tmp_path / "b")
    zp = tmp_path / "rm.zip"
    zp.write_bytes((tmp_path / "x.zip").read_bytes())
    EU.extract_archive(str(zp), str(tmp_path / "rm"), remove_finished=True)
    assert not zp.exists() and (tmp_path / "rm" / "top" / "a.txt").read_text() == "alpha"


def test_download_url_and_archive(tmp_path, http_server):  # noqa: F811
    served, url = http_server
    archive = _archives(served)["x.tar.gz"]
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()  # noqa: S324
    EU.download_and_extract_archive(url + "x.tar.gz", tmp_path / "dl", md5=md5)
    assert (tmp_path / "dl" / "top" / "a.txt").read_text() == "alpha"
    EU.download_url(url + "x.tar.gz", tmp_path / "dl", md5=md5)  # present and intact: kept
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        EU.download_url(url + "x.zip", tmp_path / "bad", md5="0" * 32)
    assert not os.listdir(tmp_path / "bad")  # nothing half-written
    with pytest.raises(RuntimeError, match=f"put nothing.zip into {tmp_path / 'off'}"):
        EU.download_url(url + "nothing.zip", tmp_path / "off")
    with pytest.raises(RuntimeError, match="Google Drive"):
        EU.download_url("https://drive.google.com/file/d/abc/view", tmp_path / "gd")


def test_small_helpers_equal_torchvisions(tmp_path):
    (tmp_path / "d1").mkdir()
    (tmp_path / "f.txt").write_text("")
    (tmp_path / "g.png").write_text("")
    assert sorted(EU.list_dir(tmp_path)) == sorted(TU.list_dir(tmp_path))
    assert sorted(EU.list_files(tmp_path, ".txt", prefix=True)) == \
        sorted(TU.list_files(tmp_path, ".txt", prefix=True))
    assert EU.verify_str_arg("a", "x", ("a", "b")) == "a"
    for args in [(3, "split", ("a",)), ("c", "split", ("a", "b")), ("c", None, ("a",), "boom")]:
        with pytest.raises(ValueError) as ours:
            EU.verify_str_arg(*args)
        with pytest.raises(ValueError) as theirs:
            TU.verify_str_arg(*args)
        assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------------------- STL-10

def _stl10_files(root, n_train=6, n_test=4, n_unlabeled=3):
    folder = root / "stl10_binary"
    folder.mkdir(parents=True)
    for name, n in (("train", n_train), ("test", n_test), ("unlabeled", n_unlabeled)):
        (folder / f"{name}_X.bin").write_bytes(RNG.integers(0, 256, n * 27648, dtype=np.uint8)
                                               .tobytes())
        if name != "unlabeled":
            (folder / f"{name}_y.bin").write_bytes(RNG.integers(1, 11, n, dtype=np.uint8)
                                                   .tobytes())
    (folder / "class_names.txt").write_text("\n".join(f"class{i}" for i in range(10)) + "\n")
    (folder / "fold_indices.txt").write_text("\n".join(" ".join(str(j) for j in range(i % 3,
                                                                                     6, 2))
                                                       for i in range(10)) + "\n")


@pytest.mark.parametrize("split,folds", [("train", None), ("train", 4), ("test", None),
                                         ("unlabeled", None), ("train+unlabeled", 1)])
def test_stl10_reads_torchvisions_arrays(tmp_path, monkeypatch, split, folds):
    _stl10_files(tmp_path)
    monkeypatch.setattr(TD.STL10, "_check_integrity", lambda self: True)
    ours, theirs = ED.STL10(tmp_path, split, folds), TD.STL10(str(tmp_path), split, folds)
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert ours.labels.dtype == theirs.labels.dtype and ours.classes == theirs.classes
    for i in range(len(ours)):
        (a, y), (b, z) = ours[i], theirs[i]
        assert y == z and a.mode == b.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


def test_stl10_missing_and_damaged_files(tmp_path):
    with pytest.raises(RuntimeError, match=f"{tmp_path / 'downloads'}"):
        ED.STL10(tmp_path)
    _stl10_files(tmp_path)
    x = tmp_path / "stl10_binary" / "train_X.bin"
    x.write_bytes(x.read_bytes()[:-10])
    with pytest.raises(RuntimeError, match=r"train_X\.bin: .* not a whole number"):
        ED.STL10(tmp_path)
    with pytest.raises(ValueError, match="Unknown value 'valid' for argument split"):
        ED.STL10(tmp_path, "valid")
    with pytest.raises(ValueError, match=r"range \[0, 10\)"):
        ED.STL10(tmp_path, folds=10)


# ---------------------------------------------------------------------------- SVHN

def _svhn_arrays(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = rng.integers(1, 11, (n, 1)).astype(np.float64)
    y[0] = 10  # the digit 0
    return x, y


@pytest.mark.parametrize("order,compress", [("<", True), ("<", False), (">", True)])
def test_svhn_reads_its_mat_files_as_torchvision(tmp_path, monkeypatch, order, compress):
    x, y = _svhn_arrays(5, 1)
    raw = mat_file([("X", x, None), ("y", y, np.uint8)], order=order, compress=compress)
    (tmp_path / "test_32x32.mat").write_bytes(raw)
    ours = ED.SVHN(tmp_path, split="test")
    fake = types.ModuleType("scipy.io")
    fake.loadmat = lambda path: {"X": x, "y": y}
    monkeypatch.setitem(sys.modules, "scipy", types.ModuleType("scipy"))
    monkeypatch.setitem(sys.modules, "scipy.io", fake)
    monkeypatch.setattr(TD.SVHN, "_check_integrity", lambda self: True)
    theirs = TD.SVHN(str(tmp_path), split="test")
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert ours.labels.dtype == theirs.labels.dtype == np.int64 and ours.labels[0] == 0
    for i in range(5):
        (a, p), (b, q) = ours[i], theirs[i]
        assert p == q
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


def test_mat_reader_types_orders_and_refusals(tmp_path):
    from ember.vision.datasets._matlab import read_mat

    arrays = {"a": np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 5,
              "bb": np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
              "longer_name": np.array([[7.5]]), "u": np.array([[1, 2, 3]], dtype=np.uint32)}
    for order in ("<", ">"):
        for compress in (True, False):
            path = tmp_path / f"v{order == '<'}{compress}.mat"
            path.write_bytes(mat_file(arrays, order=order, compress=compress))
            got = read_mat(str(path))
            assert sorted(got) == sorted(arrays)
            for k, v in arrays.items():
                assert got[k].dtype == v.dtype.newbyteorder("=")
                np.testing.assert_array_equal(got[k], v)
    raw = mat_file({"X": np.zeros((2, 2), np.uint8)}, compress=False)
    (tmp_path / "short.mat").write_bytes(raw[:-6])
    with pytest.raises(RuntimeError, match=r"short\.mat: .* runs past the end"):
        read_mat(str(tmp_path / "short.mat"))
    (tmp_path / "h5.mat").write_bytes(mat_file({}, header="MATLAB 7.3 MAT-file"))
    with pytest.raises(NotImplementedError, match="7.3"):
        read_mat(str(tmp_path / "h5.mat"))
    (tmp_path / "text.mat").write_bytes(b"hello" * 40)
    with pytest.raises(RuntimeError, match="not a MATLAB level-5 MAT-file"):
        read_mat(str(tmp_path / "text.mat"))


def test_svhn_missing_and_bad_files(tmp_path):
    with pytest.raises(RuntimeError, match=f"put train_32x32.mat .* into {tmp_path}"):
        ED.SVHN(tmp_path)
    (tmp_path / "train_32x32.mat").write_bytes(mat_file({"X": np.zeros((4, 4, 3, 1), np.uint8),
                                                         "y": np.ones((1, 1))}))
    with pytest.raises(RuntimeError, match="not SVHN's"):
        ED.SVHN(tmp_path)


# ---------------------------------------------------------------------------- CelebA

ATTRS = ["5_o_Clock_Shadow", "Arched_Eyebrows", "Bald"]


def _celeba_files(root, n=7):
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    for i, name in enumerate(names):
        _image(folder / "img_align_celeba" / name, (11, 9, 3), "JPEG", seed=i)
    rng = np.random.default_rng(2)
    part = [name + " " + str(i % 3) for i, name in enumerate(names)]
    (folder / "list_eval_partition.txt").write_text("\n".join(part) + "\n")
    (folder / "identity_CelebA.txt").write_text(
        "\n".join(f"{name} {rng.integers(1, 50)}" for name in names) + "\n")
    bbox = [f"{name}    {' '.join(str(v) for v in rng.integers(0, 200, 4))}" for name in names]
    (folder / "list_bbox_celeba.txt").write_text(f"{n}\nimage_id x_1 y_1 width height\n" +
                                                 "\n".join(bbox) + "\n")
    lm = [f"{name} {' '.join(str(v) for v in rng.integers(0, 100, 10))}" for name in names]
    (folder / "list_landmarks_align_celeba.txt").write_text(
        f"{n}\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
        "rightmouth_x rightmouth_y\n" + "\n".join(lm) + "\n")
    attr = [f"{name} {' '.join('%2d' % v for v in rng.choice([-1, 1], len(ATTRS)))}"
            for name in names]
    (folder / "list_attr_celeba.txt").write_text(f"{n}\n{' '.join(ATTRS)} \n" +
                                                 "\n".join(attr) + "\n")
    return folder


@pytest.mark.parametrize("split", ["train", "valid", "all"])
def test_celeba_matches_torchvision(tmp_path, monkeypatch, split):
    _celeba_files(tmp_path)
    monkeypatch.setattr(TD.CelebA, "_check_integrity", lambda self: True)
    kinds = ["attr", "identity", "bbox", "landmarks"]
    ours, theirs = ED.CelebA(tmp_path, split, kinds), TD.CelebA(str(tmp_path), split, kinds)
    assert ours.filename == theirs.filename and ours.attr_names == theirs.attr_names
    for name in ("attr", "identity", "bbox", "landmarks_align"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.dtype == ember.int64 and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for i in range(len(ours)):
        (img, t), (timg, tt) = ours[i], theirs[i]
        np.testing.assert_array_equal(np.asarray(img), np.asarray(timg))
        for u, v in zip(t, tt):
            np.testing.assert_array_equal(u.numpy(), v.numpy())
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]
    assert ED.CelebA(tmp_path, split, [])[0][1] is None
    assert int(ED.CelebA(tmp_path, split, "identity")[0][1]) == int(theirs.identity[0, 0])


def test_celeba_missing_files_and_archive(tmp_path):
    with pytest.raises(RuntimeError, match="does not download from Google Drive"):
        ED.CelebA(tmp_path, download=True)
    folder = _celeba_files(tmp_path)
    images = folder / "img_align_celeba"
    with zipfile.ZipFile(folder / "img_align_celeba.zip", "w") as z:
        for p in sorted(images.iterdir()):
            z.write(p, f"img_align_celeba/{p.name}")
    for p in images.iterdir():
        p.unlink()
    images.rmdir()
    md5 = hashlib.md5((folder / "img_align_celeba.zip").read_bytes()).hexdigest()  # noqa: S324
    entry = ED.CelebA.file_list[0]
    patched = [(entry[0], md5, entry[2])] + ED.CelebA.file_list[1:]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ED.CelebA, "file_list", patched)
        ds = ED.CelebA(tmp_path, "all", download=True)
    assert len(ds) == 7 and ds[0][0].size == (9, 11)
    (folder / "identity_CelebA.txt").write_text("000001.jpg x\n")
    with pytest.raises(RuntimeError, match=r"identity_CelebA\.txt: not a CelebA table"):
        ED.CelebA(tmp_path)


# ---------------------------------------------------------------------------- CIFAR-100, names

def test_cifar100_class_names_and_same_objects(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    imgs = RNG.integers(0, 256, (3, 3072)).astype(np.uint8)
    for name in ("train", "test"):
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": imgs, b"fine_labels": [5, 0, 99]}, f)
    assert ED.CIFAR100(tmp_path, train=False).classes[:3] == ["apple", "aquarium_fish", "baby"]
    names = [f"name{i}" for i in range(100)]
    with open(folder / "meta", "wb") as f:
        pickle.dump({"fine_label_names": names, "coarse_label_names": []}, f)
    ds = ED.CIFAR100(tmp_path, train=False)
    assert ds.classes == names and ds.class_to_idx["name7"] == 7
    assert len(ED.CIFAR100.classes) == 100 == len(set(ED.CIFAR100.classes))
    for name in ED.__all__:
        assert getattr(ember.datasets, name) is getattr(ED, name), name
    assert set(ED.__all__) <= set(TD.__all__)
