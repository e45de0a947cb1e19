"""Dataset layer: parsers on tiny hand-written files, checksum machinery, offline errors,
local sources, the folder loader and the shipped digits. No test touches the network."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from imbench.datasets import (
    DATASETS,
    Dataset,
    download,
    get_spec,
    load_dataset,
    load_raw,
    save_raw,
)
from imbench.datasets.download import content_digest
from imbench.datasets.idx import read_idx
from imbench.errors import ConfigError, DataError

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ---------------------------------------------------------------- helpers (independent of
# the code under test: they write the published formats byte by byte)


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    dtype = {0x08: ">u1", 0x0C: ">i4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    return header + array.astype(dtype).tobytes()


def gz(data: bytes, *, name: str = "", mtime: int = 0) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=mtime) as fh:
        fh.write(data)
    return buf.getvalue()


def tiny_arrays(seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return {
        "train": (rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), np.arange(12) % 10),
        "test": (rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6) % 10),
    }


def write_idx_dir(directory: Path, arrays, *, compress: bool = True, mtime: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for split, (images_name, labels_name) in IDX_NAMES.items():
        x, y = arrays[split]
        for name, data in ((images_name, idx_bytes(x)), (labels_name, idx_bytes(y))):
            if compress:
                (directory / f"{name}.gz").write_bytes(gz(data, name=name, mtime=mtime))
            else:
                (directory / name).write_bytes(data)
    return directory


@pytest.fixture
def tiny_digests(monkeypatch):
    """Replace the expected digests of mnist/fashion_mnist by those of :func:`tiny_arrays`."""
    arrays = tiny_arrays()
    table = {
        split: (len(x), content_digest(x, y)) for split, (x, y) in arrays.items()
    }
    monkeypatch.setitem(download.EXPECTED_DIGESTS, "mnist", table)
    monkeypatch.setitem(download.EXPECTED_DIGESTS, "fashion_mnist", table)
    return arrays


@pytest.fixture
def no_network(monkeypatch):
    calls: list[str] = []

    def refuse(request, *args, **kwargs):
        calls.append(getattr(request, "full_url", request))
        raise urllib.error.URLError("network unreachable (test)")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return calls


# ---------------------------------------------------------------- idx parser


def test_read_idx_plain_gz_and_int32(tmp_path):
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "plain").write_bytes(idx_bytes(x))
    (tmp_path / "packed.gz").write_bytes(gz(idx_bytes(x)))
    # Compression is detected from content, not from the name.
    (tmp_path / "misnamed").write_bytes(gz(idx_bytes(x)))
    for name in ("plain", "packed.gz", "misnamed"):
        got = read_idx(tmp_path / name)
        assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
        np.testing.assert_array_equal(got, x)
    wide = np.array([1, -2, 70000], dtype=np.int64)
    (tmp_path / "wide").write_bytes(idx_bytes(wide, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "wide"), wide)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    x = np.zeros((2, 3, 3), dtype=np.uint8)
    (tmp_path / "short").write_bytes(idx_bytes(x)[:-1])
    with pytest.raises(DataError, match="holds 17 data bytes"):
        read_idx(tmp_path / "short")
    (tmp_path / "text").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(DataError, match="not an idx file"):
        read_idx(tmp_path / "text")


# ---------------------------------------------------------------- digests


def test_content_digest_definition_and_invariance():
    x = np.array([[[1, 2]], [[3, 4]], [[5, 6]]], dtype=np.uint8)
    y = np.array([0, 1, 2])
    per_sample = sorted(
        hashlib.sha256(bytes([label]) + img.tobytes()).digest()
        for label, img in zip(y, x, strict=True)
    )
    expected = hashlib.sha256(b"3\n" + b"".join(per_sample)).hexdigest()
    assert content_digest(x, y) == expected
    order = [2, 0, 1]
    assert content_digest(x[order], y[order]) == expected
    assert content_digest(x[..., None], y) == expected
    changed_label = y.copy()
    changed_label[0] = 1
    assert content_digest(x, changed_label) != expected
    assert content_digest(x[:2], y[:2]) != expected


@pytest.mark.parametrize("compress", [True, False])
def test_idx_source_directory_parses_and_verifies(tmp_path, tiny_digests, compress):
    write_idx_dir(tmp_path / "src", tiny_digests, compress=compress)
    ds = load_dataset("mnist", cache_dir=tmp_path / "cache", source=tmp_path / "src")
    assert ds.x_train.shape == (12, 28, 28, 1) and ds.x_train.dtype == np.uint8
    assert ds.y_test.dtype == np.int64
    np.testing.assert_array_equal(ds.x_train[..., 0], tiny_digests["train"][0])
    np.testing.assert_array_equal(ds.y_test, tiny_digests["test"][1])
    assert not (tmp_path / "cache").exists()  # a source means no download, no cache


def test_corrupted_byte_raises_with_expected_and_got(tmp_path, tiny_digests):
    src = write_idx_dir(tmp_path / "src", tiny_digests, compress=False)
    path = src / "t10k-images-idx3-ubyte"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    expected = download.EXPECTED_DIGESTS["mnist"]["test"][1]
    with pytest.raises(DataError) as err:
        load_dataset("mnist", cache_dir=tmp_path / "cache", source=src)
    message = str(err.value)
    assert expected in message
    assert "got " in message and str(path) in message and "test split" in message
    # verify: false accepts the modified file deliberately.
    ds = load_dataset("mnist", cache_dir=tmp_path / "cache", source=src, verify=False)
    assert ds.x_test[-1, -1, -1, 0] == tiny_digests["test"][0][-1, -1, -1] ^ 0xFF


def test_regzipped_file_still_verifies(tmp_path, tiny_digests):
    a = write_idx_dir(tmp_path / "a", tiny_digests, mtime=0)
    b = write_idx_dir(tmp_path / "b", tiny_digests, mtime=1234567)
    name = "train-images-idx3-ubyte.gz"
    # Different gzip headers: a checksum of the downloaded bytes would reject one of them.
    assert (a / name).read_bytes() != (b / name).read_bytes()
    ds = load_dataset("fashion_mnist", cache_dir=tmp_path / "c", source=b)
    assert ds.class_names[0] == "T-shirt/top"
    assert ds.train_counts() == tuple(np.bincount(tiny_digests["train"][1], minlength=10))


# ---------------------------------------------------------------- download / offline


def test_offline_error_names_urls_cache_path_and_source(tmp_path, no_network):
    with pytest.raises(DataError) as err:
        load_dataset("mnist", cache_dir=tmp_path / "cache")
    message = str(err.value)
    for base in download.MIRRORS["mnist"]:
        assert base + "train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz") in message
    assert "source:" in message
    assert len(no_network) == len(download.MIRRORS["mnist"])  # every mirror, in order
    assert no_network[0].startswith(download.MIRRORS["mnist"][0])


def test_offline_flag_never_touches_network(tmp_path, no_network):
    with pytest.raises(DataError, match="not tried: offline") as err:
        load_dataset("cifar10", cache_dir=tmp_path, offline=True)
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in str(err.value)
    assert no_network == []


def test_download_falls_back_to_next_mirror_and_caches(tmp_path, monkeypatch, tiny_digests):
    served = {}
    for split, (images_name, labels_name) in IDX_NAMES.items():
        x, y = tiny_digests[split]
        served[f"{images_name}.gz"] = gz(idx_bytes(x))
        served[f"{labels_name}.gz"] = gz(idx_bytes(y))
    calls: list[str] = []

    def fake_urlopen(request, timeout=None):
        url = request.full_url
        calls.append(url)
        if url.startswith(download.MIRRORS["mnist"][0]):
            raise urllib.error.URLError("first mirror down")
        return io.BytesIO(served[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    ds = load_dataset("mnist", cache_dir=tmp_path)
    assert ds.x_train.shape == (12, 28, 28, 1)
    assert len(calls) == 8  # 4 files x (failed first mirror + second mirror)
    cached = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert cached == sorted(served)  # no leftover .part files
    calls.clear()
    load_dataset("mnist", cache_dir=tmp_path, offline=True)
    assert calls == []


# ---------------------------------------------------------------- CIFAR


def cifar_batch(x: np.ndarray, y: np.ndarray, *, old_numpy_names: bool = False) -> bytes:
    rows = x.transpose(0, 3, 1, 2).reshape(len(x), -1)  # R plane, G plane, B plane
    raw = pickle.dumps({b"data": rows, b"labels": [int(v) for v in y]}, protocol=2)
    if old_numpy_names:
        # The official pickles name numpy.core (numpy < 2); protocol 2 stores names as text.
        raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    return raw


def write_cifar_tar(path: Path, batches: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in batches.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


@pytest.fixture
def tiny_cifar(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (14, 32, 32, 3), dtype=np.uint8)
    y = np.arange(14) % 10
    batches = {
        f"data_batch_{i}": cifar_batch(x[2 * (i - 1): 2 * i], y[2 * (i - 1): 2 * i],
                                       old_numpy_names=i == 1)
        for i in range(1, 6)
    }
    batches["test_batch"] = cifar_batch(x[10:], y[10:])
    monkeypatch.setitem(download.EXPECTED_DIGESTS, "cifar10", {
        "train": (10, content_digest(x[:10], y[:10])),
        "test": (4, content_digest(x[10:], y[10:])),
    })
    return x, y, batches


def test_cifar_tarball_parses_hwc(tmp_path, tiny_cifar):
    x, y, batches = tiny_cifar
    tar = write_cifar_tar(tmp_path / "cifar-10-python.tar.gz", batches)
    for source in (tar, tmp_path):  # the archive itself, or a directory holding it
        ds = load_dataset("cifar10", cache_dir=tmp_path / "cache", source=source)
        np.testing.assert_array_equal(ds.x_train, x[:10])
        np.testing.assert_array_equal(ds.y_test, y[10:])
        assert ds.class_names[-1] == "truck" and ds.x_train.flags.c_contiguous


def test_cifar_refuses_code_in_pickle(tmp_path, tiny_cifar):
    _, _, batches = tiny_cifar
    evil = b"cos\nsystem\n(S'echo pwned'\ntR."
    tar = write_cifar_tar(tmp_path / "c.tar.gz", {**batches, "data_batch_3": evil})
    with pytest.raises(DataError, match="refusing to load os.system"):
        load_dataset("cifar10", cache_dir=tmp_path, source=tar)


@pytest.fixture
def tiny_cifar100(tmp_path, monkeypatch):
    """CIFAR-100's python format in miniature: ``train``, ``test`` and ``meta`` pickles in
    cifar-100-python/, with the member md5s patched to these files'."""
    from imbench.datasets import cifar

    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    fine = np.arange(12) * 7 % 100
    coarse = fine // 5

    def batch(sl: slice) -> bytes:
        rows = x[sl].transpose(0, 3, 1, 2).reshape(len(x[sl]), -1)
        return pickle.dumps({b"data": rows, b"fine_labels": [int(v) for v in fine[sl]],
                             b"coarse_labels": [int(v) for v in coarse[sl]]}, protocol=2)

    files = {"train": batch(slice(0, 8)), "test": batch(slice(8, 12)),
             "meta": pickle.dumps({b"fine_label_names": [f"fine{i}".encode()
                                                         for i in range(100)],
                                   b"coarse_label_names": [f"coarse{i}".encode()
                                                           for i in range(20)]}, protocol=2)}
    monkeypatch.setattr(cifar, "MD5_100", {
        n: hashlib.md5(files[n], usedforsecurity=False).hexdigest() for n in cifar.MD5_100})
    tar = tmp_path / "cifar-100-python.tar.gz"
    with tarfile.open(tar, "w:gz") as t:
        for name, raw in files.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(raw)
            t.addfile(info, io.BytesIO(raw))
    return x, fine, coarse, files, tar


def test_cifar100_fine_and_coarse_labels_from_one_archive(tmp_path, tiny_cifar100):
    x, fine, coarse, files, tar = tiny_cifar100
    ds = load_dataset("cifar100", cache_dir=tmp_path / "cache", source=tar)
    np.testing.assert_array_equal(ds.x_train, x[:8])
    np.testing.assert_array_equal(ds.y_test, fine[8:])
    assert len(ds.class_names) == 100 and ds.class_names[7] == "fine7"  # from meta
    cs = load_dataset("cifar100_coarse", cache_dir=tmp_path / "cache", source=tar)
    np.testing.assert_array_equal(cs.y_train, coarse[:8])
    assert cs.class_names[:2] == ("coarse0", "coarse1")
    # the extracted folder works too
    folder = tmp_path / "extracted" / "cifar-100-python"
    folder.mkdir(parents=True)
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    np.testing.assert_array_equal(
        load_dataset("cifar100", cache_dir=tmp_path / "c", source=folder.parent).y_train,
        fine[:8])
    assert get_spec("cifar100").train_counts() == (500,) * 100
    assert get_spec("cifar100_coarse").train_counts() == (2500,) * 20


def test_cifar100_checks_md5_and_names_the_url_offline(tmp_path, tiny_cifar100, no_network):
    from imbench.datasets import cifar

    _, _, _, files, _ = tiny_cifar100
    folder = tmp_path / "bad" / "cifar-100-python"
    folder.mkdir(parents=True)
    for name, raw in files.items():
        if name == "test":  # one pixel changed: the pickle still parses, its md5 differs
            raw = raw[:200] + bytes([raw[200] ^ 1]) + raw[201:]
        (folder / name).write_bytes(raw)
    with pytest.raises(DataError, match=r"test has md5 .* not the official"):
        load_dataset("cifar100", cache_dir=tmp_path, source=folder)
    assert load_dataset("cifar100", cache_dir=tmp_path, source=folder, verify=False)
    with pytest.raises(DataError, match="not tried: offline") as err:
        load_dataset("cifar100", cache_dir=tmp_path / "empty", offline=True)
    assert "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz" in str(err.value)
    assert no_network == [] and len(cifar.MD5_100) == 3


# ---------------------------------------------------------------- npz sources


def test_npz_source_adds_channel_and_verifies(tmp_path, tiny_digests):
    small = tmp_path / "small.npz"  # right content digest is not enough: shape must match
    np.savez(small, x_train=np.zeros((1, 4, 5), np.uint8), y_train=[0],
             x_test=np.zeros((1, 4, 5), np.uint8), y_test=[0])
    with pytest.raises(DataError, match=r"\(4, 5, 1\), expected \(28, 28, 1\)"):
        load_dataset("fashion_mnist", cache_dir=tmp_path, source=small, verify=False)
    (xtr, ytr), (xte, yte) = tiny_digests["train"], tiny_digests["test"]
    good = tmp_path / "good.npz"
    np.savez(good, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    ds = load_dataset("fashion_mnist", cache_dir=tmp_path, source=good)
    assert ds.x_train.shape == (12, 28, 28, 1) and ds.y_train.dtype == np.int64
    wrong = tmp_path / "wrong.npz"  # e.g. another dataset's file under this name
    np.savez(wrong, x_train=xtr, y_train=(ytr + 1) % 10, x_test=xte, y_test=yte)
    with pytest.raises(DataError, match=r"wrong\.npz.*train split does not match"):
        load_dataset("fashion_mnist", cache_dir=tmp_path, source=wrong)
    assert load_dataset("fashion_mnist", cache_dir=tmp_path, source=wrong, verify=False)


def test_missing_source_path_names_it(tmp_path):
    missing = tmp_path / "nowhere"
    for loader in ("mnist", "cifar10"):
        with pytest.raises(DataError, match=str(missing)):
            load_dataset(loader, cache_dir=tmp_path, source=missing)
    with pytest.raises(DataError, match="nowhere.npz"):
        load_dataset("mnist", cache_dir=tmp_path, source=tmp_path / "nowhere.npz")


@pytest.mark.skipif(not (SHARED_DATA / "fashion_mnist.npz").exists(),
                    reason="shared/data/fashion_mnist.npz not beside the checkout")
def test_real_fashion_mnist_npz_passes_digest(tmp_path):
    ds = load_dataset("fashion_mnist", cache_dir=tmp_path,
                      source=SHARED_DATA / "fashion_mnist.npz", offline=True)
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_test.shape == (10000, 28, 28, 1)
    assert ds.train_counts() == get_spec("fashion_mnist").train_counts()


# ---------------------------------------------------------------- folder


def write_png_tree(root: Path, counts: dict[str, int], shape=(6, 7), seed=0) -> None:
    import skimage.io

    rng = np.random.default_rng(seed)
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            skimage.io.imsave(root / name / f"{i:03d}.png",
                              rng.integers(0, 256, shape, dtype=np.uint8), check_contrast=False)


def test_folder_with_train_test_subfolders(tmp_path):
    write_png_tree(tmp_path / "train", {"cat": 3, "ant": 2})
    write_png_tree(tmp_path / "test", {"cat": 1, "ant": 1}, seed=1)
    ds = load_dataset("folder", cache_dir=tmp_path / "c", path=str(tmp_path))
    assert ds.class_names == ("ant", "cat")
    assert ds.x_train.shape == (5, 6, 7, 1) and ds.x_test.shape == (2, 6, 7, 1)
    np.testing.assert_array_equal(ds.y_train, [0, 0, 1, 1, 1])
    import skimage.io

    np.testing.assert_array_equal(ds.x_train[2, ..., 0],
                                  skimage.io.imread(tmp_path / "train" / "cat" / "000.png"))
    assert get_spec("folder").train_counts({"path": str(tmp_path)}) == (2, 3)


def test_folder_split_is_stratified_and_deterministic(tmp_path):
    write_png_tree(tmp_path, {"a": 10, "b": 5}, shape=(4, 4, 4))  # RGBA
    first = load_dataset("folder", cache_dir=tmp_path, source=tmp_path)
    again = load_dataset("folder", cache_dir=tmp_path, source=tmp_path)
    assert first.x_train.shape == (12, 4, 4, 3)  # alpha dropped
    assert first.train_counts() == (8, 4) and np.bincount(first.y_test).tolist() == [2, 1]
    np.testing.assert_array_equal(first.x_test, again.x_test)
    other = load_dataset("folder", cache_dir=tmp_path, source=tmp_path, split_seed=3)
    assert not np.array_equal(first.x_test, other.x_test)
    spec = get_spec("folder")
    assert spec.train_counts() is None
    assert spec.train_counts({"path": str(tmp_path), "test_fraction": 0.4}) == (6, 3)


def test_folder_mismatched_shapes_name_the_file(tmp_path):
    import skimage.io

    write_png_tree(tmp_path, {"a": 2, "b": 2})
    skimage.io.imsave(tmp_path / "b" / "zzz.png", np.zeros((9, 9), dtype=np.uint8),
                      check_contrast=False)
    with pytest.raises(DataError, match=r"zzz\.png has shape \(9, 9, 1\), but .*000\.png has"):
        load_dataset("folder", cache_dir=tmp_path, path=str(tmp_path))


def test_folder_needs_a_path(tmp_path):
    with pytest.raises(ConfigError, match="path"):
        load_dataset("folder", cache_dir=tmp_path)


# ---------------------------------------------------------------- digits, specs, registry


def test_digits_shapes_counts_and_split_options(tmp_path):
    ds = load_dataset("digits", cache_dir=tmp_path)
    spec = get_spec("digits")
    assert ds.x_train.dtype == np.uint8 and ds.x_train.shape[1:] == spec.image_shape
    assert ds.y_train.dtype == np.int64
    assert len(ds.x_train) + len(ds.x_test) == 1797 and len(ds.x_test) == 450
    assert ds.x_train.max() == 255 and ds.x_train.min() == 0
    assert ds.train_counts() == spec.train_counts()
    other = load_dataset("digits", cache_dir=tmp_path, test_fraction=0.5, split_seed=1)
    assert other.train_counts() == spec.train_counts({"test_fraction": 0.5, "split_seed": 1})
    assert sum(other.train_counts()) == 898


def test_every_spec_train_counts():
    totals = {"digits": 1347, "mnist": 60000, "fashion_mnist": 60000, "cifar10": 50000,
              "cifar100": 50000, "cifar100_coarse": 50000}
    classes = {"cifar100": 100, "cifar100_coarse": 20}
    for name in DATASETS:
        spec = get_spec(name)
        counts = spec.train_counts()
        if name == "folder":
            assert counts is None and spec.n_classes is None
            continue
        assert sum(counts) == totals[name]
        assert len(counts) == spec.n_classes == classes.get(name, 10)
    assert get_spec("mnist").train_counts()[1] == 6742
    assert [get_spec(n).flip_safe for n in ("digits", "mnist", "fashion_mnist", "cifar10")] == [
        False, False, True, True,
    ]


def test_unknown_loader_and_option_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="svhn"):
        load_dataset("svhn", cache_dir=tmp_path)
    with pytest.raises(ConfigError) as err:
        load_dataset("mnist", cache_dir=tmp_path, test_fraction=0.3)
    assert "test_fraction" in str(err.value) and "'source'" in str(err.value)
    with pytest.raises(ConfigError, match="test_fraction"):
        load_dataset("digits", cache_dir=tmp_path, test_fraction=1.5)


def test_save_raw_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    ds = Dataset(rng.integers(0, 256, (3, 2, 2, 1), dtype=np.uint8), np.array([0, 1, 1]),
                 rng.integers(0, 256, (2, 2, 2, 1), dtype=np.uint8), np.array([1, 0]),
                 class_names=("no", "yes"))
    config = {"dataset": {"name": "d", "loader": "digits"}}
    record = save_raw(tmp_path / "raw" / "d.npz", ds, config)
    assert record["kind"] == "raw" and record["counts"] == [1, 2]
    with np.load(tmp_path / "raw" / "d.npz", allow_pickle=False) as data:
        assert data["class_names"].dtype.kind == "U"
        assert sorted(data.files) == ["__record__", "class_names", "x_test", "x_train",
                                      "y_test", "y_train"]
    back = load_raw(tmp_path / "raw" / "d.npz", config)
    assert back.class_names == ("no", "yes")
    np.testing.assert_array_equal(back.x_train, ds.x_train)


def test_balanced_test_subset_is_seeded_recorded_and_disjoint_from_training(tmp_path):
    full = load_dataset("digits", cache_dir=tmp_path)
    sub = load_dataset("digits", cache_dir=tmp_path, test_per_class=20, test_subset_seed=3)
    assert np.bincount(sub.y_test).tolist() == [20] * 10
    # the loader's test images at the recorded positions (a subset of the test split, so no
    # training image), and the training set untouched
    np.testing.assert_array_equal(sub.x_test, full.x_test[sub.test_indices])
    np.testing.assert_array_equal(sub.y_test, full.y_test[sub.test_indices])
    np.testing.assert_array_equal(sub.x_train, full.x_train)
    again = load_dataset("digits", cache_dir=tmp_path, test_per_class=20, test_subset_seed=3)
    np.testing.assert_array_equal(again.test_indices, sub.test_indices)
    other = load_dataset("digits", cache_dir=tmp_path, test_per_class=20, test_subset_seed=4)
    assert not np.array_equal(other.test_indices, sub.test_indices)
    assert full.test_indices is None

    config = {"dataset": {"name": "d", "loader": "digits", "test_per_class": 20}}
    save_raw(tmp_path / "d.npz", sub, config)
    np.testing.assert_array_equal(load_raw(tmp_path / "d.npz", config).test_indices,
                                  sub.test_indices)

    with pytest.raises(DataError, match="test_per_class 50: class 0 has only"):
        load_dataset("digits", cache_dir=tmp_path, test_per_class=50)
    with pytest.raises(ConfigError, match="test_per_class"):
        load_dataset("digits", cache_dir=tmp_path, test_per_class=0)
    with pytest.raises(ConfigError, match="test_per_class"):
        get_spec("mnist").check_options({"test_per_class": 6.5})


def test_one_vs_rest_task_labels_names_and_plan_counts(tmp_path):
    full = load_dataset("digits", cache_dir=tmp_path)
    task = load_dataset("digits", cache_dir=tmp_path, one_vs_rest=3)
    assert task.class_names == ("not 3", "3")
    np.testing.assert_array_equal(task.y_train, (full.y_train == 3).astype(np.int64))
    np.testing.assert_array_equal(task.y_test, (full.y_test == 3).astype(np.int64))
    np.testing.assert_array_equal(task.x_train, full.x_train)
    # what the DAG knows before loading agrees with the loaded task
    spec = get_spec("digits").with_options({"one_vs_rest": 3})
    assert spec.class_names == ("not 3", "3")
    assert spec.train_counts({"one_vs_rest": 3}) == task.train_counts()
    mnist = get_spec("mnist").with_options({"one_vs_rest": 1})
    assert mnist.train_counts() == (60000 - 6742, 6742)
    # a balanced test subset is drawn over the loader's classes, then made binary
    both = load_dataset("digits", cache_dir=tmp_path, one_vs_rest=3, test_per_class=20)
    assert np.bincount(both.y_test).tolist() == [180, 20]
    with pytest.raises(ConfigError, match="one_vs_rest"):
        get_spec("mnist").with_options({"one_vs_rest": 10})
    with pytest.raises(ConfigError, match="one_vs_rest"):
        load_dataset("digits", cache_dir=tmp_path, one_vs_rest=True)


def test_balanced_one_vs_rest_test_set_holds_every_positive_and_as_many_others(tmp_path):
    # seed 002 §5: its numbers fit a binary test set of 1,000 trousers and about 1,000 others
    full = load_dataset("digits", cache_dir=tmp_path)
    task = load_dataset("digits", cache_dir=tmp_path, one_vs_rest=3,
                        one_vs_rest_test="balanced")
    n_pos = int((full.y_test == 3).sum())
    assert np.bincount(task.y_test).tolist() == [n_pos, n_pos]
    # stratified over the nine other classes: their counts differ by at most one
    others = np.bincount(full.y_test[task.test_indices], minlength=10)
    assert others[3] == n_pos
    rest = np.delete(others, 3)
    assert rest.sum() == n_pos and rest.max() - rest.min() <= 1
    # the images are the loader's test images at the recorded positions; the seed fixes them
    np.testing.assert_array_equal(task.x_test, full.x_test[task.test_indices])
    again = load_dataset("digits", cache_dir=tmp_path, one_vs_rest=3,
                         one_vs_rest_test="balanced")
    np.testing.assert_array_equal(again.test_indices, task.test_indices)
    other = load_dataset("digits", cache_dir=tmp_path, one_vs_rest=3,
                         one_vs_rest_test="balanced", test_subset_seed=1)
    assert not np.array_equal(other.test_indices, task.test_indices)
    np.testing.assert_array_equal(task.x_train, full.x_train)  # training images untouched
    with pytest.raises(ConfigError, match="one_vs_rest_test.*unless one_vs_rest"):
        get_spec("digits").check_options({"one_vs_rest_test": "balanced"})
    with pytest.raises(ConfigError, match="one_vs_rest_test"):
        get_spec("digits").check_options({"one_vs_rest": 3, "one_vs_rest_test": "half"})


def test_classes_option_keeps_a_relabelled_subset_of_classes(tmp_path):
    # seed 004's two-class tiny set from a built-in dataset: classes [7, 4] -> labels 0, 1
    full = load_dataset("digits", cache_dir=tmp_path)
    two = load_dataset("digits", cache_dir=tmp_path, classes=[7, 4])
    assert two.class_names == ("7", "4") and two.n_classes == 2
    np.testing.assert_array_equal(two.x_train, full.x_train[np.isin(full.y_train, [7, 4])])
    assert set(two.y_train) == {0, 1}
    np.testing.assert_array_equal(full.y_test[two.test_indices] == 7, two.y_test == 0)
    np.testing.assert_array_equal(full.x_test[two.test_indices], two.x_test)
    spec = get_spec("digits").with_options({"classes": [7, 4]})
    full_counts = get_spec("digits").train_counts()
    assert spec.train_counts() == (full_counts[7], full_counts[4]) == two.train_counts()
    # with a balanced test subset: positions still index the loader's test split
    sub = load_dataset("digits", cache_dir=tmp_path, classes=[7, 4], test_per_class=10)
    assert np.bincount(sub.y_test).tolist() == [10, 10]
    np.testing.assert_array_equal(full.x_test[sub.test_indices], sub.x_test)
    for bad in ([3], [3, 3], [3, 10], "3,4"):
        with pytest.raises(ConfigError, match="classes"):
            load_dataset("digits", cache_dir=tmp_path, classes=bad)
    with pytest.raises(ConfigError, match="one_vs_rest"):
        load_dataset("digits", cache_dir=tmp_path, classes=[3, 4], one_vs_rest=1)


def test_digits_default_counts_are_the_split_scikit_learn_makes(tmp_path, monkeypatch):
    """The plan reads the default split's counts from a constant (no scikit-learn import at
    parse time); it must be the split itself, and a loader whose split differs refuses."""
    from sklearn.datasets import load_digits

    from imbench.datasets import digits as digits_module
    from imbench.datasets.base import stratified_split

    y = load_digits().target
    train, _ = stratified_split(y, digits_module.TEST_FRACTION, digits_module.SPLIT_SEED)
    assert tuple(np.bincount(y[train], minlength=10)) == digits_module.DEFAULT_TRAIN_COUNTS
    assert get_spec("digits").train_counts() == digits_module.DEFAULT_TRAIN_COUNTS
    # another split is computed, not read from the constant
    assert sum(get_spec("digits").train_counts({"test_fraction": 0.5})) == 898
    wrong = (134, *digits_module.DEFAULT_TRAIN_COUNTS[1:])
    monkeypatch.setattr(digits_module, "DEFAULT_TRAIN_COUNTS", wrong)
    with pytest.raises(DataError, match=r"planned with \[134, 136"):
        load_dataset("digits", cache_dir=tmp_path)
