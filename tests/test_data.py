"""Tests for course_utils.data: finding, checking and loading Fashion-MNIST."""

import gzip
import os
import pathlib
import re
import struct

import keras
import numpy as np
import pytest

from course_utils import data

N_TRAIN = 120
N_TEST = 40
SMALL_SPLITS = {
    "train": data._SplitFiles(
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", N_TRAIN
    ),
    "test": data._SplitFiles(
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", N_TEST
    ),
}
REAL_SPLITS = data._SPLITS
REAL_SYSTEM_DIR = data.SYSTEM_DATA_DIR
REAL_GET_FILE = keras.utils.get_file
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = data.FILE_NAMES


# ---------------------------------------------------------------------------
# Writing small, valid (or deliberately broken) IDX files
# ---------------------------------------------------------------------------


def expected_images(split: str) -> np.ndarray:
    """Image i of the train split is filled with i, of the test split 255 - i."""
    count = SMALL_SPLITS[split].count
    values = np.arange(count) % 256 if split == "train" else 255 - np.arange(count)
    return np.broadcast_to(values[:, None, None], (count, 28, 28)).astype(np.uint8)


def expected_labels(split: str) -> np.ndarray:
    count = SMALL_SPLITS[split].count
    offset = 0 if split == "train" else 5
    return ((np.arange(count) + offset) % 10).astype(np.uint8)


def idx_bytes(magic: int, dims: tuple, payload: bytes) -> bytes:
    return struct.pack(f">{1 + len(dims)}I", magic, *dims) + payload


def valid_file_bytes() -> dict:
    """Unzipped content of the four files, by file name."""
    contents = {}
    for split, files in SMALL_SPLITS.items():
        images, labels = expected_images(split), expected_labels(split)
        contents[files.images] = idx_bytes(2051, images.shape, images.tobytes())
        contents[files.labels] = idx_bytes(2049, labels.shape, labels.tobytes())
    return contents


def write_gz(path: pathlib.Path, raw: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw))


def write_dataset(folder: pathlib.Path, names=data.FILE_NAMES) -> pathlib.Path:
    contents = valid_file_bytes()
    for name in names:
        write_gz(folder / name, contents[name])
    return folder


def keras_cache(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "keras_home" / "datasets" / "fashion-mnist"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Small split sizes, no real data, no network, an empty reader cache."""
    monkeypatch.setattr(data, "_SPLITS", SMALL_SPLITS)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", tmp_path / "system")

    def no_network(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    data._read_split_cached.cache_clear()
    yield
    data._read_split_cached.cache_clear()


@pytest.fixture
def dataset_dir(tmp_path):
    """A folder holding the four small, valid IDX files."""
    return write_dataset(tmp_path / "fmnist")


def load(folder, **kwargs):
    kwargs.setdefault("validation_size", 20)
    return data.load_fashion_mnist(data_dir=folder, download=False, **kwargs)


# ---------------------------------------------------------------------------
# Search order
# ---------------------------------------------------------------------------


def make_locations(tmp_path, monkeypatch) -> dict:
    """The four searched folders; COURSE_DATA_DIR points at 'env'."""
    locations = {
        "explicit": tmp_path / "explicit",
        "env": tmp_path / "env",
        "keras": keras_cache(tmp_path),
        "system": tmp_path / "system",
    }
    monkeypatch.setenv("COURSE_DATA_DIR", str(locations["env"]))
    return locations


def test_candidate_dirs_order(tmp_path, monkeypatch):
    where = make_locations(tmp_path, monkeypatch)
    assert data.candidate_dirs(where["explicit"]) == [
        where["explicit"],
        where["env"],
        where["keras"],
        where["system"],
    ]


def test_candidate_dirs_without_explicit_dir_or_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", "")
    assert data.candidate_dirs() == [keras_cache(tmp_path), tmp_path / "system"]


def test_keras_cache_defaults_to_home(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist"
    assert data.keras_cache_dir() == expected


@pytest.mark.parametrize(
    ("present", "explicit", "winner"),
    [
        (["explicit", "env", "keras", "system"], True, "explicit"),
        (["env", "keras", "system"], False, "env"),
        (["keras", "system"], False, "keras"),
        (["system"], False, "system"),
    ],
)
def test_search_order(tmp_path, monkeypatch, present, explicit, winner):
    where = make_locations(tmp_path, monkeypatch)
    if "env" not in present:
        monkeypatch.delenv("COURSE_DATA_DIR")
    for name in present:
        write_dataset(where[name])
    data_dir = where["explicit"] if explicit else None
    assert data.find_data_dir(data_dir) == where[winner]
    loaded = data.load_fashion_mnist(
        data_dir=data_dir, download=False, validation_size=0
    )
    assert loaded.source == where[winner].resolve()


def test_folder_with_only_some_files_is_skipped(tmp_path, monkeypatch):
    where = make_locations(tmp_path, monkeypatch)
    monkeypatch.delenv("COURSE_DATA_DIR")
    write_dataset(where["keras"], names=data.FILE_NAMES[:3])
    write_dataset(where["system"])
    assert data.find_data_dir() == where["system"]


def test_no_folder_found_returns_none(tmp_path, monkeypatch):
    where = make_locations(tmp_path, monkeypatch)
    monkeypatch.delenv("COURSE_DATA_DIR")
    write_dataset(where["keras"], names=data.FILE_NAMES[1:])
    assert data.find_data_dir() is None


def course_data_dir_error(monkeypatch, value) -> str:
    """The message of the error a load gives with COURSE_DATA_DIR=value."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(value))
    monkeypatch.setattr(
        data, "download_fashion_mnist", lambda: pytest.fail("must not download")
    )
    with pytest.raises(data.DatasetError) as error:
        data.load_fashion_mnist()
    message = str(error.value)
    assert f"COURSE_DATA_DIR={str(value)!r}" in message
    assert "unset COURSE_DATA_DIR" in message
    assert "apt-get install dataset-fashion-mnist" in message
    return message


def test_course_data_dir_that_does_not_exist_is_an_error_not_a_fallback(
    tmp_path, monkeypatch
):
    write_dataset(tmp_path / "system")
    message = course_data_dir_error(monkeypatch, tmp_path / "does" / "not" / "exist")
    assert "names a folder that does not exist" in message


def test_course_data_dir_naming_a_file_is_an_error(tmp_path, monkeypatch):
    write_dataset(keras_cache(tmp_path))
    a_file = tmp_path / "fmnist.gz"
    a_file.write_bytes(b"")
    message = course_data_dir_error(monkeypatch, a_file)
    assert "names a file, not a folder" in message


def test_course_data_dir_with_only_some_files_is_an_error_not_a_fallback(
    tmp_path, monkeypatch
):
    where = make_locations(tmp_path, monkeypatch)
    write_dataset(where["env"], names=data.FILE_NAMES[:3])
    write_dataset(where["keras"])
    message = course_data_dir_error(monkeypatch, where["env"])
    assert f"does not hold the Fashion-MNIST file(s) {data.FILE_NAMES[3]}" in message


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_course_data_dir_counts_as_unset(tmp_path, monkeypatch, value):
    monkeypatch.setenv("COURSE_DATA_DIR", value)
    write_dataset(tmp_path / "system")
    assert data.find_data_dir() == tmp_path / "system"
    assert data.candidate_dirs() == [keras_cache(tmp_path), tmp_path / "system"]


def test_explicit_data_dir_wins_over_a_broken_course_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "missing"))
    folder = write_dataset(tmp_path / "explicit")
    assert data.find_data_dir(folder) == folder


def test_explicit_data_dir_missing_files_is_an_error_not_a_fallback(
    tmp_path, monkeypatch
):
    where = make_locations(tmp_path, monkeypatch)
    write_dataset(where["system"])
    write_dataset(where["explicit"], names=[TRAIN_IMAGES, TRAIN_LABELS])
    with pytest.raises(data.DatasetError) as error:
        data.load_fashion_mnist(data_dir=where["explicit"], download=False)
    message = str(error.value)
    assert str(where["explicit"]) in message
    missing = re.search(r"file\(s\) (.*)\.\n", message)
    assert missing is not None
    assert missing.group(1) == f"{TEST_IMAGES}, {TEST_LABELS}"


def test_no_copy_without_download_names_the_three_fixes(tmp_path, monkeypatch):
    def downloader():
        pytest.fail("download_fashion_mnist must not be called with download=False")

    monkeypatch.setattr(data, "download_fashion_mnist", downloader)
    with pytest.raises(data.DatasetError) as error:
        data.load_fashion_mnist(download=False)
    message = str(error.value)
    assert "dataset-fashion-mnist" in message
    assert "apt-get install" in message
    assert "COURSE_DATA_DIR" in message
    assert "internet" in message
    assert "Keras" in message
    assert "download=False" in message
    assert str(keras_cache(tmp_path)) in message
    assert str(tmp_path / "system") in message


def test_no_copy_with_download_calls_the_downloader(tmp_path, monkeypatch):
    calls = []

    def downloader():
        calls.append(True)
        return write_dataset(keras_cache(tmp_path))

    monkeypatch.setattr(data, "download_fashion_mnist", downloader)
    loaded = data.load_fashion_mnist(validation_size=0)
    assert calls == [True]
    assert loaded.source == keras_cache(tmp_path).resolve()
    assert len(loaded.x_train) == N_TRAIN


def test_failing_download_becomes_dataset_error_with_the_file_name(tmp_path):
    with pytest.raises(data.DatasetError, match="network disabled in tests") as error:
        data.load_fashion_mnist(download=True)
    assert TRAIN_IMAGES in str(error.value)
    assert "dataset-fashion-mnist" in str(error.value)


def test_download_fetches_only_missing_files_into_the_keras_cache(
    tmp_path, monkeypatch
):
    folder = keras_cache(tmp_path)
    write_dataset(folder, names=[TRAIN_IMAGES, TEST_LABELS])
    requested = []
    contents = valid_file_bytes()

    def fake_get_file(fname, origin, cache_dir, cache_subdir):
        requested.append((fname, origin))
        target = pathlib.Path(cache_dir) / cache_subdir / fname
        write_gz(target, contents[fname])
        return str(target)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    assert data.download_fashion_mnist() == folder
    assert requested == [
        (name, data.DOWNLOAD_ORIGIN + name) for name in (TRAIN_LABELS, TEST_IMAGES)
    ]
    assert data.find_data_dir() == folder


def test_download_reports_the_folder_keras_really_used(tmp_path, monkeypatch):
    fallback = tmp_path / "fallback" / "datasets" / "fashion-mnist"
    contents = valid_file_bytes()

    def get_file_into_fallback(fname, origin, cache_dir, cache_subdir):
        write_gz(fallback / fname, contents[fname])
        return str(fallback / fname)

    monkeypatch.setattr(keras.utils, "get_file", get_file_into_fallback)
    assert data.download_fashion_mnist() == fallback
    loaded = data.load_fashion_mnist(value_range="uint8", validation_size=0)
    assert loaded.source == fallback.resolve()


def test_a_replaced_file_is_read_again(dataset_dir):
    first = load(dataset_dir, value_range="uint8")
    path = dataset_dir / TRAIN_IMAGES
    write_gz(path, images_raw(magic=2049))
    os.utime(path, ns=(1, 1))
    with pytest.raises(data.DatasetError, match=TRAIN_IMAGES):
        load(dataset_dir, value_range="uint8")
    assert first.x_train.shape[0] > 0


def test_download_with_real_keras_get_file_from_a_local_origin(tmp_path, monkeypatch):
    origin = write_dataset(tmp_path / "mirror")
    monkeypatch.setattr(data, "DOWNLOAD_ORIGIN", origin.as_uri() + "/")
    monkeypatch.setattr(keras.utils, "get_file", REAL_GET_FILE)
    (tmp_path / "keras_home").mkdir()
    loaded = data.load_fashion_mnist(value_range="uint8", validation_size=0)
    assert loaded.source == keras_cache(tmp_path).resolve()
    for name in data.FILE_NAMES:
        copied = keras_cache(tmp_path) / name
        assert copied.read_bytes() == (origin / name).read_bytes()
    np.testing.assert_array_equal(loaded.x_train, expected_images("train"))


# ---------------------------------------------------------------------------
# Broken files
# ---------------------------------------------------------------------------


def images_raw(magic=2051, count=N_TRAIN, dims=(28, 28), payload=None) -> bytes:
    if payload is None:
        payload = expected_images("train").tobytes()
    return idx_bytes(magic, (count, *dims), payload)


def labels_with_a_ten() -> bytes:
    labels = expected_labels("train")
    labels[7] = 10
    return idx_bytes(2049, labels.shape, labels.tobytes())


def cut_gzip(path: pathlib.Path) -> None:
    compressed = path.read_bytes()
    path.write_bytes(compressed[: len(compressed) // 2])


def replace_with_random_bytes(path: pathlib.Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(500))


def rewrite(raw: bytes):
    return lambda path: write_gz(path, raw)


GOOD_PAYLOAD = expected_images("train").tobytes()
CORRUPTIONS = {
    "truncated gzip": (TRAIN_IMAGES, cut_gzip),
    "not gzip": (TRAIN_IMAGES, replace_with_random_bytes),
    "wrong magic": (TRAIN_IMAGES, rewrite(images_raw(magic=2049))),
    "wrong count": (TRAIN_IMAGES, rewrite(images_raw(count=N_TRAIN - 1))),
    "wrong dims": (
        TRAIN_IMAGES,
        rewrite(images_raw(dims=(28, 27), payload=GOOD_PAYLOAD[: N_TRAIN * 28 * 27])),
    ),
    "header cut short": (TRAIN_IMAGES, rewrite(images_raw()[:10])),
    "missing pixel bytes": (
        TRAIN_IMAGES,
        rewrite(images_raw(payload=GOOD_PAYLOAD[:-100])),
    ),
    "extra bytes": (
        TRAIN_IMAGES,
        rewrite(images_raw(payload=GOOD_PAYLOAD + b"\x00" * 10)),
    ),
    "test labels with image magic": (
        TEST_LABELS,
        rewrite(idx_bytes(2051, (N_TEST,), bytes(N_TEST))),
    ),
    "label 10": (TRAIN_LABELS, rewrite(labels_with_a_ten())),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_broken_file_gives_dataset_error_naming_the_file(dataset_dir, kind):
    name, corrupt = CORRUPTIONS[kind]
    path = dataset_dir / name
    corrupt(path)
    with pytest.raises(data.DatasetError) as error:
        load(dataset_dir)
    message = str(error.value)
    assert str(path.resolve()) in message
    assert "dataset-fashion-mnist" in message


def test_dataset_error_is_an_os_error():
    assert issubclass(data.DatasetError, OSError)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def test_load_unit_range_exact_values(dataset_dir):
    loaded = load(dataset_dir)
    assert loaded.value_range == "[0,1]"
    assert loaded.x_train.shape == (N_TRAIN - 20, 28, 28)
    assert loaded.x_valid.shape == (20, 28, 28)
    assert loaded.x_test.shape == (N_TEST, 28, 28)
    for x in (loaded.x_train, loaded.x_valid, loaded.x_test):
        assert x.dtype == np.float32
        assert x.min() >= 0.0
        assert x.max() <= 1.0
    train = expected_images("train").astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(loaded.x_train, train[: N_TRAIN - 20])
    np.testing.assert_array_equal(
        loaded.x_train[5], np.full((28, 28), np.float32(5) / np.float32(255))
    )
    assert loaded.x_test[0, 0, 0] == 1.0


def test_load_symmetric_range(dataset_dir):
    loaded = load(dataset_dir, value_range="[-1,1]")
    for x in (loaded.x_train, loaded.x_valid, loaded.x_test):
        assert x.dtype == np.float32
        assert x.min() >= -1.0
        assert x.max() <= 1.0
    np.testing.assert_allclose(
        loaded.x_test, expected_images("test") / 127.5 - 1.0, rtol=0, atol=1e-6
    )
    assert loaded.x_train[0, 0, 0] == -1.0
    assert loaded.x_test[0, 0, 0] == 1.0


def test_load_uint8(dataset_dir):
    loaded = load(dataset_dir, value_range="uint8")
    assert loaded.x_train.dtype == np.uint8
    np.testing.assert_array_equal(loaded.x_test, expected_images("test"))


def test_labels_are_int64_with_the_file_values(dataset_dir):
    loaded = load(dataset_dir)
    for y in (loaded.y_train, loaded.y_valid, loaded.y_test):
        assert y.dtype == np.int64
    np.testing.assert_array_equal(loaded.y_test, expected_labels("test"))
    np.testing.assert_array_equal(
        np.concatenate([loaded.y_train, loaded.y_valid]), expected_labels("train")
    )


def test_validation_set_is_the_last_training_images(dataset_dir):
    loaded = load(dataset_dir, value_range="uint8", validation_size=30)
    images, labels = expected_images("train"), expected_labels("train")
    np.testing.assert_array_equal(loaded.x_train, images[:90])
    np.testing.assert_array_equal(loaded.x_valid, images[90:])
    np.testing.assert_array_equal(loaded.y_train, labels[:90])
    np.testing.assert_array_equal(loaded.y_valid, labels[90:])


def test_validation_size_zero_gives_an_empty_validation_set(dataset_dir):
    loaded = load(dataset_dir, validation_size=0)
    assert loaded.x_valid.shape == (0, 28, 28)
    assert loaded.y_valid.shape == (0,)
    assert len(loaded.x_train) == N_TRAIN


def test_limit_cuts_every_split(dataset_dir):
    loaded = load(dataset_dir, value_range="uint8", limit=7)
    for name in ("train", "valid", "test"):
        assert getattr(loaded, "x_" + name).shape == (7, 28, 28)
        assert getattr(loaded, "y_" + name).shape == (7,)
    np.testing.assert_array_equal(loaded.x_train, expected_images("train")[:7])
    np.testing.assert_array_equal(loaded.x_valid, expected_images("train")[100:107])
    np.testing.assert_array_equal(loaded.x_test, expected_images("test")[:7])


@pytest.mark.parametrize("as_number", [np.int64, np.int32, np.uint16])
def test_numpy_integer_sizes_work_like_python_ints(dataset_dir, as_number):
    expected = load(dataset_dir, validation_size=20, limit=7)
    loaded = load(dataset_dir, validation_size=as_number(20), limit=as_number(7))
    for name in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(expected, name))


def test_channel_axis(dataset_dir):
    loaded = load(dataset_dir, channel_axis=True)
    assert loaded.x_train.shape == (N_TRAIN - 20, 28, 28, 1)
    assert loaded.x_valid.shape == (20, 28, 28, 1)
    assert loaded.x_test.shape == (N_TEST, 28, 28, 1)
    assert loaded.y_train.shape == (N_TRAIN - 20,)


@pytest.mark.parametrize("value_range", ["uint8", "[0,1]"])
def test_loads_return_independent_copies(dataset_dir, value_range):
    first = load(dataset_dir, value_range=value_range)
    first.x_train[:] = 77
    first.x_test[:] = 77
    first.y_train[:] = 3
    second = load(dataset_dir, value_range=value_range)
    expected = data.scale_images(expected_images("train"), value_range)
    np.testing.assert_array_equal(second.x_train, expected[: N_TRAIN - 20])
    np.testing.assert_array_equal(
        second.y_train, expected_labels("train")[: N_TRAIN - 20]
    )
    assert second.x_test[0, 0, 0] != 77


def test_repr_mentions_sizes_and_source(dataset_dir):
    text = repr(load(dataset_dir))
    assert "train=100" in text
    assert "valid=20" in text
    assert "test=40" in text
    assert "'[0,1]'" in text
    assert str(dataset_dir.resolve()) in text


@pytest.mark.parametrize(
    ("kwargs", "error", "argument"),
    [
        ({"value_range": "0-1"}, ValueError, "value_range"),
        ({"value_range": None}, ValueError, "value_range"),
        ({"validation_size": -1}, ValueError, "validation_size"),
        ({"validation_size": 30_001}, ValueError, "validation_size"),
        ({"validation_size": 10.0}, TypeError, "validation_size"),
        ({"validation_size": True}, TypeError, "validation_size"),
        ({"limit": 0}, ValueError, "limit"),
        ({"limit": -5}, ValueError, "limit"),
        ({"limit": 2.5}, TypeError, "limit"),
        ({"limit": "10"}, TypeError, "limit"),
        ({"channel_axis": 1}, TypeError, "channel_axis"),
        ({"channel_axis": "yes"}, TypeError, "channel_axis"),
        ({"download": "no"}, TypeError, "download"),
    ],
)
def test_bad_arguments(dataset_dir, kwargs, error, argument):
    with pytest.raises(error, match=argument):
        data.load_fashion_mnist(data_dir=dataset_dir, **kwargs)


# ---------------------------------------------------------------------------
# scale_images
# ---------------------------------------------------------------------------

PIXELS = np.array([0, 1, 127, 128, 255], dtype=np.uint8)


def test_scale_images_unit_range():
    scaled = data.scale_images(PIXELS)
    assert scaled.dtype == np.float32
    np.testing.assert_array_equal(scaled, PIXELS.astype(np.float32) / np.float32(255))
    assert scaled[0] == 0.0
    assert scaled[-1] == 1.0


def test_scale_images_symmetric_range():
    scaled = data.scale_images(PIXELS, "[-1,1]")
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, PIXELS / 127.5 - 1.0, rtol=0, atol=1e-6)
    assert scaled[0] == -1.0
    assert scaled[-1] == 1.0


def test_scale_images_uint8_is_unchanged():
    np.testing.assert_array_equal(data.scale_images(PIXELS, "uint8"), PIXELS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_scale_images_rejects_non_uint8(dtype):
    with pytest.raises(TypeError, match="uint8"):
        data.scale_images(PIXELS.astype(dtype))


def test_scale_images_rejects_unknown_range():
    with pytest.raises(ValueError, match="value_range"):
        data.scale_images(PIXELS, "[0,255]")


def test_check_value_range_accepts_the_three_names():
    for name in ("[0,1]", "[-1,1]", "uint8"):
        assert data.check_value_range(name) == name


# ---------------------------------------------------------------------------
# add_gaussian_noise
# ---------------------------------------------------------------------------


def test_noise_shape_and_dtype():
    images = np.zeros((3, 28, 28), dtype=np.float64)
    noisy = data.add_gaussian_noise(images, 0.2, seed=0)
    assert noisy.shape == images.shape
    assert noisy.dtype == np.float32
    assert np.all(images == 0.0), "the input must not be modified"


def test_noise_is_repeatable_by_seed():
    images = np.full((4, 28, 28), 0.5, dtype=np.float32)
    first = data.add_gaussian_noise(images, 0.3, seed=1)
    np.testing.assert_array_equal(first, data.add_gaussian_noise(images, 0.3, seed=1))
    assert not np.array_equal(first, data.add_gaussian_noise(images, 0.3, seed=2))


def test_noise_has_the_requested_stddev():
    noisy = data.add_gaussian_noise(np.zeros(200_000), 0.3, seed=0)
    assert abs(noisy.std() - 0.3) < 0.005
    assert abs(noisy.mean()) < 0.005


def test_zero_stddev_leaves_images_unchanged():
    images = np.linspace(0, 1, 50, dtype=np.float32)
    np.testing.assert_array_equal(data.add_gaussian_noise(images, 0.0), images)


def test_noise_is_unclipped_by_default_and_clipped_on_request():
    images = np.full((10_000,), 0.5, dtype=np.float32)
    unclipped = data.add_gaussian_noise(images, 1.0, seed=0)
    assert unclipped.min() < 0.0
    assert unclipped.max() > 1.0
    clipped = data.add_gaussian_noise(images, 1.0, seed=0, clip_range=(0.0, 1.0))
    assert clipped.min() == 0.0
    assert clipped.max() == 1.0
    np.testing.assert_array_equal(clipped, np.clip(unclipped, 0.0, 1.0))


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "match"),
    [
        (np.zeros(4), {"stddev": -0.1}, ValueError, "stddev"),
        (np.zeros(4), {"stddev": float("nan")}, ValueError, "stddev"),
        (np.zeros(4), {"stddev": float("inf")}, ValueError, "stddev"),
        (np.zeros(4), {"stddev": 0.1, "clip_range": (1.0, 0.0)}, ValueError, "clip"),
        (np.zeros(4), {"stddev": 0.1, "clip_range": (0.5, 0.5)}, ValueError, "clip"),
        (np.zeros(4), {"stddev": 0.1, "clip_range": (0, 1, 2)}, ValueError, "clip"),
        (np.zeros(4, dtype=np.uint8), {"stddev": 0.1}, TypeError, "float"),
        (np.zeros(4, dtype=np.int64), {"stddev": 0.1}, TypeError, "float"),
        (np.zeros(4), {"stddev": "0.1"}, TypeError, "stddev"),
        (np.zeros(4), {"stddev": True}, TypeError, "stddev"),
        (np.zeros(4), {"stddev": 0.1, "clip_range": 1.0}, ValueError, "clip_range"),
        (np.zeros(4), {"stddev": 0.1, "clip_range": ("0", 1)}, ValueError, "clip"),
    ],
)
def test_noise_bad_arguments(images, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.add_gaussian_noise(images, **kwargs)


# ---------------------------------------------------------------------------
# make_3d_toy_data
# ---------------------------------------------------------------------------


def singular_values(points: np.ndarray) -> np.ndarray:
    centred = points - points.mean(axis=0)
    return np.linalg.svd(centred.astype(np.float64), compute_uv=False)


def test_toy_data_shape_dtype_and_centred():
    points = data.make_3d_toy_data(500)
    assert points.shape == (500, 3)
    assert points.dtype == np.float32
    np.testing.assert_allclose(points.mean(axis=0), 0.0, atol=1e-6)


def test_toy_data_is_repeatable_by_seed():
    first = data.make_3d_toy_data(100, seed=3)
    np.testing.assert_array_equal(first, data.make_3d_toy_data(100, seed=3))
    assert not np.array_equal(first, data.make_3d_toy_data(100, seed=4))


@pytest.mark.parametrize("n_samples", [200, 1_000])
def test_toy_data_lies_close_to_a_plane(n_samples):
    variances = singular_values(data.make_3d_toy_data(n_samples)) ** 2
    explained = variances / variances.sum()
    assert explained[2] < 0.03, "little variance off the plane"
    assert explained[1] > 0.1, "the points spread in two directions"


def test_toy_data_without_noise_lies_on_a_plane():
    values = singular_values(data.make_3d_toy_data(1_000, noise=0.0))
    assert values[2] < 1e-5 * values[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 2}, ValueError, "n_samples"),
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"n_samples": 10.0}, TypeError, "n_samples"),
        ({"noise": -0.1}, ValueError, "noise"),
        ({"noise": float("nan")}, ValueError, "noise"),
        ({"noise": True}, TypeError, "noise"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_toy_data_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_3d_toy_data(**kwargs)


# ---------------------------------------------------------------------------
# make_dataset
# ---------------------------------------------------------------------------


def batch_sizes(dataset) -> list:
    return [int(batch.shape[0]) for batch in dataset]


def first_column(dataset) -> np.ndarray:
    """Concatenate the batches of a dataset of x only (shape (n, 1))."""
    return np.concatenate([batch.numpy()[:, 0] for batch in dataset])


COLUMN = np.arange(100, dtype=np.float32).reshape(100, 1)


def test_make_dataset_batches_x_and_y_as_tuples():
    x = np.zeros((10, 28, 28), dtype=np.float32)
    y = np.arange(10)
    batches = list(data.make_dataset(x, y, batch_size=4, shuffle=False))
    assert [len(batch) for batch in batches] == [2, 2, 2]
    assert [int(bx.shape[0]) for bx, _ in batches] == [4, 4, 2]
    assert batches[0][0].shape[1:] == (28, 28)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)


def test_make_dataset_x_only_gives_tensors():
    dataset = data.make_dataset(np.zeros((10, 3), dtype=np.float32), batch_size=4)
    assert batch_sizes(dataset) == [4, 4, 2]
    assert all(batch.shape[1:] == (3,) for batch in dataset)


def test_make_dataset_drop_remainder():
    x = np.zeros((10, 3), dtype=np.float32)
    assert batch_sizes(data.make_dataset(x, batch_size=4, drop_remainder=True)) == [
        4,
        4,
    ]


def test_make_dataset_without_shuffle_keeps_order():
    dataset = data.make_dataset(COLUMN, batch_size=16, shuffle=False)
    np.testing.assert_array_equal(first_column(dataset), COLUMN[:, 0])


def test_make_dataset_shuffles_repeatably_by_seed():
    first = first_column(data.make_dataset(COLUMN, batch_size=16, seed=1))
    again = first_column(data.make_dataset(COLUMN, batch_size=16, seed=1))
    other = first_column(data.make_dataset(COLUMN, batch_size=16, seed=2))
    np.testing.assert_array_equal(np.sort(first), COLUMN[:, 0])
    assert not np.array_equal(first, COLUMN[:, 0])
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_make_dataset_reshuffles_every_epoch():
    dataset = data.make_dataset(COLUMN, batch_size=16, seed=1)
    assert not np.array_equal(first_column(dataset), first_column(dataset))


def test_make_dataset_shuffle_keeps_pairs_together():
    y = COLUMN[:, 0] * 10
    for bx, by in data.make_dataset(COLUMN, y, batch_size=16, seed=0):
        np.testing.assert_array_equal(bx.numpy()[:, 0] * 10, by.numpy())


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "error", "match"),
    [
        (np.zeros((10, 2)), np.zeros(9), {}, ValueError, "y must have"),
        (np.zeros((0, 2)), None, {}, ValueError, "x must"),
        (np.float32(1.0), None, {}, ValueError, "x must"),
        (np.zeros((10, 2)), None, {"batch_size": 0}, ValueError, "batch_size"),
        (np.zeros((10, 2)), None, {"batch_size": 4.0}, TypeError, "batch_size"),
    ],
)
def test_make_dataset_bad_arguments(x, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_dataset(x, y, **kwargs)


# ---------------------------------------------------------------------------
# class_examples and CLASS_NAMES
# ---------------------------------------------------------------------------


def test_class_examples_orders_class_by_class():
    labels = np.array([0, 2, 1, 2, 0, 0, 2])
    images = np.arange(7) * 10
    picked_images, picked_labels = data.class_examples(
        images, labels, 2, classes=[2, 0]
    )
    np.testing.assert_array_equal(picked_images, [10, 30, 0, 40])
    np.testing.assert_array_equal(picked_labels, [2, 2, 0, 0])


def test_class_examples_defaults_to_the_ten_classes():
    labels = np.tile(np.arange(10)[::-1], 3)
    images = np.arange(30)
    picked_images, picked_labels = data.class_examples(images, labels, 3)
    np.testing.assert_array_equal(picked_labels, np.repeat(np.arange(10), 3))
    np.testing.assert_array_equal(labels[picked_images], picked_labels)


def test_class_examples_too_few_images_raises():
    labels = np.array([0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="class 1 has 2 image"):
        data.class_examples(np.arange(5), labels, 3, classes=[0, 1])


@pytest.mark.parametrize(
    ("images", "labels", "per_class", "error"),
    [
        (np.arange(5), np.zeros(4, dtype=int), 1, ValueError),
        (np.arange(4), np.zeros((2, 2), dtype=int), 1, ValueError),
        (np.arange(4), np.zeros(4, dtype=int), 0, ValueError),
        (np.arange(4), np.zeros(4, dtype=int), 1.0, TypeError),
    ],
)
def test_class_examples_bad_arguments(images, labels, per_class, error):
    with pytest.raises(error):
        data.class_examples(images, labels, per_class, classes=[0])


def test_class_names():
    assert len(data.CLASS_NAMES) == 10
    assert len(set(data.CLASS_NAMES)) == 10
    assert data.CLASS_NAMES[0] == "T-shirt/top"
    assert data.CLASS_NAMES[9] == "Ankle boot"


# ---------------------------------------------------------------------------
# The real data set, where the Debian package is installed
# ---------------------------------------------------------------------------


@pytest.mark.skipif(
    not all((REAL_SYSTEM_DIR / name).is_file() for name in data.FILE_NAMES),
    reason=f"Fashion-MNIST is not installed in {REAL_SYSTEM_DIR}",
)
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.setattr(data, "_SPLITS", REAL_SPLITS)
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", REAL_SYSTEM_DIR)
    loaded = data.load_fashion_mnist(download=False)
    assert loaded.source == REAL_SYSTEM_DIR.resolve()
    assert loaded.x_train.shape == (55_000, 28, 28)
    assert loaded.x_valid.shape == (5_000, 28, 28)
    assert loaded.x_test.shape == (10_000, 28, 28)
    counts = np.bincount(np.concatenate([loaded.y_train, loaded.y_valid]))
    np.testing.assert_array_equal(counts, np.full(10, 6_000))
    np.testing.assert_array_equal(np.bincount(loaded.y_test), np.full(10, 1_000))
    assert abs(float(loaded.x_train.mean()) - 0.286) < 0.01


def test_gaussian_ring_points_lie_near_their_mode_centres():
    points, modes = data.make_gaussian_ring(
        2_000, n_modes=6, radius=3.0, stddev=0.05, seed=0
    )
    centres = data.ring_centres(6, 3.0)
    distances = np.linalg.norm(points - centres[modes], axis=1)
    assert points.shape == (2_000, 2) and points.dtype == np.float32
    assert distances.mean() == pytest.approx(0.05 * np.sqrt(np.pi / 2), rel=0.1)
    assert np.bincount(modes, minlength=6).min() > 250
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 3.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"n_modes": 1}, ValueError, "n_modes"),
        ({"radius": 0.0}, ValueError, "radius"),
        ({"stddev": -1.0}, ValueError, "stddev"),
        ({"stddev": "wide"}, TypeError, "stddev"),
    ],
)
def test_gaussian_ring_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.make_gaussian_ring(**kwargs)


# ---------------------------------------------------------------------------
# Edge maps (the conditions of pix2pix, notebook 09)
# ---------------------------------------------------------------------------

STEP_EDGE_VALUE = 4 / np.sqrt(20)  # a 0 -> 1 step: Gx = 4, Gy = 0


def test_edge_maps_of_a_vertical_step_edge():
    images = np.zeros((2, 5, 8), dtype=np.float32)
    images[:, :, 4:] = 1.0
    images[1] *= 0.5  # half the contrast, half the edge
    edges = data.edge_maps(images)
    expected = np.zeros((5, 8))
    expected[:, 3:5] = STEP_EDGE_VALUE
    np.testing.assert_allclose(edges[0], expected, atol=1e-6)
    np.testing.assert_allclose(edges[1], expected / 2, atol=1e-6)


def test_edge_maps_of_a_horizontal_step_edge_is_the_transpose():
    images = np.zeros((1, 6, 6))
    images[:, 3:, :] = 1.0
    edges = data.edge_maps(images)
    np.testing.assert_allclose(edges[0], data.edge_maps(images.transpose(0, 2, 1))[0].T)
    np.testing.assert_allclose(edges[0, 2:4], STEP_EDGE_VALUE, atol=1e-6)
    assert np.all(edges[0, [0, 1, 4, 5]] == 0)


def test_edge_maps_of_flat_images_are_zero_even_on_the_border():
    images = np.stack([np.zeros((7, 9)), np.full((7, 9), 0.3), np.ones((7, 9))])
    np.testing.assert_array_equal(data.edge_maps(images), np.zeros((3, 7, 9)))


def test_edge_maps_reach_one_only_at_the_largest_sobel_magnitude():
    patch = np.array([[[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]]])
    assert data.edge_maps(patch)[0, 1, 1] == pytest.approx(1.0)
    assert np.isclose(data.SOBEL_MAX_MAGNITUDE, np.sqrt(4**2 + 2**2))


def test_edge_maps_shape_dtype_and_range():
    images = np.random.default_rng(0).random((20, 28, 28))  # float64 in
    edges = data.edge_maps(images)
    assert edges.shape == (20, 28, 28) and edges.dtype == np.float32
    assert edges.min() >= 0.0 and edges.max() <= 1.0
    assert edges.max() > 0.5


def test_edge_maps_scaling_is_fixed_not_per_image():
    images = np.random.default_rng(1).random((2, 8, 8))
    images[1] = images[0] * 0.25
    edges = data.edge_maps(images)
    np.testing.assert_allclose(edges[1], edges[0] * 0.25, atol=1e-6)


def test_edge_maps_accept_integer_zero_one_images_and_keep_the_input():
    images = np.zeros((1, 4, 4), dtype=np.int64)
    images[:, :, 2:] = 1
    copy = images.copy()
    edges = data.edge_maps(images)
    np.testing.assert_allclose(edges[0, :, 1:3], STEP_EDGE_VALUE, atol=1e-6)
    np.testing.assert_array_equal(images, copy)


@pytest.mark.parametrize(
    ("images", "error", "match"),
    [
        (np.full((1, 4, 4), 255, dtype=np.uint8), ValueError, r"\[0, 1\].*255"),
        (np.full((1, 4, 4), -0.5), ValueError, r"images.*\[-0\.5, -0\.5\]"),
        (np.linspace(-1, 1, 16).reshape(1, 4, 4), ValueError, r"\[-1, 1\]"),
        (np.full((1, 4, 4), np.nan), ValueError, "NaN"),
        (np.zeros((4, 4)), ValueError, r"\(N, H, W\).*\(4, 4\)"),
        (np.zeros((2, 4, 4, 1)), ValueError, r"images.*\(2, 4, 4, 1\)"),
        (np.zeros((0, 4, 4)), ValueError, "empty"),
        (np.zeros((1, 4, 4), dtype=bool), TypeError, "bool"),
        (np.full((1, 2, 2), "a"), TypeError, "images"),
        (np.zeros((1, 2, 2), dtype=complex), TypeError, "complex"),
    ],
    ids=[
        "uint8",
        "negative",
        "minus-one-to-one",
        "nan",
        "2d",
        "channel-axis",
        "empty",
        "bool",
        "strings",
        "complex",
    ],
)
def test_edge_maps_bad_input(images, error, match):
    with pytest.raises(error, match=match):
        data.edge_maps(images)


def test_check_images_accepts_images_in_the_models_range():
    images = np.zeros((2, 4, 4), np.float32)
    assert data.check_images(images, (4, 4), "[0,1]") is images
    data.check_images(images - 1, (4, 4), "[-1,1]")
    data.check_images(np.full((2, 4, 4), 300.0), (4, 4), None)  # range unknown


@pytest.mark.parametrize(
    "images, value_range, error, message",
    [
        (
            np.full((2, 4, 4), 200, np.uint8),
            "[0,1]",
            ValueError,
            r"x must have values in \[0,1\]; got values from 200 to 200: scale them "
            r"with cu.data.scale_images\(images, '\[0,1\]'\) or load with "
            r"value_range='\[0,1\]'",
        ),
        (
            np.full((2, 4, 4), -1.0),
            "[0,1]",
            ValueError,
            r"values from -1 to -1: map \[-1, 1\] images to \[0, 1\]",
        ),
        (
            np.full((2, 4, 4), 255.0),
            "[-1,1]",
            ValueError,
            r"scale_images\(images, '\[-1,1\]'\)",
        ),
        (np.full((2, 4, 4), np.nan), "[0,1]", ValueError, r"only finite values"),
        (np.zeros((2, 4)), "[0,1]", ValueError, r"shape \(N, 4, 4\) .* \(2, 4\)"),
        (np.zeros((0, 4, 4)), "[0,1]", ValueError, r"at least one"),
        (np.zeros((2, 4, 4), bool), "[0,1]", TypeError, r"numbers; got dtype bool"),
        (np.full((2, 4, 4), "a"), "[0,1]", TypeError, r"numbers; got dtype <U1"),
    ],
)
def test_check_images_names_the_argument_what_was_found_and_the_fix(
    images, value_range, error, message
):
    with pytest.raises(error, match=message):
        data.check_images(images, (4, 4), value_range, name="x")


def test_output_value_range_reads_the_last_activation():
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, activation="tanh")(inputs)
    assert data.output_value_range(keras.Model(inputs, hidden)) == "[-1,1]"
    reshaped = keras.layers.Reshape((2, 2))(
        keras.layers.Dense(4, activation="sigmoid")(hidden)
    )
    assert data.output_value_range(keras.Model(inputs, reshaped)) == "[0,1]"
    linear = keras.layers.Dense(4)(hidden)
    assert data.output_value_range(keras.Model(inputs, linear)) is None


def test_first_fit_batch_reads_arrays_whole_and_one_dataset_batch():
    import tensorflow as tf

    images = np.zeros((6, 2), np.float32)
    labels = np.arange(6)
    assert data.first_fit_batch(images, labels) == (images, labels)
    batch, batch_labels = data.first_fit_batch(
        tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    )
    assert batch.shape == (4, 2) and batch_labels.tolist() == [0, 1, 2, 3]
    only_images, none = data.first_fit_batch(
        tf.data.Dataset.from_tensor_slices(images).batch(4)
    )
    assert only_images.shape == (4, 2) and none is None
    assert data.first_fit_batch(iter([images])) == (None, None)


def test_check_images_takes_the_callers_fix_and_rejects_unknown_ranges():
    with pytest.raises(ValueError, match=r"from 2 to 2: pass value_range='\[-1,1\]'"):
        data.check_images(
            np.full((1, 2), 2.0), (2,), "[0,1]", fix="pass value_range='[-1,1]'"
        )
    with pytest.raises(ValueError, match=r"value_range must be '\[0,1\]', '\[-1,1\]'"):
        data.check_images(np.zeros((1, 2)), (2,), "uint8")


def test_add_gaussian_noise_follows_the_global_seed_and_checks_explicit_ones():
    images = np.zeros((2, 4, 4), np.float32)
    np.random.seed(1)
    first = data.add_gaussian_noise(images, 0.5)
    np.random.seed(1)
    np.testing.assert_array_equal(data.add_gaussian_noise(images, 0.5), first)
    with pytest.raises(ValueError, match=r"seed must be an integer between 0"):
        data.add_gaussian_noise(images, 0.5, seed=-1)
    with pytest.raises(TypeError, match=r"seed must be an integer"):
        data.make_gaussian_ring(seed=1.5)
