"""Normalizing flows: masks, the affine coupling, RealNVP (course_utils.models.flows).

Everything is tiny so that the file stays fast: couplings of 4 to 16 units,
4x4 and 8x8 images. Since every coupling starts as the identity (its last
layer is zero), the tests that check the maths first set every weight to
random values. The log-determinants are checked against numerical Jacobians
(central differences on float64 copies of the flows), the density of the 2-D
flow against a numerical integral over a grid, and the bits per dimension of
an identity flow against the formula written out in NumPy.
"""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from course_utils import data
from course_utils.likelihood import dequantize
from course_utils.models import flows
from course_utils.models.flows import (
    AffineCoupling,
    RealNVP,
    alternating_mask,
    block_mask,
    build_realnvp,
    build_toy_flow,
    checkerboard_mask,
    dequantized_dataset,
    inverse_logit_transform,
    logit_transform,
    squeeze,
    unsqueeze,
)

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def perturb(layer_or_model, seed=0, scale=0.3):
    """Set every weight to random values, so that no coupling is the identity.

    Kernels and biases get N(0, scale^2) noise (the zero-initialised last
    layers included), the log-scale bounds ``scale`` values in [0.5, 1.5].
    """
    if not layer_or_model.built:
        layer_or_model.build((None, *layer_or_model.event_shape))
    rng = np.random.default_rng(seed)
    assert layer_or_model.weights
    for variable in layer_or_model.weights:
        value = np.array(variable.numpy())
        if variable.name == "scale":
            value = rng.uniform(0.5, 1.5, value.shape)
        else:
            value = value + rng.normal(0.0, scale, value.shape)
        variable.assign(value.astype(variable.dtype))
    return layer_or_model


def float64_copy(flow):
    """The same flow computed in float64 (for numerical derivatives)."""
    copy = RealNVP.from_config(flow.get_config() | {"dtype": "float64"})
    copy.set_weights([w.astype(np.float64) for w in flow.get_weights()])
    return copy


def numerical_log_det(function, x, eps=1e-5):
    """``log |det J|`` of ``function`` at each row of ``x`` (batch, D), float64.

    Central differences: ``J[:, i] = (f(x + eps e_i) - f(x - eps e_i)) / 2 eps``.
    """
    results = []
    for row in x:
        dims = row.size
        steps = eps * np.eye(dims)
        outputs = function(np.concatenate([row + steps, row - steps]))
        jacobian = (outputs[:dims] - outputs[dims:]) / (2 * eps)
        sign, log_det = np.linalg.slogdet(jacobian)
        assert sign != 0
        results.append(log_det)
    return np.array(results)


def standard_normal_log_density(x):
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    return -0.5 * (x**2).sum(axis=1) - 0.5 * x.shape[1] * math.log(2 * math.pi)


@pytest.fixture(scope="module")
def toy_flow():
    """A 2-D flow of 4 couplings with random weights."""
    return perturb(build_toy_flow(n_couplings=4, hidden=16, seed=0), seed=1)


@pytest.fixture(scope="module")
def image_flow():
    """A logit flow on 4x4 images, 3 couplings, random weights."""
    return perturb(
        build_realnvp(
            (4, 4), n_couplings=3, hidden=4, layers=2, seed=0, squeezed_couplings=0
        ),
        seed=2,
        scale=0.2,
    )


@pytest.fixture(scope="module")
def multiscale_flow():
    """A logit flow on 4x4 images: 1 checkerboard coupling, a squeeze, 3 block
    couplings on 2x2x4 with residual CNNs; random weights."""
    return perturb(
        build_realnvp(
            (4, 4),
            n_couplings=1,
            hidden=4,
            squeezed_couplings=3,
            squeezed_hidden=6,
            residual=True,
            seed=0,
        ),
        seed=8,
        scale=0.2,
    )


# --------------------------------------------------------------------------
# masks
# --------------------------------------------------------------------------


def test_alternating_mask_values_and_parity():
    mask = alternating_mask(5)
    assert mask.dtype == np.float32
    assert mask.tolist() == [1, 0, 1, 0, 1]
    assert alternating_mask(4, 1).tolist() == [0, 1, 0, 1]
    np.testing.assert_array_equal(alternating_mask(6, 0) + alternating_mask(6, 1), 1)


def test_checkerboard_mask_values_and_parity():
    mask = checkerboard_mask((3, 4))
    assert mask.dtype == np.float32 and mask.shape == (3, 4)
    assert mask.tolist() == [[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]
    np.testing.assert_array_equal(mask + checkerboard_mask((3, 4), 1), 1)
    # Neighbours always differ: each kept pixel sees transformed ones around it.
    assert np.all(mask[1:] != mask[:-1]) and np.all(mask[:, 1:] != mask[:, :-1])
    assert checkerboard_mask([1, 2]).tolist() == [[1, 0]]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: alternating_mask(1), ValueError, "dims must be an integer >= 2"),
        (lambda: alternating_mask(4, 2), ValueError, "parity must be an integer"),
        (lambda: alternating_mask(4.0), TypeError, "dims"),
        (lambda: checkerboard_mask((4,)), ValueError, r"shape must be \(height"),
        (lambda: checkerboard_mask((1, 1)), ValueError, "at least 2 pixels"),
        (lambda: checkerboard_mask((4, 0)), ValueError, "shape must be a positive"),
        (lambda: checkerboard_mask((4, 4), -1), ValueError, "parity"),
    ],
)
def test_mask_functions_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_block_masks_cycle_through_the_three_splits_of_a_block():
    kept = [block_mask((2, 3), index)[0, 0].tolist() for index in range(7)]
    assert kept == [
        [1, 1, 0, 0],  # top row
        [0, 0, 1, 1],
        [1, 0, 1, 0],  # left column
        [0, 1, 0, 1],
        [1, 0, 0, 1],  # diagonal: the checkerboard of the original image
        [0, 1, 1, 0],
        [1, 1, 0, 0],
    ]
    mask = block_mask((2, 3), 4)
    assert mask.dtype == np.float32 and mask.shape == (2, 3, 4)
    assert np.all(mask == mask[:1, :1])  # the same in every block
    # The diagonal split is the checkerboard seen through a squeeze.
    np.testing.assert_array_equal(
        to_numpy(unsqueeze(mask[None]))[0], checkerboard_mask((4, 6))
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: block_mask((4,)), ValueError, r"shape must be \(height"),
        (lambda: block_mask((4, 0)), ValueError, "shape must be a positive"),
        (lambda: block_mask((4, 4), -1), ValueError, "index must be an integer >= 0"),
        (lambda: block_mask((4, 4), 1.0), TypeError, "index"),
        (lambda: squeeze(np.zeros((2, 3, 4))), ValueError, "x must be grey images"),
        (lambda: squeeze(np.zeros((2, 4))), ValueError, r"got shape \(2, 4\)"),
        (lambda: unsqueeze(np.zeros((2, 3, 3, 2))), ValueError, "x must be squeezed"),
    ],
)
def test_block_mask_and_squeeze_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_squeeze_is_a_permutation_undone_by_unsqueeze():
    x = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    squeezed = to_numpy(squeeze(x))
    assert squeezed.shape == (2, 2, 3, 4)
    # Channel 2 * row + column holds that pixel of each 2x2 block.
    for row in range(2):
        for column in range(2):
            np.testing.assert_array_equal(
                squeezed[..., 2 * row + column], x[:, row::2, column::2]
            )
    np.testing.assert_array_equal(to_numpy(unsqueeze(squeezed)), x)


# --------------------------------------------------------------------------
# the logit transform
# --------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 1e-6])
def test_logit_transform_inverse_and_log_det(alpha):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 3, 3))
    y, log_det = logit_transform(x, alpha)
    p = alpha + (1 - 2 * alpha) * x
    np.testing.assert_allclose(to_numpy(y), np.log(p / (1 - p)), rtol=1e-12)
    # dy/dx = (1 - 2 alpha) / (p (1 - p)), element by element.
    expected = np.log((1 - 2 * alpha) / (p * (1 - p))).sum(axis=(1, 2))
    np.testing.assert_allclose(to_numpy(log_det), expected, rtol=1e-10)
    np.testing.assert_allclose(
        to_numpy(inverse_logit_transform(y, alpha)), x, atol=1e-9
    )
    # float64 stays float64, float32 stays float32.
    assert to_numpy(y).dtype == np.float64
    assert to_numpy(logit_transform(x.astype(np.float32))[0]).dtype == np.float32


def test_logit_transform_bounds_the_values():
    y, _ = logit_transform(np.array([[0.0, 1.0]], np.float32))
    limit = math.log(0.95 / 0.05)
    np.testing.assert_allclose(to_numpy(y), [[-limit, limit]], rtol=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.5, -0.1, float("nan")])
def test_logit_transform_bad_alpha(alpha):
    with pytest.raises(ValueError, match=r"alpha must be a number in \(0, 0.5\)"):
        logit_transform(np.zeros((1, 2)), alpha)
    with pytest.raises(ValueError, match="alpha"):
        inverse_logit_transform(np.zeros((1, 2)), alpha)


# --------------------------------------------------------------------------
# the affine coupling
# --------------------------------------------------------------------------


MASKS = [alternating_mask(6), checkerboard_mask((4, 5), 1), block_mask((3, 2), 3)]
MASK_IDS = ["mlp", "cnn", "cnn-channels"]


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("mask", MASKS, ids=MASK_IDS)
def test_coupling_starts_as_the_identity(mask, residual):
    coupling = AffineCoupling(mask, hidden=8, layers=3, residual=residual)
    x = np.random.default_rng(0).normal(size=(3, *mask.shape)).astype(np.float32)
    y, log_det = coupling.forward(x)
    np.testing.assert_array_equal(to_numpy(y), x)
    np.testing.assert_array_equal(to_numpy(log_det), np.zeros(3))
    assert [w.shape for w in coupling.weights if w.name == "scale"] == [mask.shape]


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("mask", MASKS, ids=MASK_IDS)
def test_coupling_formula_inverse_and_log_det(mask, residual):
    coupling = perturb(
        AffineCoupling(mask, hidden=8, layers=2, seed=3, residual=residual), seed=4
    )
    x = np.random.default_rng(1).normal(size=(5, *mask.shape)).astype(np.float32)
    y, log_det = (to_numpy(v) for v in coupling.forward(x))
    shift, log_scale = (to_numpy(v) for v in coupling.shift_and_log_scale(x))
    kept = mask.astype(bool)
    # Kept entries are untouched and get neither scale nor shift.
    np.testing.assert_array_equal(y[:, kept], x[:, kept])
    assert np.all(shift[:, kept] == 0) and np.all(log_scale[:, kept] == 0)
    # The others are scaled and shifted, with a bounded, non-zero log-scale.
    assert np.abs(log_scale[:, ~kept]).min() > 0
    assert np.abs(log_scale).max() <= coupling.scale.numpy().max() + 1e-6
    np.testing.assert_allclose(y, x * np.exp(log_scale) + shift, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        log_det, log_scale.reshape(5, -1).sum(axis=1), rtol=1e-5, atol=1e-6
    )
    # s and t only see the kept entries, which y shares with x.
    np.testing.assert_allclose(
        to_numpy(coupling.shift_and_log_scale(y)[1]), log_scale, atol=1e-6
    )
    x_back, inverse_log_det = (to_numpy(v) for v in coupling.inverse(y))
    assert np.abs(x_back - x).max() < 1e-5
    np.testing.assert_allclose(inverse_log_det, -log_det, atol=1e-6)


def test_coupling_log_det_matches_a_numerical_jacobian():
    mask = alternating_mask(5, 1)
    coupling32 = perturb(AffineCoupling(mask, hidden=8, seed=0), seed=5)
    coupling = AffineCoupling(mask, hidden=8, seed=0, dtype="float64")
    coupling.build((None, 5))
    coupling.set_weights([w.astype(np.float64) for w in coupling32.get_weights()])
    x = np.random.default_rng(2).normal(size=(3, 5))
    log_det = to_numpy(coupling.forward(x)[1])
    assert to_numpy(coupling.forward(x)[0]).dtype == np.float64
    numerical = numerical_log_det(lambda b: to_numpy(coupling.forward(b)[0]), x)
    np.testing.assert_allclose(log_det, numerical, rtol=1e-3, atol=1e-6)
    assert np.abs(numerical).min() > 0.05  # not the identity


@pytest.mark.parametrize(
    ("mask", "error", "match"),
    [
        (
            [1, 0, 2],
            ValueError,
            "mask must hold only 0s and 1s; got the values 0, 1, 2",
        ),
        ([0.5, 1.0], ValueError, "mask must hold only 0s and 1s"),
        ([1, float("nan")], ValueError, "mask must hold only 0s and 1s"),
        ([1, 1, 1], ValueError, "mask must hold both 1s .* got only 1s"),
        ([[0, 0], [0, 0]], ValueError, "mask must hold both .* got only 0s"),
        (
            np.ones((2, 2, 2, 2)),
            ValueError,
            r"mask must be 1-D .* 3-D .* got shape \(2, 2, 2, 2\)",
        ),
        (1, ValueError, r"mask must be 1-D .* got shape \(\)"),
        (["a", "b"], TypeError, "mask must be an array of 0s and 1s"),
    ],
)
def test_coupling_rejects_bad_masks(mask, error, match):
    with pytest.raises(error, match=match):
        AffineCoupling(mask)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"hidden": 0}, ValueError, "hidden must be a positive integer"),
        ({"hidden": 8.0}, TypeError, "hidden"),
        ({"layers": 0}, ValueError, "layers must be a positive integer"),
        ({"seed": -1}, ValueError, "seed"),
        ({"residual": "yes"}, TypeError, "residual must be True or False"),
    ],
)
def test_coupling_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        AffineCoupling([1, 0], **kwargs)


def test_coupling_rejects_inputs_of_another_shape():
    coupling = AffineCoupling(checkerboard_mask((4, 4)))
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 4, 4\)"):
        coupling(np.zeros((2, 4, 5), np.float32))


def test_coupling_config_round_trip():
    mask = checkerboard_mask((3, 3))
    coupling = perturb(
        AffineCoupling(mask, hidden=4, layers=2, seed=7, residual=True, name="c")
    )
    config = coupling.get_config()
    assert config["mask"] == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert (config["hidden"], config["layers"], config["seed"]) == (4, 2, 7)
    assert config["residual"] is True
    json.dumps(config)  # plain values only
    for copy in (
        AffineCoupling.from_config(config),
        keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(coupling)
        ),
    ):
        assert isinstance(copy, AffineCoupling) and copy.name == "c"
        if not copy.built:
            copy.build((None, 3, 3))
        copy.set_weights(coupling.get_weights())
        x = np.random.default_rng(0).normal(size=(2, 3, 3)).astype(np.float32)
        np.testing.assert_array_equal(
            to_numpy(copy.forward(x)[0]), to_numpy(coupling.forward(x)[0])
        )


# --------------------------------------------------------------------------
# RealNVP: the flow's maths
# --------------------------------------------------------------------------


def test_realnvp_structure():
    flow = build_realnvp((4, 6), n_couplings=3, hidden=4, seed=0, squeezed_couplings=0)
    assert flow.event_shape == (4, 6) and flow.dims == 24
    assert flow.preprocess == "logit" and flow.logit_alpha == 0.05
    masks = [coupling.mask for coupling in flow.couplings]
    assert len(masks) == 3
    np.testing.assert_array_equal(masks[0], checkerboard_mask((4, 6), 0))
    np.testing.assert_array_equal(masks[1], checkerboard_mask((4, 6), 1))
    np.testing.assert_array_equal(masks[2], masks[0])
    toy = build_toy_flow(dims=3, n_couplings=2, seed=0)
    assert toy.preprocess is None and toy.dims == 3
    assert [c.mask.tolist() for c in toy.couplings] == [[1, 0, 1], [0, 1, 0]]
    # Seeded flows are reproducible.
    again = build_realnvp((4, 6), n_couplings=3, hidden=4, seed=0, squeezed_couplings=0)
    for a, b in zip(flow.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_multiscale_structure():
    flow = build_realnvp(
        (4, 6), n_couplings=2, hidden=4, squeezed_couplings=3, squeezed_hidden=None
    )
    assert (flow.n_couplings, flow.squeezed_couplings) == (2, 3)
    assert len(flow.couplings) == 5 and flow.squeezed_hidden == 8  # 2 * hidden
    np.testing.assert_array_equal(flow.couplings[1].mask, checkerboard_mask((4, 6), 1))
    for index, coupling in enumerate(flow.couplings[2:]):
        np.testing.assert_array_equal(coupling.mask, block_mask((2, 3), index))
        assert coupling.hidden == 8
    # Only squeezed couplings is allowed too.
    flow = build_realnvp((4, 4), n_couplings=0, hidden=4, squeezed_couplings=2)
    assert [c.mask.shape for c in flow.couplings] == [(2, 2, 4)] * 2
    x = np.random.default_rng(0).uniform(0, 1, (3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(  # starts as the logit transform
        to_numpy(flow.forward(x)[0]), to_numpy(logit_transform(x)[0]), rtol=1e-6
    )


def test_identity_flow_is_the_standard_normal():
    flow = build_toy_flow(n_couplings=3, hidden=8, seed=0)
    x = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32) * 2
    z, log_det = flow.forward(x)
    np.testing.assert_array_equal(to_numpy(z), x)
    np.testing.assert_array_equal(to_numpy(log_det), 0.0)
    np.testing.assert_allclose(
        flow.log_prob(x), standard_normal_log_density(x), rtol=1e-6
    )
    assert flow.log_prob(np.zeros((1, 2)))[0] == pytest.approx(-math.log(2 * math.pi))


def test_identity_logit_flow_is_a_logit_normal_density():
    flow = build_realnvp((3, 3), n_couplings=2, hidden=4, seed=0, squeezed_couplings=0)
    x = np.random.default_rng(0).uniform(0, 1, (10, 3, 3)).astype(np.float32)
    alpha = 0.05
    p = alpha + (1 - 2 * alpha) * x.astype(np.float64)
    y = np.log(p / (1 - p))
    expected = standard_normal_log_density(y) + np.log(
        (1 - 2 * alpha) / (p * (1 - p))
    ).reshape(10, -1).sum(axis=1)
    np.testing.assert_allclose(flow.log_prob(x), expected, rtol=1e-5)


def test_toy_flow_inverse_reconstructs(toy_flow):
    x = np.random.default_rng(3).normal(size=(200, 2)).astype(np.float32) * 2
    z, log_det = toy_flow.forward(x)
    assert np.abs(to_numpy(z) - x).max() > 0.1  # not the identity
    assert np.abs(to_numpy(log_det)).max() > 0.1
    assert np.abs(to_numpy(toy_flow.inverse(z)) - x).max() < 1e-4


def test_image_flow_inverse_reconstructs():
    flow = perturb(
        build_realnvp((8, 8), n_couplings=4, hidden=8, seed=1, squeezed_couplings=0),
        seed=6,
        scale=0.1,
    )
    x = np.random.default_rng(4).uniform(0, 1, (16, 8, 8)).astype(np.float32)
    z, _ = flow.forward(x)
    assert np.abs(to_numpy(z) - to_numpy(logit_transform(x)[0])).max() > 0.1
    assert np.abs(to_numpy(flow.inverse(z)) - x).max() < 1e-4


def test_multiscale_flow_inverse_reconstructs():
    flow = perturb(
        build_realnvp(
            (8, 8), n_couplings=2, hidden=8, squeezed_couplings=4, residual=True
        ),
        seed=9,
        scale=0.1,
    )
    x = np.random.default_rng(4).uniform(0, 1, (16, 8, 8)).astype(np.float32)
    z, _ = flow.forward(x)
    assert z.shape == (16, 8, 8)
    assert np.abs(to_numpy(z) - to_numpy(logit_transform(x)[0])).max() > 0.1
    assert np.abs(to_numpy(flow.inverse(z)) - x).max() < 1e-4


def test_default_image_flow_is_multiscale_and_invertible():
    flow = build_realnvp(seed=0)
    assert (flow.n_couplings, flow.squeezed_couplings) == (2, 8)
    assert (flow.hidden, flow.squeezed_hidden, flow.residual) == (16, 48, False)
    assert flow.count_params() == 235_684
    assert [c.mask.shape for c in flow.couplings] == [(28, 28)] * 2 + [(14, 14, 4)] * 8
    perturb(flow, seed=10, scale=0.02)
    x = np.random.default_rng(5).uniform(0, 1, (4, 28, 28)).astype(np.float32)
    z, log_det = flow.forward(x)
    assert np.abs(to_numpy(z) - to_numpy(logit_transform(x)[0])).max() > 0.1
    assert np.all(np.isfinite(to_numpy(log_det)))
    assert np.abs(to_numpy(flow.inverse(z)) - x).max() < 1e-4


def test_toy_flow_log_det_matches_a_numerical_jacobian(toy_flow):
    flow = float64_copy(toy_flow)
    x = np.random.default_rng(5).normal(size=(6, 2)) * 2
    log_det = to_numpy(flow.forward(x)[1])
    np.testing.assert_allclose(
        log_det, to_numpy(toy_flow.forward(x.astype(np.float32))[1]), atol=1e-4
    )
    numerical = numerical_log_det(lambda b: to_numpy(flow.forward(b)[0]), x)
    np.testing.assert_allclose(log_det, numerical, rtol=1e-3, atol=1e-6)
    assert np.abs(numerical).max() > 0.3  # not volume-preserving


@pytest.mark.parametrize("fixture", ["image_flow", "multiscale_flow"])
def test_image_flow_log_det_matches_a_numerical_jacobian(fixture, request):
    """16x16 Jacobians of the whole flow, logit transform included (for the
    multi-scale flow: the squeeze, block couplings and unsqueeze too)."""
    flow = float64_copy(request.getfixturevalue(fixture))
    x = np.random.default_rng(6).uniform(0.05, 0.95, (3, 4, 4))

    def forward(batch):
        return to_numpy(flow.forward(batch.reshape(-1, 4, 4))[0]).reshape(
            len(batch), -1
        )

    log_det = to_numpy(flow.forward(x)[1])
    numerical = numerical_log_det(forward, x.reshape(3, -1))
    np.testing.assert_allclose(log_det, numerical, rtol=1e-3)
    # The couplings contribute: it differs from the logit transform's alone.
    logit_only = to_numpy(logit_transform(x)[1])
    assert np.abs(log_det - logit_only).max() > 0.3


def test_toy_flow_density_integrates_to_one(toy_flow):
    step = 0.04
    grid = np.arange(-10, 10 + step / 2, step, dtype=np.float32)
    points = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    density = np.exp(toy_flow.log_prob(points, batch_size=len(points)))
    assert density.sum() * step**2 == pytest.approx(1.0, abs=0.01)
    # The flow is not the standard normal, which also integrates to 1.
    normal = np.exp(standard_normal_log_density(points))
    assert np.abs(density - normal).sum() * step**2 > 0.1


# --------------------------------------------------------------------------
# RealNVP: training, sampling, bits per dimension
# --------------------------------------------------------------------------


def test_training_on_the_gaussian_ring_lowers_the_nll():
    points, _ = data.make_gaussian_ring(2048, stddev=0.1, seed=0)
    held_out, _ = data.make_gaussian_ring(512, stddev=0.1, seed=1)
    keras.utils.set_random_seed(0)
    flow = build_toy_flow(n_couplings=4, hidden=32, seed=0)
    flow.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = flow.evaluate(held_out, batch_size=512, verbose=0)
    # The identity flow: the standard normal's NLL per dimension.
    expected = -standard_normal_log_density(held_out).mean() / 2
    assert before == pytest.approx(expected, rel=1e-5)
    history = flow.fit(points, epochs=15, batch_size=128, verbose=0)
    after = flow.evaluate(held_out, batch_size=512, verbose=0)
    # Measured: 1.92 -> 0.90 nats per dimension (0.84 to 1.13 with seeds 0-2;
    # the standard normal's scale is fitted first, 1.92 -> 1.68, then the ring).
    assert after < before - 0.5, (before, after)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(
        after, -flow.log_prob(held_out).mean() / 2, rtol=1e-4, atol=1e-5
    )
    samples = flow.sample(500, seed=0)
    assert samples.shape == (500, 2) and samples.dtype == np.float32
    assert np.all(np.isfinite(samples))
    # Samples moved towards the ring of radius 2.
    radius = np.linalg.norm(samples, axis=1)
    assert abs(np.median(radius) - 2.0) < abs(
        np.median(
            np.linalg.norm(np.random.default_rng(0).normal(size=(500, 2)), axis=1)
        )
        - 2.0
    )


def test_fit_on_a_dequantized_dataset():
    levels = np.random.default_rng(0).integers(0, 256, (64, 4, 4), dtype=np.uint8)
    flow = build_realnvp((4, 4), n_couplings=2, hidden=4, seed=0, squeezed_couplings=0)
    flow.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = flow.fit(dequantized_dataset(levels, 32, seed=0), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert np.all(np.isfinite(history.history["loss"]))
    # y is ignored.
    flow.fit(dequantize(levels, 0), np.zeros(64), epochs=1, verbose=0)


def test_sampling_temperature_seed_and_clipping():
    flow = build_realnvp((3, 3), n_couplings=2, hidden=4, seed=0, squeezed_couplings=0)
    # z = 0 is the middle of the logit: grey images of 0.5.
    np.testing.assert_allclose(flow.sample(2, temperature=0.0), 0.5, atol=1e-6)
    samples = flow.sample(300, seed=1, batch_size=64)
    assert samples.shape == (300, 3, 3)
    assert samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_allclose(flow.sample(5, seed=1), samples[:5], atol=1e-6)
    assert not np.array_equal(flow.sample(5, seed=2), samples[:5])
    toy = build_toy_flow(n_couplings=2, seed=0)
    np.testing.assert_allclose(
        toy.sample(4000, seed=0, temperature=0.5).std(), 0.5, rtol=0.05
    )


def test_bits_per_dim_of_an_identity_flow_is_the_formula():
    flow = build_realnvp((4, 4), n_couplings=2, hidden=4, seed=0, squeezed_couplings=0)
    levels = np.random.default_rng(0).integers(0, 256, (20, 4, 4))
    x = dequantize(levels, seed=3).astype(np.float64)
    alpha = 0.05
    p = alpha + (1 - 2 * alpha) * x
    log_p = standard_normal_log_density(np.log(p / (1 - p))) + np.log(
        (1 - 2 * alpha) / (p * (1 - p))
    ).reshape(20, -1).sum(axis=1)
    expected = np.mean(-log_p / (16 * math.log(2)) + 8)
    assert flow.bits_per_dim(levels, seed=3) == pytest.approx(expected, rel=1e-5)
    assert isinstance(flow.bits_per_dim(levels), float)


def test_bits_per_dim_of_an_untrained_flow_is_plausible(image_flow):
    levels = np.random.default_rng(1).integers(0, 256, (50, 4, 4), dtype=np.uint8)
    value = image_flow.bits_per_dim(levels, batch_size=16)
    assert np.isfinite(value) and 0 < value < 30
    # Same seed, same value; another seed, another draw of the noise.
    assert image_flow.bits_per_dim(levels) == value
    assert image_flow.bits_per_dim(levels, seed=1) != value


def test_bits_per_dim_refuses_images_that_are_not_levels(image_flow):
    levels = np.random.default_rng(1).integers(0, 256, (5, 4, 4))
    with pytest.raises(ValueError, match="levels must hold whole grey levels"):
        image_flow.bits_per_dim(levels / 255.0)
    with pytest.raises(ValueError, match="levels must hold grey levels from 0 to 255"):
        image_flow.bits_per_dim(levels + 10)
    with pytest.raises(ValueError, match=r"levels must have shape \(N, 4, 4\)"):
        image_flow.bits_per_dim(levels.reshape(5, 2, 8))
    with pytest.raises(ValueError, match=r"levels must have shape \(N, 4, 4\)"):
        image_flow.bits_per_dim(levels[0])


# --------------------------------------------------------------------------
# dequantized data
# --------------------------------------------------------------------------


def test_dequantized_dataset_draws_fresh_noise_each_epoch():
    levels = np.arange(48, dtype=np.uint8).reshape(3, 4, 4) * 5
    dataset = dequantized_dataset(levels, batch_size=3, shuffle=False, seed=0)
    first = next(iter(dataset)).numpy()
    second = next(iter(dataset)).numpy()
    for batch in (first, second):
        assert batch.dtype == np.float32 and batch.shape == (3, 4, 4)
        np.testing.assert_array_equal(np.floor(batch * 256), levels)
    assert not np.array_equal(first, second)
    again = dequantized_dataset(levels, batch_size=3, shuffle=False, seed=0)
    np.testing.assert_array_equal(next(iter(again)).numpy(), first)
    shuffled = dequantized_dataset(levels, batch_size=3, seed=1)
    order = np.floor(next(iter(shuffled)).numpy() * 256)[:, 0, 0]
    assert sorted(order.tolist()) == [0, 80, 160]


def test_dequantized_dataset_refuses_scaled_images():
    with pytest.raises(ValueError, match="levels must hold whole grey levels"):
        dequantized_dataset(np.full((2, 4, 4), 0.5))
    with pytest.raises(ValueError, match="batch_size"):
        dequantized_dataset(np.zeros((2, 4, 4), np.uint8), 0)


# --------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------


def test_config_is_plain_and_round_trips(image_flow):
    config = image_flow.get_config()
    assert config == {
        "event_shape": [4, 4],
        "n_couplings": 3,
        "hidden": 4,
        "layers": 2,
        "preprocess": "logit",
        "logit_alpha": 0.05,
        "seed": 0,
        "squeezed_couplings": 0,
        "squeezed_hidden": 48,
        "residual": False,
        "name": "realnvp",
        "dtype": "float32",
    }
    json.dumps(config)
    copy = RealNVP.from_config(config)
    assert copy.get_config() == config
    assert [w.shape for w in copy.weights] == [w.shape for w in image_flow.weights]
    # Configs saved before the multi-scale options load as plain flows.
    old = {k: v for k, v in config.items() if "squeezed" not in k and k != "residual"}
    loaded = RealNVP.from_config(old)
    assert (loaded.squeezed_couplings, loaded.residual) == (0, False)
    assert [w.shape for w in loaded.weights] == [w.shape for w in image_flow.weights]


@pytest.mark.parametrize("kind", ["toy", "image", "multiscale"])
def test_save_and_load_round_trip(
    kind, toy_flow, image_flow, multiscale_flow, tmp_path
):
    flow = {"toy": toy_flow, "image": image_flow, "multiscale": multiscale_flow}[kind]
    rng = np.random.default_rng(7)
    if kind == "toy":
        x = rng.normal(size=(20, 2)).astype(np.float32)
    else:
        x = rng.uniform(0, 1, (20, 4, 4)).astype(np.float32)
    path = tmp_path / f"{kind}.keras"
    flow.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, RealNVP)
    assert loaded.get_config() == flow.get_config()
    np.testing.assert_array_equal(loaded.log_prob(x), flow.log_prob(x))
    np.testing.assert_array_equal(loaded.sample(3, seed=0), flow.sample(3, seed=0))


def test_a_trained_compiled_flow_reloads_and_keeps_training(tmp_path):
    points, _ = data.make_gaussian_ring(256, seed=0)
    flow = build_toy_flow(n_couplings=2, hidden=8, seed=0)
    flow.compile(optimizer=keras.optimizers.Adam(1e-2))
    flow.fit(points, epochs=2, batch_size=64, verbose=0)
    path = tmp_path / "trained.keras"
    flow.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.log_prob(points), flow.log_prob(points))
    loaded.fit(points, epochs=1, batch_size=64, verbose=0)
    assert np.all(np.isfinite(loaded.log_prob(points)))


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"event_shape": (28, 28, 1)}, ValueError, r"event_shape must be \(dims,\)"),
        ({"event_shape": ()}, ValueError, "event_shape must be"),
        ({"event_shape": 2}, ValueError, "event_shape must be"),
        ({"event_shape": (1,)}, ValueError, "event_shape must hold at least 2"),
        ({"event_shape": (1, 1)}, ValueError, "event_shape must hold at least 2"),
        ({"event_shape": (0, 4)}, ValueError, "event_shape must be a positive"),
        ({"event_shape": (2.0,)}, TypeError, "event_shape"),
        ({"n_couplings": 0}, ValueError, "n_couplings must be a positive integer"),
        ({"n_couplings": 1.5}, TypeError, "n_couplings"),
        ({"hidden": 0}, ValueError, "hidden must be a positive integer; got 0"),
        ({"layers": -1}, ValueError, "layers must be a positive integer"),
        (
            {"preprocess": "sigmoid"},
            ValueError,
            "preprocess must be None or one of 'logit'; got 'sigmoid'",
        ),
        ({"logit_alpha": 0.5}, ValueError, r"logit_alpha must be a number in \(0"),
        ({"seed": 2.5}, TypeError, "seed"),
        (
            {"squeezed_couplings": -1},
            ValueError,
            "squeezed_couplings must be an integer >= 0",
        ),
        ({"squeezed_couplings": 1.5}, TypeError, "squeezed_couplings"),
        (
            {"squeezed_couplings": 2},
            ValueError,
            r"squeezed_couplings need grey images .* got event_shape \(2,\)",
        ),
        (
            {"event_shape": (4, 5), "squeezed_couplings": 2},
            ValueError,
            r"even height and width .* got event_shape \(4, 5\)",
        ),
        (
            {"event_shape": (4, 4), "squeezed_couplings": 1, "squeezed_hidden": 0},
            ValueError,
            "squeezed_hidden must be a positive integer",
        ),
        (
            {"event_shape": (4, 4), "squeezed_couplings": 1, "n_couplings": -1},
            ValueError,
            "n_couplings must be an integer >= 0",
        ),
        ({"residual": 1}, TypeError, "residual must be True or False; got 1"),
    ],
)
def test_realnvp_bad_arguments(kwargs, error, match):
    kwargs = {"event_shape": (2,), "n_couplings": 1, "hidden": 2} | kwargs
    with pytest.raises(error, match=match):
        RealNVP(**kwargs)


def test_log_prob_bad_inputs(toy_flow, image_flow):
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\) .* got shape"):
        toy_flow.log_prob(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4, 4\)"):
        image_flow.log_prob(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="x must contain only finite values; got 1"):
        toy_flow.log_prob(np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="x must be an array of numbers"):
        toy_flow.log_prob(np.array([["a", "b"]]))
    with pytest.raises(
        ValueError,
        match=r"x must hold images in \[0, 1\] .* got values from -0.1 to 1.2",
    ):
        image_flow.log_prob(np.array([-0.1, 0.5, 1.2, 0.3] * 4).reshape(1, 4, 4))
    # The toy flow takes any real values; a logit flow takes 1.0 itself.
    assert np.isfinite(toy_flow.log_prob(np.array([[-50.0, 300.0]]))).all()
    assert np.isfinite(image_flow.log_prob(np.ones((1, 4, 4)))).all()
    with pytest.raises(ValueError, match="batch_size"):
        toy_flow.log_prob(np.zeros((2, 2)), batch_size=0)


def test_forward_and_inverse_check_the_shape(toy_flow):
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 2\)"):
        toy_flow.forward(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"z must have shape \(batch, 2\)"):
        toy_flow.inverse(np.zeros((2,), np.float32))


def test_fit_refuses_levels_and_quantized_images():
    flow = build_realnvp((4, 4), n_couplings=1, hidden=2, seed=0, squeezed_couplings=0)
    flow.compile(optimizer="adam")
    levels = np.random.default_rng(0).integers(0, 256, (8, 4, 4), dtype=np.uint8)
    with pytest.raises(
        ValueError, match=r"x must hold images in \[0, 1\] .*got values from 0 to \d+"
    ) as error:
        flow.fit(levels, epochs=1, verbose=0)
    assert "cu.likelihood.dequantize(levels)" in str(error.value)
    for scaled, levels_per_unit in ((levels / 255, 255), (levels / 256, 256)):
        with pytest.raises(
            ValueError,
            match=f"x looks like 8-bit images scaled to .* 1/{levels_per_unit}",
        ):
            flow.fit(scaled.astype(np.float32), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="x looks like 8-bit images"):
        quantized = tf.data.Dataset.from_tensor_slices(levels / 255).batch(4)
        flow.fit(quantized, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4, 4\)"):
        flow.fit(np.full((8, 16), 0.3, np.float32), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        flow.fit(np.full((8, 4, 4), np.nan, np.float32), epochs=1, verbose=0)
    # Nothing was trained: the weights are still the initial ones.
    assert np.all(flow.couplings[0].output_layer.kernel.numpy() == 0)


def test_sample_bad_arguments(toy_flow):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        toy_flow.sample(0)
    with pytest.raises(ValueError, match=r"temperature must be a finite number >= 0"):
        toy_flow.sample(2, temperature=-1.0)
    with pytest.raises(ValueError, match="seed"):
        toy_flow.sample(2, seed=-3)


def test_module_exports():
    assert flows.LOGIT_ALPHA == 0.05 and flows.PREPROCESSES == ("logit",)
