"""NumPy scalars are accepted wherever the matching Python number is.

Each public function is called twice: with Python numbers, then with the same
values as NumPy scalars (``np.int64`` for ints, ``np.float32`` for floats,
dict keys included). Both calls must succeed and give the same result; what
the function stores (a model's attributes, a layer's config) must be Python
numbers, so that it still saves to JSON. Values are exact in float32.
"""

import json

import keras
import matplotlib
import numpy as np
import pytest

from course_utils import config, data, layers, metrics, plotting, seeding, widgets
from course_utils.models import autoencoders, conditional_gan, gan, pix2pix, vae

matplotlib.use("Agg")

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(size=(20, 28, 28)).astype("float32")
LABELS = np.arange(20) % 10
FEATURES_A = RNG.normal(size=(30, 4))
FEATURES_B = RNG.normal(size=(30, 4))


def as_numpy_scalars(value):
    """The same value with every Python int/float replaced by a NumPy scalar."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, dict):
        return {as_numpy_scalars(k): as_numpy_scalars(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_numpy_scalars(item) for item in value)
    return value


def public_numbers(obj) -> dict:
    """The public attributes of ``obj`` that hold numbers (what it stored)."""
    return {
        key: value
        for key, value in vars(obj).items()
        if not key.startswith("_")
        and isinstance(value, (int, float, np.number))
        and not isinstance(value, bool)
    }


def summary(result):
    """A comparable, JSON-checked summary of what a call returned."""
    if isinstance(result, keras.Model):
        stored = public_numbers(result)
        json.dumps(stored)  # NumPy scalars would not serialise
        return (type(result).__name__, result.count_params(), stored)
    if isinstance(result, (keras.layers.Layer, keras.regularizers.Regularizer)):
        settings = result.get_config()
        settings.pop("name", None)
        json.dumps(settings)
        return settings
    if isinstance(result, keras.callbacks.Callback):
        stored = public_numbers(result)
        json.dumps(stored)
        return stored
    if isinstance(result, matplotlib.figure.Figure):
        shape = (tuple(result.get_size_inches()), len(result.axes))
        matplotlib.pyplot.close(result)
        return shape
    if isinstance(result, (tuple, list)):
        return [summary(item) for item in result]
    if hasattr(result, "_asdict"):
        return summary(list(result._asdict().values()))
    if dataclass_fields := getattr(result, "__dataclass_fields__", None):
        return summary([getattr(result, name) for name in dataclass_fields])
    if isinstance(result, (np.ndarray, np.generic, int, float)):
        return np.asarray(result, dtype=np.float64).round(6).tolist()
    return result


def decode(codes):
    return np.tile(np.asarray(codes)[:, :1, None], (1, 28, 28)).clip(0, 1)


CASES = {
    # data
    "add_gaussian_noise": lambda: (
        data.add_gaussian_noise,
        (IMAGES[:2], 0.25),
        {"seed": 3, "clip_range": (0.0, 1.0)},
    ),
    "make_3d_toy_data": lambda: (
        data.make_3d_toy_data,
        (50,),
        {"noise": 0.5, "seed": 1},
    ),
    "class_examples": lambda: (data.class_examples, (IMAGES, LABELS, 1), {}),
    "make_gaussian_ring": lambda: (
        data.make_gaussian_ring,
        (100,),
        {"n_modes": 8, "radius": 2.0, "stddev": 0.25, "seed": 0},
    ),
    "ring_centres": lambda: (data.ring_centres, (8, 2.0), {}),
    # metrics
    "fit_pca": lambda: (
        lambda *a: metrics.fit_pca(*a).transform(FEATURES_A),
        (FEATURES_A, 2),
        {},
    ),
    "kernel_distance_from_features": lambda: (
        metrics.kernel_distance_from_features,
        (FEATURES_A, FEATURES_B),
        {"n_subsets": 2, "subset_size": 10, "seed": 0},
    ),
    "precision_recall_from_features": lambda: (
        metrics.precision_recall_from_features,
        (FEATURES_A, FEATURES_B),
        {"k": 3, "batch_rows": 8},
    ),
    "class_coverage_from_probabilities": lambda: (
        metrics.class_coverage_from_probabilities,
        (np.eye(10)[LABELS],),
        {"threshold": 0.25},
    ),
    "blur_images": lambda: (metrics.blur_images, (IMAGES[:2], 1.0), {}),
    "ring_mode_coverage": lambda: (
        metrics.ring_mode_coverage,
        (data.make_gaussian_ring(100, seed=1)[0], data.ring_centres(8, 2.0)),
        {"stddev": 0.25, "n_std": 3.0, "min_share": 0.25},
    ),
    # layers
    "KLSparsityRegularizer": lambda: (layers.KLSparsityRegularizer, (0.5, 0.25), {}),
    "MinibatchDiscrimination": lambda: (layers.MinibatchDiscrimination, (3, 2), {}),
    "Sampling": lambda: (layers.Sampling, (), {"seed": 3}),
    # plotting
    "plot_image_grid": lambda: (
        plotting.plot_image_grid,
        (IMAGES[:4],),
        {"n_cols": 2, "image_size": 1.5},
    ),
    "plot_reconstructions": lambda: (
        plotting.plot_reconstructions,
        (IMAGES[:4], IMAGES[:4]),
        {"n_images": 3},
    ),
    "plot_latent_scatter": lambda: (
        plotting.plot_latent_scatter,
        (FEATURES_A[:20, :2], LABELS),
        {"images": IMAGES, "n_thumbnails": 3},
    ),
    "plot_activation_histograms": lambda: (
        plotting.plot_activation_histograms,
        ({"codings": FEATURES_A},),
        {"bins": 5},
    ),
    "plot_error_vs_latent_size": lambda: (
        plotting.plot_error_vs_latent_size,
        ({"dense": {2: 0.5, 4: 0.25}},),
        {},
    ),
    # widgets
    "static_traversal": lambda: (
        widgets.static_traversal,
        (decode, 2),
        {"n_steps": 3, "span": 1.0},
    ),
    # autoencoders
    "build_linear_autoencoder": lambda: (
        autoencoders.build_linear_autoencoder,
        (3, 2),
        {},
    ),
    "build_dense_autoencoder": lambda: (
        autoencoders.build_dense_autoencoder,
        ((8, 8), 3, (16,)),
        {"gaussian_noise": 0.25, "input_dropout": 0.25},
    ),
    "build_conv_autoencoder": lambda: (
        autoencoders.build_conv_autoencoder,
        ((8, 8), 3, (4, 8)),
        {},
    ),
    # VAE
    "build_dense_vae": lambda: (
        vae.build_dense_vae,
        ((8, 8), 2, (8,)),
        {"beta": 2.0, "seed": 1},
    ),
    "vae.sample": lambda: (
        vae.build_dense_vae((8, 8), 2, (8,), seed=1).sample,
        (3,),
        {"seed": 0},
    ),
    "traversal_codes": lambda: (
        vae.traversal_codes,
        (np.zeros(2),),
        {"n_steps": 3, "span": 1.5},
    ),
    "grid_codes": lambda: (vae.grid_codes, (3, 1.5), {}),
    "interpolate_codes": lambda: (
        vae.interpolate_codes,
        ([0.0, 0.0], [1.0, 2.0], 3),
        {},
    ),
    # GANs
    "build_dense_gan": lambda: (
        gan.build_dense_gan,
        (4, (8, 8)),
        {
            "d_steps": 2,
            "label_smoothing": 0.25,
            "instance_noise": 0.5,
            "replay_size": 4,
            "replay_fraction": 0.5,
            "unroll_steps": 1,
            "seed": 0,
        },
    ),
    "gan.generate": lambda: (
        gan.build_dense_gan(4, (8, 8), seed=0).generate,
        (2,),
        {"seed": 0, "batch_size": 2},
    ),
    "build_dcgan_discriminator": lambda: (
        gan.build_dcgan_discriminator,
        ((8, 8),),
        {"filters": (4, 8), "dropout": 0.25},
    ),
    "FixedNoiseSamples": lambda: (
        gan.FixedNoiseSamples,
        (4,),
        {"seed": 0, "every": 2},
    ),
    "build_conditional_gan": lambda: (
        conditional_gan.build_conditional_gan,
        (4, 3, (8, 8)),
        {"label_smoothing": 0.25},
    ),
    "build_acgan_discriminator": lambda: (
        conditional_gan.build_acgan_discriminator,
        (3, (8, 8)),
        {},
    ),
    # pix2pix
    "build_unet_generator": lambda: (
        pix2pix.build_unet_generator,
        ((8, 8), (4, 8)),
        {"dropout": 0.25},
    ),
    "build_pix2pix": lambda: (
        pix2pix.build_pix2pix,
        ((8, 8), (4, 8)),
        {"l1_weight": 10.0},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_scalars_work_like_python_numbers(name):
    function, args, kwargs = CASES[name]()
    with_python = summary(function(*args, **kwargs))
    with_numpy = summary(function(*as_numpy_scalars(args), **as_numpy_scalars(kwargs)))
    assert with_numpy == with_python


@pytest.mark.parametrize("seed", [np.int64(3), np.int32(3), np.uint32(3)])
def test_seeding_accepts_numpy_integers(monkeypatch, seed):
    monkeypatch.setenv("COURSE_FAST", "1")
    seeding.reset_seed(3)
    expected = np.random.rand(2)
    seeding.reset_seed(seed)
    np.testing.assert_array_equal(np.random.rand(2), expected)
    assert config.setup(seed, verbose=False).seed == 3
