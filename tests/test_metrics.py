"""Tests for course_utils.metrics (PCA, principal angles, errors, ROC/AUC)."""

import dataclasses

import numpy as np
import pytest

from course_utils import metrics

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def rotation_about_axis(axis, angle):
    """Rodrigues' rotation matrix of ``angle`` radians about ``axis`` in R^3."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    cross = np.array(
        [[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]]
    )
    return np.eye(3) + np.sin(angle) * cross + (1.0 - np.cos(angle)) * cross @ cross


def data_with_known_covariance(rng, n_samples, mean, stds, rotation):
    """Samples whose sample mean and covariance are exactly the ones given.

    The sample covariance (N - 1 denominator) is rotation @ diag(stds**2) @
    rotation.T, so the principal axes are the columns of ``rotation``.
    """
    n_features = len(stds)
    raw = rng.normal(size=(n_samples, n_features))
    raw -= raw.mean(axis=0)
    covariance = raw.T @ raw / (n_samples - 1)
    whitened = raw @ np.linalg.inv(np.linalg.cholesky(covariance)).T
    return whitened * np.asarray(stds) @ rotation.T + np.asarray(mean)


def mann_whitney_auc(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    positives = scores[labels == 1][:, np.newaxis]
    negatives = scores[labels == 0][np.newaxis, :]
    wins = np.count_nonzero(positives > negatives)
    ties = np.count_nonzero(positives == negatives)
    return (wins + 0.5 * ties) / (positives.size * negatives.size)


PLANE_XY = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])


# --------------------------------------------------------------------------
# principal_angles
# --------------------------------------------------------------------------


@pytest.mark.parametrize("angle_degrees", [0.5, 10.0, 30.0, 45.0, 60.0, 89.0])
def test_principal_angles_plane_rotated_about_axis_inside_it(angle_degrees):
    # Rotating the xy plane about the x axis (inside the plane) keeps x and
    # tilts y: one angle 0, one angle equal to the rotation.
    rotation = rotation_about_axis([1.0, 0.0, 0.0], np.radians(angle_degrees))
    angles = metrics.principal_angles(PLANE_XY, rotation @ PLANE_XY)
    np.testing.assert_allclose(angles, [0.0, angle_degrees], atol=1e-9)


def test_principal_angles_plane_rotated_about_its_normal_is_unchanged():
    # The z axis is outside the xy plane (its normal): the plane maps to itself.
    rotation = rotation_about_axis([0.0, 0.0, 1.0], np.radians(37.0))
    angles = metrics.principal_angles(PLANE_XY, rotation @ PLANE_XY)
    np.testing.assert_allclose(angles, [0.0, 0.0], atol=1e-9)


def test_principal_angles_plane_rotated_about_oblique_axis():
    # Rotating about an axis outside the plane and not normal to it: the
    # angles are those between the normals and the intersection line (0).
    rotation = rotation_about_axis([1.0, 0.0, 1.0], np.radians(50.0))
    rotated = rotation @ PLANE_XY
    normal = rotation @ np.array([0.0, 0.0, 1.0])
    expected = np.degrees(np.arccos(abs(normal[2])))
    angles = metrics.principal_angles(PLANE_XY, rotated)
    np.testing.assert_allclose(angles, [0.0, expected], atol=1e-9)


def test_principal_angles_two_independent_rotations_in_r4():
    first, second = np.radians(20.0), np.radians(70.0)
    basis_a = np.eye(4)[:, :2]
    basis_b = np.array(
        [
            [np.cos(second), 0.0],
            [0.0, np.cos(first)],
            [np.sin(second), 0.0],
            [0.0, np.sin(first)],
        ]
    )
    angles = metrics.principal_angles(basis_a, basis_b)
    np.testing.assert_allclose(angles, [20.0, 70.0], atol=1e-9)
    np.testing.assert_allclose(
        metrics.principal_angles(basis_a, basis_b, degrees=False),
        [first, second],
        atol=1e-12,
    )


def test_principal_angles_identical_subspaces_are_zero():
    basis = np.random.default_rng(0).normal(size=(10, 3))
    np.testing.assert_allclose(metrics.principal_angles(basis, basis), 0.0, atol=1e-9)


def test_principal_angles_orthogonal_subspaces_are_ninety():
    identity = np.eye(5)
    angles = metrics.principal_angles(identity[:, :2], identity[:, 2:5])
    np.testing.assert_allclose(angles, [90.0, 90.0], atol=1e-9)


def test_principal_angles_non_orthonormal_bases_of_the_same_space():
    rng = np.random.default_rng(1)
    basis = rng.normal(size=(8, 3))
    mixing = rng.normal(size=(3, 3)) + 3.0 * np.eye(3)  # invertible
    angles = metrics.principal_angles(basis, basis @ mixing * 100.0)
    np.testing.assert_allclose(angles, 0.0, atol=1e-7)


def test_principal_angles_small_angle_is_accurate():
    angle = 1e-9
    basis_b = np.array([[np.cos(angle)], [np.sin(angle)]])
    result = metrics.principal_angles([[1.0], [0.0]], basis_b, degrees=False)
    np.testing.assert_allclose(result, [angle], rtol=1e-6)


def test_principal_angles_different_dimensions():
    rng = np.random.default_rng(2)
    plane = rng.normal(size=(6, 2))
    line_inside = plane @ np.array([[2.0], [-1.0]])
    space = np.concatenate([plane, rng.normal(size=(6, 2))], axis=1)
    assert metrics.principal_angles(line_inside, plane).shape == (1,)
    np.testing.assert_allclose(
        metrics.principal_angles(line_inside, plane), [0.0], atol=1e-7
    )
    np.testing.assert_allclose(
        metrics.principal_angles(plane, space), [0.0, 0.0], atol=1e-7
    )
    np.testing.assert_allclose(
        metrics.principal_angles(np.eye(3)[:, 2:], PLANE_XY), [90.0], atol=1e-9
    )


def test_principal_angles_symmetric_sorted_and_in_range():
    rng = np.random.default_rng(3)
    basis_a, basis_b = rng.normal(size=(7, 3)), rng.normal(size=(7, 4))
    forward = metrics.principal_angles(basis_a, basis_b)
    backward = metrics.principal_angles(basis_b, basis_a)
    np.testing.assert_allclose(forward, backward, atol=1e-9)
    assert forward.shape == (3,)
    assert forward.dtype == np.float64
    assert np.all(np.diff(forward) >= 0.0)
    assert np.all((forward >= 0.0) & (forward <= 90.0))


def test_principal_angles_matches_cosine_definition():
    rng = np.random.default_rng(4)
    basis_a, basis_b = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    q_a, _ = np.linalg.qr(basis_a)
    q_b, _ = np.linalg.qr(basis_b)
    cosines = np.linalg.svd(q_a.T @ q_b, compute_uv=False)
    expected = np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))
    np.testing.assert_allclose(
        metrics.principal_angles(basis_a, basis_b), expected, atol=1e-6
    )


def test_principal_angles_accepts_lists_and_tensors():
    tf = pytest.importorskip("tensorflow")
    rotation = rotation_about_axis([1.0, 0.0, 0.0], np.radians(25.0))
    angles = metrics.principal_angles(
        PLANE_XY.tolist(), tf.constant(rotation @ PLANE_XY, dtype=tf.float32)
    )
    np.testing.assert_allclose(angles, [0.0, 25.0], atol=1e-4)


@pytest.mark.parametrize(
    ("basis", "match"),
    [
        (np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), "basis_a.*rank 1"),
        (np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), "basis_a.*rank 1"),
        (np.zeros((3, 1)), "basis_a.*rank 0"),
        (np.eye(3, 4), "basis_a.*rank 3 < 4"),
    ],
)
def test_principal_angles_rank_deficient_raises(basis, match):
    with pytest.raises(ValueError, match=match):
        metrics.principal_angles(basis, PLANE_XY)


def test_principal_angles_rank_deficient_second_basis_raises():
    with pytest.raises(ValueError, match="basis_b.*linearly independent"):
        metrics.principal_angles(PLANE_XY, [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize(
    ("basis_a", "basis_b", "error", "match"),
    [
        (np.ones(3), PLANE_XY, ValueError, r"basis_a must be a 2-D.*shape \(3,\)"),
        (PLANE_XY, np.ones((3, 2, 1)), ValueError, r"basis_b must be a 2-D"),
        (np.ones((3, 0)), PLANE_XY, ValueError, "basis_a must have at least one"),
        (PLANE_XY, np.eye(4)[:, :2], ValueError, "basis_a and basis_b.*3 rows.*4 rows"),
        ([[np.nan], [1.0], [0.0]], PLANE_XY, ValueError, "basis_a.*finite"),
        (PLANE_XY, [[np.inf], [1.0], [0.0]], ValueError, "basis_b.*finite"),
        ([["a"], ["b"], ["c"]], PLANE_XY, TypeError, "basis_a must hold"),
        (PLANE_XY, [[1.0, 2.0], [3.0]], TypeError, "basis_b must be convertible"),
        (PLANE_XY.astype(bool), PLANE_XY, TypeError, "basis_a.*dtype bool"),
    ],
)
def test_principal_angles_bad_input(basis_a, basis_b, error, match):
    with pytest.raises(error, match=match):
        metrics.principal_angles(basis_a, basis_b)


def test_principal_angles_degrees_must_be_bool():
    with pytest.raises(TypeError, match="degrees must be True or False.*'yes'"):
        metrics.principal_angles(PLANE_XY, PLANE_XY, degrees="yes")


# --------------------------------------------------------------------------
# fit_pca and PCAResult
# --------------------------------------------------------------------------


def test_fit_pca_recovers_known_axes_and_variances():
    rng = np.random.default_rng(10)
    rotation = rotation_about_axis([1.0, 2.0, 3.0], np.radians(40.0))
    stds = np.array([3.0, 1.5, 0.5])
    mean = np.array([1.0, -2.0, 5.0])
    data = data_with_known_covariance(rng, 500, mean, stds, rotation)

    pca = metrics.fit_pca(data, n_components=3)

    np.testing.assert_allclose(pca.mean, mean, atol=1e-12)
    np.testing.assert_allclose(pca.explained_variance, stds**2, rtol=1e-10)
    np.testing.assert_allclose(
        pca.explained_variance_ratio, stds**2 / np.sum(stds**2), rtol=1e-10
    )
    # Each component is a column of the rotation, up to sign.
    np.testing.assert_allclose(np.abs(pca.components @ rotation), np.eye(3), atol=1e-9)
    assert pca.n_components == 3
    assert pca.n_features == 3
    assert pca.feature_shape == (3,)


def test_fit_pca_subspace_of_two_components_matches_true_plane():
    rng = np.random.default_rng(11)
    rotation = rotation_about_axis([0.0, 1.0, 1.0], np.radians(30.0))
    data = data_with_known_covariance(rng, 300, [0, 0, 0], [2.0, 1.0, 0.1], rotation)
    pca = metrics.fit_pca(data, 2)
    angles = metrics.principal_angles(pca.components.T, rotation[:, :2])
    np.testing.assert_allclose(angles, [0.0, 0.0], atol=1e-7)


@pytest.mark.parametrize("shape", [(40, 6), (6, 40), (200, 5, 3), (30, 4, 4, 2)])
def test_fit_pca_components_orthonormal_and_sorted(shape):
    data = np.random.default_rng(12).normal(size=shape)
    n_features = int(np.prod(shape[1:]))
    n_components = min(shape[0], n_features) - 1
    pca = metrics.fit_pca(data, n_components)
    assert pca.components.shape == (n_components, n_features)
    assert pca.mean.shape == (n_features,)
    assert pca.explained_variance.shape == (n_components,)
    assert pca.explained_variance_ratio.shape == (n_components,)
    np.testing.assert_allclose(
        pca.components @ pca.components.T, np.eye(n_components), atol=1e-10
    )
    assert np.all(np.diff(pca.explained_variance) <= 1e-12)
    assert np.sum(pca.explained_variance_ratio) <= 1.0 + 1e-12


@pytest.mark.parametrize("shape", [(12, 30), (300, 8)], ids=["svd", "covariance"])
def test_fit_pca_matches_direct_svd(shape):
    data = np.random.default_rng(13).normal(size=shape) * np.arange(1, shape[1] + 1)
    n_components = 5
    centred = data - data.mean(axis=0)
    _, singular_values, right_vectors = np.linalg.svd(centred, full_matrices=False)

    pca = metrics.fit_pca(data, n_components)

    np.testing.assert_allclose(pca.mean, data.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(
        pca.explained_variance,
        singular_values[:n_components] ** 2 / (shape[0] - 1),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        pca.explained_variance_ratio,
        singular_values[:n_components] ** 2 / np.sum(singular_values**2),
        rtol=1e-8,
    )
    # Same axes up to sign.
    np.testing.assert_allclose(
        np.abs(np.sum(pca.components * right_vectors[:n_components], axis=1)),
        1.0,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        pca.transform(data),
        centred @ pca.components.T,
        atol=1e-10,
    )


def test_fit_pca_sign_convention():
    data = np.random.default_rng(14).normal(size=(50, 6))
    pca = metrics.fit_pca(data, 4)
    largest = np.argmax(np.abs(pca.components), axis=1)
    assert np.all(pca.components[np.arange(4), largest] > 0.0)
    flipped = metrics.fit_pca(-data, 4)
    np.testing.assert_allclose(flipped.components, pca.components, atol=1e-10)


@pytest.mark.parametrize("shape", [(20, 5), (8, 3, 4), (6, 2, 2, 3), (300, 4, 2)])
def test_fit_pca_full_reconstruction_is_exact(shape):
    data = np.random.default_rng(15).normal(size=shape)
    n_components = min(shape[0], int(np.prod(shape[1:])))
    pca = metrics.fit_pca(data, n_components)
    reconstructed = pca.reconstruct(data)
    assert reconstructed.shape == data.shape
    np.testing.assert_allclose(reconstructed, data, atol=1e-9)
    if n_components == pca.n_features:
        np.testing.assert_allclose(np.sum(pca.explained_variance_ratio), 1.0)


def test_fit_pca_reconstruction_error_decreases_with_components():
    rng = np.random.default_rng(16)
    data = rng.normal(size=(200, 10)) * np.linspace(3.0, 0.1, 10)
    errors = [
        metrics.reconstruction_error(data, metrics.fit_pca(data, k).reconstruct(data))
        for k in range(1, 11)
    ]
    assert np.all(np.diff(errors) < 0.0)
    assert errors[-1] < 1e-20


def test_fit_pca_reconstruction_error_equals_discarded_variance():
    rng = np.random.default_rng(17)
    data = rng.normal(size=(400, 6)) * np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.5])
    full = metrics.fit_pca(data, 6)
    pca = metrics.fit_pca(data, 2)
    error = metrics.reconstruction_error(data, pca.reconstruct(data))
    discarded = np.sum(full.explained_variance[2:])
    np.testing.assert_allclose(error * 6 * 400 / 399, discarded, rtol=1e-9)


def test_pca_images_transform_inverse_and_flat_input():
    images = np.random.default_rng(18).random((50, 4, 5, 1)).astype(np.float32)
    pca = metrics.fit_pca(images, 7)
    assert pca.feature_shape == (4, 5, 1)
    assert pca.components.shape == (7, 20)

    codes = pca.transform(images)
    assert codes.shape == (50, 7)
    np.testing.assert_allclose(pca.transform(images.reshape(50, 20)), codes)

    decoded = pca.inverse_transform(codes)
    assert decoded.shape == (50, 4, 5, 1)
    np.testing.assert_allclose(decoded, pca.reconstruct(images), atol=1e-12)
    assert pca.reconstruct(images.reshape(50, 20)).shape == (50, 20)


def test_pca_codes_of_training_data_have_explained_variance():
    data = np.random.default_rng(19).normal(size=(100, 8))
    pca = metrics.fit_pca(data, 3)
    codes = pca.transform(data)
    np.testing.assert_allclose(codes.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(codes.var(axis=0, ddof=1), pca.explained_variance)


def test_fit_pca_accepts_integer_images_and_tensors():
    tf = pytest.importorskip("tensorflow")
    images = np.random.default_rng(20).integers(0, 256, size=(30, 3, 3), dtype=np.uint8)
    from_uint8 = metrics.fit_pca(images, 4)
    from_tensor = metrics.fit_pca(tf.constant(images.astype(np.float32)), 4)
    np.testing.assert_allclose(from_uint8.components, from_tensor.components, atol=1e-6)
    np.testing.assert_allclose(from_uint8.mean, images.reshape(30, 9).mean(axis=0))


def test_pca_result_is_frozen_and_read_only():
    pca = metrics.fit_pca(np.random.default_rng(21).normal(size=(10, 3)), 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pca.mean = np.zeros(3)
    with pytest.raises(ValueError, match="read-only"):
        pca.components[0, 0] = 1.0


@pytest.mark.parametrize(
    ("data", "n_components", "error", "match"),
    [
        (np.ones(5), 1, ValueError, r"data must be a 2-D.*shape \(5,\)"),
        (np.ones((2, 2, 2, 2, 2)), 1, ValueError, r"data must be.*\(2, 2, 2, 2, 2\)"),
        (np.ones((0, 3)), 1, ValueError, "data must not be empty"),
        (np.ones((1, 3)), 1, ValueError, "data must hold at least 2 samples"),
        ([[1.0, np.nan], [0.0, 1.0]], 1, ValueError, "data must contain only finite"),
        ([["a", "b"], ["c", "d"]], 1, TypeError, "data must hold integers or floats"),
        (np.ones((4, 3)), 1, ValueError, "data must vary"),
        (np.eye(4), 0, ValueError, r"n_components must be between 1 and.*got 0"),
        (np.eye(4)[:3], 4, ValueError, r"n_components.*min\(3, 4\) = 3; got 4"),
        (np.eye(4), -1, ValueError, "n_components.*got -1"),
        (np.eye(4), 2.0, TypeError, "n_components must be an integer; got 2.0"),
        (np.eye(4), True, TypeError, "n_components must be an integer; got True"),
        (np.eye(4), None, TypeError, "n_components must be an integer; got None"),
    ],
)
def test_fit_pca_bad_input(data, n_components, error, match):
    with pytest.raises(error, match=match):
        metrics.fit_pca(data, n_components)


def test_fit_pca_accepts_numpy_integer_n_components():
    pca = metrics.fit_pca(np.random.default_rng(23).normal(size=(10, 4)), np.int64(2))
    assert pca.n_components == 2


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (np.ones((3, 7)), r"data must have shape \(N, 6\) or \(N, 2, 3\).*\(3, 7\)"),
        (np.ones((3, 3, 2)), r"data must have shape .*\(3, 3, 2\)"),
        (np.ones(6), r"data must be a 2-D"),
        (np.full((2, 6), np.inf), "data must contain only finite"),
    ],
)
def test_pca_transform_and_reconstruct_bad_input(data, match):
    pca = metrics.fit_pca(np.random.default_rng(24).normal(size=(10, 2, 3)), 2)
    with pytest.raises(ValueError, match=match):
        pca.transform(data)
    with pytest.raises(ValueError, match=match):
        pca.reconstruct(data)


@pytest.mark.parametrize(
    ("codes", "error", "match"),
    [
        (np.ones((4, 3)), ValueError, r"codes must have shape \(N, 2\).*\(4, 3\)"),
        (np.ones(2), ValueError, r"codes must have shape \(N, 2\).*\(2,\)"),
        (np.ones((0, 2)), ValueError, r"codes must have shape.*\(0, 2\)"),
        ([[np.nan, 1.0]], ValueError, "codes must contain only finite"),
        ([["a", "b"]], TypeError, "codes must hold"),
    ],
)
def test_pca_inverse_transform_bad_input(codes, error, match):
    pca = metrics.fit_pca(np.random.default_rng(25).normal(size=(10, 5)), 2)
    with pytest.raises(error, match=match):
        pca.inverse_transform(codes)


# --------------------------------------------------------------------------
# reconstruction_error
# --------------------------------------------------------------------------


def test_reconstruction_error_by_hand():
    originals = np.array([[[0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]])
    reconstructions = np.array([[[0.0, 0.5], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]]])
    # Image 0: (0 + 0.25 + 0 + 1) / 4 = 0.3125; image 1: (0 + 0 + 0 + 1) / 4 = 0.25.
    per_image = metrics.reconstruction_error(
        originals, reconstructions, reduction="none"
    )
    np.testing.assert_allclose(per_image, [0.3125, 0.25])
    assert per_image.shape == (2,)
    mean = metrics.reconstruction_error(originals, reconstructions)
    assert isinstance(mean, float)
    assert mean == pytest.approx(0.28125)


def test_reconstruction_error_identical_is_zero_and_symmetric():
    rng = np.random.default_rng(30)
    first, second = rng.random((5, 4, 4, 1)), rng.random((5, 4, 4, 1))
    assert metrics.reconstruction_error(first, first) == 0.0
    assert metrics.reconstruction_error(first, second) == pytest.approx(
        metrics.reconstruction_error(second, first)
    )
    per_image = metrics.reconstruction_error(first, second, reduction="none")
    np.testing.assert_allclose(
        per_image, np.mean((first - second) ** 2, axis=(1, 2, 3)), rtol=1e-12
    )
    assert np.mean(per_image) == pytest.approx(
        metrics.reconstruction_error(first, second)
    )


def test_reconstruction_error_uint8_does_not_overflow():
    originals = np.array([[0, 255]], dtype=np.uint8)
    reconstructions = np.array([[255, 0]], dtype=np.uint8)
    assert metrics.reconstruction_error(originals, reconstructions) == 255.0**2


def test_reconstruction_error_accepts_tensors():
    tf = pytest.importorskip("tensorflow")
    originals = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    reconstructions = tf.constant([[1.0, 1.0], [3.0, 2.0]])
    np.testing.assert_allclose(
        metrics.reconstruction_error(originals, reconstructions, reduction="none"),
        [0.5, 2.0],
    )


@pytest.mark.parametrize(
    ("originals", "reconstructions", "kwargs", "error", "match"),
    [
        (
            np.ones((2, 3)),
            np.ones((2, 4)),
            {},
            ValueError,
            r"originals and reconstructions.*\(2, 3\).*\(2, 4\)",
        ),
        (
            np.ones((2, 28, 28)),
            np.ones((2, 28, 28, 1)),
            {},
            ValueError,
            "exactly the same shape",
        ),
        (np.ones(3), np.ones(3), {}, ValueError, r"originals must be.*shape \(3,\)"),
        (np.ones((2, 2)), np.ones(()), {}, ValueError, r"reconstructions must be"),
        (np.ones((0, 3)), np.ones((0, 3)), {}, ValueError, "originals must be a non"),
        ([[np.nan]], [[1.0]], {}, ValueError, "originals must contain only finite"),
        ([[1.0]], [[np.inf]], {}, ValueError, "reconstructions must contain only"),
        ([["a"]], [[1.0]], {}, TypeError, "originals must hold"),
        (
            np.ones((2, 2)),
            np.ones((2, 2)),
            {"reduction": "sum"},
            ValueError,
            r"reduction must be one of \('mean', 'none'\); got 'sum'",
        ),
        (
            np.ones((2, 2)),
            np.ones((2, 2)),
            {"reduction": None},
            TypeError,
            "reduction must be one of.*got None",
        ),
    ],
)
def test_reconstruction_error_bad_input(
    originals, reconstructions, kwargs, error, match
):
    with pytest.raises(error, match=match):
        metrics.reconstruction_error(originals, reconstructions, **kwargs)


# --------------------------------------------------------------------------
# roc_curve and roc_auc
# --------------------------------------------------------------------------


def test_roc_curve_hand_computed_with_ties():
    labels = [0, 1, 0, 1, 1, 0]
    scores = [0.1, 0.9, 0.5, 0.5, 0.3, 0.3]
    # Thresholds 0.9, 0.5, 0.3, 0.1; positives 3, negatives 3.
    # >= 0.9: tp 1, fp 0; >= 0.5: tp 2, fp 1; >= 0.3: tp 3, fp 2; >= 0.1: 3, 3.
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores)
    np.testing.assert_allclose(fpr, [0.0, 0.0, 1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(tpr, [0.0, 1 / 3, 2 / 3, 1.0, 1.0])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.9, 0.5, 0.3, 0.1])
    # Trapezoid: 1/3 * (1/3 + 2/3) / 2 + 1/3 * (2/3 + 1) / 2 + 1/3 * 1 = 7/9.
    assert metrics.roc_auc(labels, scores) == pytest.approx(7 / 9)
    assert metrics.roc_auc(labels, scores) == pytest.approx(
        mann_whitney_auc(labels, scores)
    )


def test_roc_curve_order_of_tied_samples_does_not_matter():
    labels = np.array([1, 0, 1, 0, 0, 1])
    scores = np.array([2.0, 2.0, 1.0, 1.0, 1.0, 3.0])
    permutation = np.random.default_rng(40).permutation(labels.size)
    for left, right in zip(
        metrics.roc_curve(labels, scores),
        metrics.roc_curve(labels[permutation], scores[permutation]),
        strict=True,
    ):
        np.testing.assert_array_equal(left, right)


def test_roc_curve_all_scores_tied_is_the_diagonal():
    fpr, tpr, thresholds = metrics.roc_curve([0, 1, 1, 0, 1], [0.7] * 5)
    np.testing.assert_array_equal(fpr, [0.0, 1.0])
    np.testing.assert_array_equal(tpr, [0.0, 1.0])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.7])
    assert metrics.roc_auc([0, 1, 1, 0, 1], [0.7] * 5) == 0.5


def test_roc_auc_perfect_and_reversed():
    labels = [0, 0, 0, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.8, 0.9]
    assert metrics.roc_auc(labels, scores) == 1.0
    assert metrics.roc_auc(labels, -np.asarray(scores)) == 0.0
    fpr, tpr, _ = metrics.roc_curve(labels, scores)
    np.testing.assert_array_equal(fpr, [0.0, 0.0, 0.0, 1 / 3, 2 / 3, 1.0])
    np.testing.assert_array_equal(tpr, [0.0, 0.5, 1.0, 1.0, 1.0, 1.0])


def test_roc_auc_random_scores_is_about_half():
    rng = np.random.default_rng(41)
    labels = rng.integers(0, 2, size=20_000)
    scores = rng.normal(size=20_000)
    assert metrics.roc_auc(labels, scores) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_equals_mann_whitney(seed):
    rng = np.random.default_rng(seed)
    n_samples = 300
    labels = rng.integers(0, 2, size=n_samples)
    # Integer scores make many ties; the shift makes positives score higher.
    scores = rng.integers(0, 10, size=n_samples) + 2 * labels
    assert metrics.roc_auc(labels, scores) == pytest.approx(
        mann_whitney_auc(labels, scores), abs=1e-12
    )
    continuous = rng.normal(size=n_samples) + labels
    assert metrics.roc_auc(labels, continuous) == pytest.approx(
        mann_whitney_auc(labels, continuous), abs=1e-12
    )


def test_roc_curve_shape_and_monotonicity():
    rng = np.random.default_rng(42)
    labels = rng.integers(0, 2, size=500)
    scores = np.round(rng.normal(size=500), 1)
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores)
    assert fpr.shape == tpr.shape == thresholds.shape
    assert thresholds.size == np.unique(scores).size + 1
    assert (fpr[0], tpr[0]) == (0.0, 0.0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0.0)
    assert np.all(np.diff(tpr) >= 0.0)
    assert np.all(np.diff(thresholds) < 0.0)
    # Each point is the rate of samples scoring at least its threshold.
    for index in range(1, thresholds.size):
        flagged = scores >= thresholds[index]
        assert tpr[index] == pytest.approx(np.mean(flagged[labels == 1]))
        assert fpr[index] == pytest.approx(np.mean(flagged[labels == 0]))


def test_roc_accepts_bool_labels_and_tensors():
    tf = pytest.importorskip("tensorflow")
    labels = np.array([False, True, False, True])
    scores = [0.2, 0.6, 0.4, 0.3]
    expected = mann_whitney_auc(labels.astype(int), scores)
    assert metrics.roc_auc(labels, scores) == pytest.approx(expected)
    assert metrics.roc_auc(
        tf.constant(labels.astype(np.int32)), tf.constant(scores)
    ) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("labels", "scores", "error", "match"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], ValueError, r"labels must contain only 0.*\[2\]"),
        ([0, 1, 0.5], [0.1, 0.2, 0.3], ValueError, r"labels must contain only.*0\.5"),
        ([-1, 1], [0.1, 0.2], ValueError, r"labels must contain only.*\[-1\]"),
        ([1, 1, 1], [0.1, 0.2, 0.3], ValueError, "labels must contain both.*0 zeros"),
        ([0, 0], [0.1, 0.2], ValueError, "labels must contain both.*0 ones"),
        ([0, 1], [0.1, 0.2, 0.3], ValueError, "labels and scores.*length 2.*length 3"),
        ([[0, 1]], [[0.1, 0.2]], ValueError, r"labels must be a 1-D.*\(1, 2\)"),
        ([0, 1], [[0.1], [0.2]], ValueError, r"scores must be a 1-D.*\(2, 1\)"),
        (0, 0.1, ValueError, r"labels must be a 1-D.*shape \(\)"),
        ([0, 1], [0.1, np.nan], ValueError, "scores must contain only finite"),
        ([0, 1], [np.inf, 0.2], ValueError, "scores must contain only finite"),
        (["a", "b"], [0.1, 0.2], TypeError, "labels must hold"),
        ([0, 1], ["high", "low"], TypeError, "scores must hold"),
    ],
)
def test_roc_bad_input(labels, scores, error, match):
    with pytest.raises(error, match=match):
        metrics.roc_curve(labels, scores)
    with pytest.raises(error, match=match):
        metrics.roc_auc(labels, scores)


def test_ring_mode_coverage_counts_covered_modes_and_quality():
    centres = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]])
    rng = np.random.default_rng(0)
    on_two_modes = np.concatenate(
        [
            centres[0] + 0.02 * rng.standard_normal((50, 2)),
            centres[1] + 0.02 * rng.standard_normal((50, 2)),
        ]
    )
    far_away = np.full((20, 2), 10.0)
    result = metrics.ring_mode_coverage(
        np.concatenate([on_two_modes, far_away]), centres, stddev=0.02
    )
    assert result.modes_covered == 2
    assert result.high_quality_share == pytest.approx(100 / 120)
    assert result.counts.tolist() == [50, 50, 0, 0]


def test_ring_mode_coverage_of_real_ring_data_covers_every_mode():
    from course_utils import data

    points, _ = data.make_gaussian_ring(4_000, n_modes=8, stddev=0.02, seed=1)
    result = metrics.ring_mode_coverage(points, data.ring_centres(8, 2.0), stddev=0.02)
    assert result.modes_covered == 8
    assert result.high_quality_share > 0.98


@pytest.mark.parametrize(
    ("samples", "centres", "kwargs", "match"),
    [
        (np.zeros((3, 3)), np.zeros((2, 2)), {"stddev": 0.1}, "samples"),
        (np.zeros((3, 2)), np.zeros(2), {"stddev": 0.1}, "centres"),
        (np.zeros((3, 2)), np.zeros((2, 2)), {"stddev": 0.0}, "stddev"),
        (
            np.zeros((3, 2)),
            np.zeros((2, 2)),
            {"stddev": 0.1, "min_share": -1},
            "min_share",
        ),
    ],
)
def test_ring_mode_coverage_bad_arguments(samples, centres, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.ring_mode_coverage(samples, centres, **kwargs)


# --------------------------------------------------------------------------
# Evaluation metrics: helpers
# --------------------------------------------------------------------------


class RandomFeatures:
    """A fixed random "classifier": ReLU of a random projection of the pixels.

    It has the two methods the image-level metrics use, so they can be tested
    without training the domain classifier.
    """

    def __init__(self, n_features=32, n_classes=10, seed=0):
        rng = np.random.default_rng(seed)
        self.weights = rng.normal(0.0, 1.0 / 28.0, size=(784, n_features))
        self.logits = rng.normal(0.0, 1.0, size=(n_features, n_classes))
        self.calls = 0

    def embed(self, images, value_range="[0,1]"):
        from course_utils.models import classifier

        self.calls += 1
        pixels = classifier.prepare_images(images, value_range)
        return np.maximum(pixels.reshape(len(pixels), -1) @ self.weights, 0.0)

    def predict_proba(self, images, value_range="[0,1]"):
        logits = self.embed(images, value_range) @ self.logits
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def fashion():
    from course_utils import data

    if data.find_data_dir() is None:
        pytest.skip("Fashion-MNIST is not installed locally")
    return data.load_fashion_mnist()


@pytest.fixture
def no_domain_classifier(monkeypatch):
    """Fail if a metric asks for the shipped domain classifier checkpoint."""
    from course_utils.models import classifier

    def refuse(*args, **kwargs):
        raise AssertionError("the domain classifier must not be needed here")

    monkeypatch.setattr(classifier, "domain_classifier", refuse)


def gaussian_features(rng, n, d=8, shift=0.0, scale=1.0):
    mixing = np.linspace(0.5, 1.5, d)
    return rng.normal(size=(n, d)) * mixing * scale + shift


# --------------------------------------------------------------------------
# Frechet distance
# --------------------------------------------------------------------------


def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = gaussian_features(np.random.default_rng(0), 500)
    assert metrics.frechet_distance_from_features(features, features) == (
        pytest.approx(0.0, abs=1e-8)
    )


def test_frechet_distance_one_dimensional_closed_form():
    # N(m1, s1^2) vs N(m2, s2^2): (m1 - m2)^2 + (s1 - s2)^2.
    distance = metrics.frechet_distance_from_statistics([1.0], [[9.0]], [3.0], [[4.0]])
    assert distance == pytest.approx(4.0 + 1.0)


def test_frechet_distance_diagonal_covariances():
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    mean_a, mean_b = np.zeros(3), np.array([1.0, 0.0, 2.0])
    expected = 5.0 + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    distance = metrics.frechet_distance_from_statistics(
        mean_a, np.diag(var_a), mean_b, np.diag(var_b)
    )
    assert distance == pytest.approx(expected)


@pytest.mark.parametrize("d", [2, 5, 30])
def test_frechet_distance_matches_trace_of_sqrt_of_product(d):
    # Non-commuting covariances: tr((S_a S_b)^1/2) is the sum of the square
    # roots of the (real, positive) eigenvalues of S_a S_b.
    rng = np.random.default_rng(d)
    factor_a, factor_b = rng.normal(size=(2, d, d))
    cov_a, cov_b = factor_a @ factor_a.T, factor_b @ factor_b.T
    mean_a, mean_b = rng.normal(size=(2, d))
    roots = np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None))
    expected = (
        np.sum((mean_a - mean_b) ** 2)
        + np.trace(cov_a)
        + np.trace(cov_b)
        - 2 * roots.sum()
    )
    distance = metrics.frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)
    assert distance == pytest.approx(expected, rel=1e-8)
    # Symmetric in its two arguments.
    assert metrics.frechet_distance_from_statistics(
        mean_b, cov_b, mean_a, cov_a
    ) == pytest.approx(distance, rel=1e-8)


def test_frechet_distance_is_stable_for_singular_covariances():
    # Fewer samples than features: both covariances are singular.
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 64))
    b = rng.normal(size=(7, 64))
    assert metrics.frechet_distance_from_features(a, a) == pytest.approx(0, abs=1e-6)
    distance = metrics.frechet_distance_from_features(a, b)
    assert np.isfinite(distance)
    assert distance > 0
    # Rank-one covariances (all points on a line) work too.
    line = np.outer(np.arange(10.0), np.ones(16))
    assert metrics.frechet_distance_from_features(line, line) == pytest.approx(
        0, abs=1e-6
    )


@pytest.mark.parametrize("kind", ["noise", "shift", "scale"])
def test_frechet_distance_grows_with_the_corruption(kind):
    rng = np.random.default_rng(2)
    real = gaussian_features(rng, 2_000)
    other = gaussian_features(rng, 2_000)
    levels = [0.0, 0.3, 1.0, 3.0]
    distances = []
    for level in levels:
        if kind == "noise":
            fake = other + level * rng.normal(size=other.shape)
        elif kind == "shift":
            fake = other + level
        else:
            fake = other * (1.0 + level)
        distances.append(metrics.frechet_distance_from_features(real, fake))
    assert distances[0] < 0.1
    assert np.all(np.diff(distances) > 0), distances


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        (np.zeros((1, 3)), np.zeros((5, 3)), ValueError, "at least 2 rows"),
        (np.zeros((5, 3)), np.zeros((1, 3)), ValueError, "features_b.*at least 2"),
        (np.zeros((5, 3)), np.zeros((5, 4)), ValueError, "same number of features"),
        (np.zeros(5), np.zeros((5, 1)), ValueError, "2-D"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), ValueError, "finite"),
        (np.array([["a", "b"]] * 3), np.zeros((3, 2)), TypeError, "features_a"),
    ],
)
def test_frechet_distance_from_features_bad_input(a, b, error, match):
    with pytest.raises(error, match=match):
        metrics.frechet_distance_from_features(a, b)


def test_frechet_distance_from_statistics_bad_shapes():
    with pytest.raises(ValueError, match="cov_b"):
        metrics.frechet_distance_from_statistics(
            np.zeros(2), np.eye(2), np.zeros(2), np.eye(3)
        )
    with pytest.raises(ValueError, match="mean_b"):
        metrics.frechet_distance_from_statistics(
            np.zeros(2), np.eye(2), np.zeros(3), np.eye(2)
        )


# --------------------------------------------------------------------------
# Kernel distance
# --------------------------------------------------------------------------


def brute_force_mmd2(x, y):
    d = x.shape[1]

    def kernel(u, v):
        return (u @ v / d + 1.0) ** 3

    m = len(x)
    xx = sum(kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(kernel(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / m**2


def test_kernel_distance_matches_the_formula():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 3)) + 0.5
    # One subset of all rows: the subset is a permutation, MMD^2 ignores order.
    kid = metrics.kernel_distance_from_features(x, y, n_subsets=1, subset_size=12)
    assert kid.mean == pytest.approx(brute_force_mmd2(x, y), rel=1e-10)
    assert np.isnan(kid.std)
    assert kid.n_subsets == 1
    assert kid.subset_size == 12


def test_kernel_distance_is_about_zero_for_one_distribution():
    rng = np.random.default_rng(4)
    same = [
        metrics.kernel_distance_from_features(
            gaussian_features(rng, 300),
            gaussian_features(rng, 300),
            n_subsets=5,
            subset_size=200,
            seed=seed,
        ).mean
        for seed in range(20)
    ]
    shifted = metrics.kernel_distance_from_features(
        gaussian_features(rng, 300),
        gaussian_features(rng, 300, shift=0.5),
        n_subsets=5,
        subset_size=200,
    )
    # Unbiased: single estimates scatter around 0, some below it.
    spread = np.std(same)
    assert abs(np.mean(same)) < 3 * spread / np.sqrt(len(same)) + 1e-12
    assert min(same) < 0 < max(same)
    assert shifted.mean > 20 * spread
    assert shifted.std > 0


def test_kernel_distance_grows_with_the_shift_and_is_seeded():
    rng = np.random.default_rng(5)
    real = gaussian_features(rng, 200)
    other = gaussian_features(rng, 200)
    means = [
        metrics.kernel_distance_from_features(real, other + shift, subset_size=150).mean
        for shift in (0.0, 0.2, 0.5, 1.0)
    ]
    assert np.all(np.diff(means) > 0), means
    first = metrics.kernel_distance_from_features(real, other, subset_size=100, seed=7)
    second = metrics.kernel_distance_from_features(real, other, subset_size=100, seed=7)
    assert first == second
    mean, std = first
    assert (mean, std) == (first.mean, first.std)
    assert repr(first).startswith("KernelDistance(mean=")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"subset_size": 11}, ValueError, "subset_size must be at most .*10"),
        ({"subset_size": 1}, ValueError, "subset_size must be at least 2"),
        ({"subset_size": 5.0}, TypeError, "subset_size"),
        ({"subset_size": 5, "n_subsets": 0}, ValueError, "n_subsets"),
    ],
)
def test_kernel_distance_bad_arguments(kwargs, error, match):
    a, b = np.zeros((10, 2)), np.ones((20, 2))
    with pytest.raises(error, match=match):
        metrics.kernel_distance_from_features(a, b, **kwargs)


# --------------------------------------------------------------------------
# Precision and recall
# --------------------------------------------------------------------------


def brute_force_precision_recall(real, fake, k):
    def radii(points):
        distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
        return np.sort(distances, axis=1)[:, k]

    def inside(queries, points, point_radii):
        distances = np.linalg.norm(queries[:, None] - points[None], axis=-1)
        return np.any(distances <= point_radii[None], axis=1)

    return (
        inside(fake, real, radii(real)).mean(),
        inside(real, fake, radii(fake)).mean(),
    )


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_matches_brute_force_and_batching(k):
    rng = np.random.default_rng(k)
    real = rng.normal(size=(60, 4))
    fake = rng.normal(size=(45, 4)) * 1.3 + 0.4
    expected = brute_force_precision_recall(real, fake, k)
    for batch_rows in (1, 7, 1_000):
        result = metrics.precision_recall_from_features(
            real, fake, k=k, batch_rows=batch_rows
        )
        assert (result.precision, result.recall) == pytest.approx(expected)
        assert result.k == k


def test_precision_recall_same_distribution_is_high():
    rng = np.random.default_rng(6)
    precision, recall = metrics.precision_recall_from_features(
        gaussian_features(rng, 1_000, d=4), gaussian_features(rng, 1_000, d=4)
    )
    assert precision > 0.8
    assert recall > 0.8


def clustered_features(rng, n, centres, clusters=None):
    clusters = rng.integers(0, len(centres), n) if clusters is None else clusters
    return centres[clusters] + 0.3 * rng.normal(size=(n, centres.shape[1]))


def test_precision_recall_single_mode_drops_recall():
    rng = np.random.default_rng(7)
    centres = 5.0 * rng.normal(size=(10, 6))
    real = clustered_features(rng, 1_000, centres)
    collapsed = clustered_features(rng, 1_000, centres, np.zeros(1_000, dtype=int))
    full = clustered_features(rng, 1_000, centres)
    good = metrics.precision_recall_from_features(real, full)
    mode_collapse = metrics.precision_recall_from_features(real, collapsed)
    assert good.recall > 0.8
    assert mode_collapse.precision > 0.8  # the one mode is realistic
    assert mode_collapse.recall < 0.2  # but 9 of 10 are missing


def test_precision_recall_noise_drops_precision():
    rng = np.random.default_rng(8)
    centres = 5.0 * rng.normal(size=(10, 6))
    real = clustered_features(rng, 1_000, centres)
    noise = rng.uniform(-15, 15, size=(1_000, 6))
    precision, _ = metrics.precision_recall_from_features(real, noise)
    assert precision < 0.1


def test_precision_recall_hand_computed_and_repr():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [1.5], [10.0], [11.0]])
    result = metrics.precision_recall_from_features(real, fake, k=1)
    assert (result.precision, result.recall) == (0.5, 0.75)
    assert repr(result) == "PrecisionRecall(precision=0.5000, recall=0.7500, k=1)"


def test_precision_recall_duplicates_have_zero_radius():
    real = np.zeros((5, 2))
    result = metrics.precision_recall_from_features(real, real.copy(), k=2)
    assert (result.precision, result.recall) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("real_rows", "fake_rows", "k", "error", "match"),
    [
        (3, 10, 3, ValueError, "real_features must hold at least 4 rows"),
        (10, 2, 2, ValueError, "fake_features must hold at least 3 rows"),
        (10, 10, 0, ValueError, "k must be at least 1"),
        (10, 10, 1.5, TypeError, "k must be an int"),
    ],
)
def test_precision_recall_bad_arguments(real_rows, fake_rows, k, error, match):
    rng = np.random.default_rng(0)
    with pytest.raises(error, match=match):
        metrics.precision_recall_from_features(
            rng.normal(size=(real_rows, 2)), rng.normal(size=(fake_rows, 2)), k=k
        )


# --------------------------------------------------------------------------
# Class coverage
# --------------------------------------------------------------------------


def test_class_coverage_of_a_single_class():
    coverage = metrics.class_coverage_from_probabilities(np.eye(10)[np.full(50, 3)])
    assert coverage.n_covered == 1
    assert coverage.counts.tolist() == [0, 0, 0, 50, 0, 0, 0, 0, 0, 0]
    assert coverage.kl_to_uniform == pytest.approx(np.log(10))
    assert coverage.confidence_score == pytest.approx(1.0)
    assert coverage.n_images == 50


def test_class_coverage_of_balanced_confident_predictions():
    coverage = metrics.class_coverage_from_probabilities(
        np.eye(10)[np.arange(100) % 10]
    )
    assert coverage.n_covered == 10
    assert coverage.kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    assert coverage.confidence_score == pytest.approx(10.0)
    np.testing.assert_allclose(coverage.shares, 0.1)


def test_class_coverage_of_unsure_predictions_has_score_one():
    coverage = metrics.class_coverage_from_probabilities(np.full((20, 10), 0.1))
    assert coverage.confidence_score == pytest.approx(1.0)


def test_class_coverage_confidence_score_by_hand():
    # Two images, two classes: p(y|x) = (0.9, 0.1) and (0.1, 0.9); p(y) = 1/2.
    probabilities = np.array([[0.9, 0.1], [0.1, 0.9]])
    expected = np.exp(0.9 * np.log(1.8) + 0.1 * np.log(0.2))
    coverage = metrics.class_coverage_from_probabilities(probabilities)
    assert coverage.confidence_score == pytest.approx(expected)
    assert coverage.n_classes == 2


def test_class_coverage_threshold():
    labels = np.concatenate([np.zeros(98, dtype=int), [1, 1]])  # class 1: 2%
    probabilities = np.eye(10)[labels]
    assert metrics.class_coverage_from_probabilities(probabilities).n_covered == 1
    assert (
        metrics.class_coverage_from_probabilities(
            probabilities, threshold=0.02
        ).n_covered
        == 2
    )


def test_class_coverage_repr_str_and_frozen():
    coverage = metrics.class_coverage_from_probabilities(np.eye(10)[[0, 0, 1, 9]])
    assert repr(coverage) == (
        "ClassCoverage(3/10 classes covered (share >= 3.0%), kl_to_uniform="
        f"{np.log(10) - 1.5 * np.log(2):.4f} nats, confidence_score=2.828, "
        "n_images=4)"
    )
    text = str(coverage)
    assert "T-shirt/top" in text
    assert "Ankle boot" in text
    assert "(not covered)" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        coverage.n_covered = 5
    with pytest.raises(ValueError, match="read-only"):
        coverage.counts[0] = 1


@pytest.mark.parametrize(
    ("probabilities", "kwargs", "error", "match"),
    [
        (np.full((3, 10), 0.2), {}, ValueError, "sum to 1"),
        (np.full(10, 0.1), {}, ValueError, "2-D"),
        (np.zeros((0, 10)), {}, ValueError, "N >= 1"),
        (np.array([[1.5, -0.5]]), {}, ValueError, r"\[0, 1\]"),
        (np.eye(10), {"threshold": 0.0}, ValueError, "threshold"),
        (np.eye(10), {"threshold": 1.5}, ValueError, "threshold"),
        (np.eye(10), {"threshold": True}, TypeError, "threshold"),
    ],
)
def test_class_coverage_bad_input(probabilities, kwargs, error, match):
    with pytest.raises(error, match=match):
        metrics.class_coverage_from_probabilities(probabilities, **kwargs)


# --------------------------------------------------------------------------
# Image-level metrics with a fixed random feature extractor
# --------------------------------------------------------------------------


def test_frechet_distance_on_images_grows_with_noise_and_blur(fashion):
    features = RandomFeatures()
    real, other = fashion.x_test[:500], fashion.x_train[:500]
    assert metrics.frechet_distance(real, real, classifier=features) == (
        pytest.approx(0.0, abs=1e-8)
    )
    rng = np.random.default_rng(0)
    noisy = [
        np.clip(other + std * rng.normal(size=other.shape), 0, 1).astype(np.float32)
        for std in (0.0, 0.1, 0.3, 0.6)
    ]
    blurred = [metrics.blur_images(other, sigma) for sigma in (0.0, 0.7, 1.5, 3.0)]
    for series in (noisy, blurred):
        distances = [
            metrics.frechet_distance(real, fake, classifier=features) for fake in series
        ]
        assert np.all(np.diff(distances) > 0), distances


def test_image_metrics_accept_both_ranges_and_a_channel_axis(fashion):
    features = RandomFeatures()
    real, fake = fashion.x_test[:200], metrics.blur_images(fashion.x_train[:200], 1.0)
    expected = metrics.frechet_distance(real, fake, classifier=features)
    in_minus_one_one = metrics.frechet_distance(
        real * 2 - 1, fake * 2 - 1, value_range="[-1,1]", classifier=features
    )
    with_channels = metrics.frechet_distance(
        real[..., None], fake[..., None], classifier=features
    )
    assert in_minus_one_one == pytest.approx(expected, rel=1e-5)
    assert with_channels == pytest.approx(expected, rel=1e-12)


def test_score_images_agrees_with_the_single_metrics(fashion):
    features = RandomFeatures()
    real, fake = fashion.x_test[:300], fashion.x_train[:200]
    scores = metrics.score_images(real, fake, classifier=features, subset_size=150)
    assert tuple(scores) == metrics.SCORE_NAMES
    assert scores["FID"] == pytest.approx(
        metrics.frechet_distance(real, fake, classifier=features)
    )
    kid = metrics.kernel_distance(real, fake, classifier=features, subset_size=150)
    assert (scores["KID"], scores["KID std"]) == pytest.approx(tuple(kid))
    precision, recall = metrics.precision_recall(real, fake, classifier=features)
    assert (scores["precision"], scores["recall"]) == pytest.approx((precision, recall))
    coverage = metrics.class_coverage(fake, classifier=features)
    assert scores["classes covered"] == coverage.n_covered
    assert scores["confidence score"] == pytest.approx(coverage.confidence_score)


def test_image_level_precision_recall_of_one_class(fashion):
    features = RandomFeatures()
    real = fashion.x_test[:600]
    trousers = fashion.x_train[fashion.y_train == 1][:600]
    mixed = fashion.x_train[:600]
    one_class = metrics.precision_recall(real, trousers, classifier=features)
    every_class = metrics.precision_recall(real, mixed, classifier=features)
    assert one_class.recall < 0.7 * every_class.recall
    assert one_class.precision > 0.5


GOOD = np.zeros((10, 28, 28), dtype=np.float32)


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "match"),
    [
        (GOOD.astype(np.uint8), {}, TypeError, "uint8.*scale_images"),
        (np.zeros((10, 28, 27), np.float32), {}, ValueError, r"shape \(N, 28, 28\)"),
        (np.zeros((10, 784), np.float32), {}, ValueError, "shape"),
        (GOOD - 0.5, {}, ValueError, r"values in \[0,1\].*'\[-1,1\]'"),
        (GOOD + 1.5, {"value_range": "[-1,1]"}, ValueError, r"values in \[-1,1\]"),
        (GOOD + 0.5, {"value_range": "[-1,1]"}, ValueError, "no negative value"),
        (GOOD, {"value_range": "uint8"}, ValueError, "value_range"),
        (GOOD, {"value_range": "0-1"}, ValueError, "value_range"),
        (np.full((10, 28, 28), np.nan), {}, ValueError, "finite"),
    ],
)
def test_image_metrics_reject_bad_images(
    images, kwargs, error, match, no_domain_classifier
):
    real = GOOD - 0.5 if kwargs.get("value_range") == "[-1,1]" else GOOD + 0.5
    for metric in (
        metrics.frechet_distance,
        metrics.kernel_distance,
        metrics.precision_recall,
    ):
        with pytest.raises(error, match=match):
            metric(real, images, **kwargs)
    with pytest.raises(error, match=match):
        metrics.class_coverage(images, **kwargs)


def test_image_metrics_reject_too_few_images(no_domain_classifier):
    images = np.full((5, 28, 28), 0.5, dtype=np.float32)
    with pytest.raises(ValueError, match="fake must hold at least 2 images"):
        metrics.frechet_distance(images, images[:1])
    with pytest.raises(ValueError, match=r"real must hold at least 1000 images"):
        metrics.kernel_distance(images, images)
    with pytest.raises(ValueError, match=r"more than k=5"):
        metrics.precision_recall(images, images, k=5)
    with pytest.raises(ValueError, match=r"more than k=3"):
        metrics.score_images(images[:3], images)


def test_image_metrics_reject_an_object_that_is_not_a_classifier():
    images = np.full((5, 28, 28), 0.5, dtype=np.float32)
    with pytest.raises(TypeError, match="predict_proba"):
        metrics.frechet_distance(images, images, classifier=object())


# --------------------------------------------------------------------------
# Blur, tables and reference scores
# --------------------------------------------------------------------------


def test_blur_images_keeps_constants_and_range_and_smooths():
    rng = np.random.default_rng(0)
    constant = np.full((2, 28, 28, 1), 0.25)
    np.testing.assert_allclose(metrics.blur_images(constant, 2.0), 0.25, atol=1e-6)
    images = rng.uniform(size=(3, 28, 28))
    variances = [metrics.blur_images(images, s).var() for s in (0.0, 0.5, 1.0, 2.0)]
    assert np.all(np.diff(variances) < 0)
    blurred = metrics.blur_images(images, 1.0)
    assert blurred.dtype == np.float32
    assert blurred.shape == images.shape
    assert blurred.min() >= images.min() - 1e-6
    assert blurred.max() <= images.max() + 1e-6
    np.testing.assert_allclose(metrics.blur_images(images, 0), images, atol=1e-7)


@pytest.mark.parametrize(
    ("images", "sigma", "error", "match"),
    [
        (np.zeros((28, 28)), 1.0, ValueError, "images"),
        (np.zeros((1, 28, 28)), -1.0, ValueError, "sigma"),
        (np.zeros((1, 28, 28)), "1", TypeError, "sigma"),
        (np.zeros((1, 8, 8)), 3.0, ValueError, "radius"),
    ],
)
def test_blur_images_bad_input(images, sigma, error, match):
    with pytest.raises(error, match=match):
        metrics.blur_images(images, sigma)


def test_format_score_table_text_and_markdown():
    scores = {
        "real": {"FID": 0.5, "KID": 0.000123, "classes covered": 10},
        "noise": {"FID": 1234.5, "KID": float("nan")},
    }
    text = metrics.format_score_table(scores)
    lines = text.splitlines()
    assert lines[0].split() == ["images", "FID", "KID", "classes", "covered"]
    assert lines[1].split() == ["real", "0.500", "0.00012", "10"]
    assert lines[2].split() == ["noise", "1234.5", "-", "-"]
    assert len({len(line) for line in lines[:2]}) == 1  # aligned
    markdown = metrics.format_score_table(scores, markdown=True, columns=["FID"])
    assert markdown.splitlines() == [
        "| images | FID |",
        "|:---|---:|",
        "| real | 0.500 |",
        "| noise | 1234.5 |",
    ]
    with pytest.raises(TypeError, match="mapping"):
        metrics.format_score_table([1, 2])


def test_format_score_table_numpy_scalars_like_python_numbers():
    python = {"a": {"FID": 0.5, "classes covered": 10, "KID": float("nan")}}
    numpy = {
        "a": {"FID": np.float32(0.5), "classes covered": np.int64(10)}
        | {"KID": np.float32("nan")}
    }
    assert metrics.format_score_table(numpy) == metrics.format_score_table(python)


def test_reference_scores_rows_and_ordering(fashion, capsys):
    scores = metrics.reference_scores(100, classifier=RandomFeatures(), seed=1)
    assert list(scores) == [
        "real (training images)",
        "one class (Trouser)",
        "blurred, sigma=1",
        "blurred, sigma=2",
        "PCA, 50 components",
        "PCA, 10 components",
        "Gaussian noise",
    ]
    assert all(tuple(row) == metrics.SCORE_NAMES for row in scores.values())
    floor = scores["real (training images)"]
    assert floor["FID"] < scores["blurred, sigma=2"]["FID"]
    assert floor["FID"] < scores["Gaussian noise"]["FID"]
    assert scores["Gaussian noise"]["precision"] < floor["precision"]
    printed = capsys.readouterr().out
    assert "Scores against 100 real test images" in printed
    assert "Gaussian noise" in printed


def test_reference_scores_bad_arguments(no_domain_classifier):
    with pytest.raises(ValueError, match="n must be between"):
        metrics.reference_scores(5)
    with pytest.raises(ValueError, match="value_range"):
        metrics.reference_scores(100, value_range="uint8")


@pytest.mark.parametrize(
    "cov_a, message",
    [
        (np.array([[1.0, 0.0], [0.0, -1.0]]), r"cov_a must be positive semi-definite"),
        (np.array([[1.0, 0.5], [0.0, 1.0]]), r"cov_a must be a symmetric covariance"),
        (np.eye(3), r"cov_a must be a \(2, 2\) matrix"),
        (np.full((2, 2), np.inf), r"cov_a must contain only finite"),
    ],
)
def test_frechet_distance_from_statistics_rejects_invalid_covariances(cov_a, message):
    with pytest.raises(ValueError, match=message):
        metrics.frechet_distance_from_statistics(
            np.zeros(2), cov_a, np.zeros(2), np.eye(2)
        )


def test_frechet_distance_accepts_rounding_noise_of_np_cov():
    features = np.random.default_rng(0).standard_normal((5, 8))  # singular
    cov = np.cov(features, rowvar=False)
    mean = features.mean(axis=0)
    assert metrics.frechet_distance_from_statistics(mean, cov, mean, cov) == (
        pytest.approx(0.0, abs=1e-6)
    )


def test_kernel_distance_subsets_follow_the_global_seed():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 3)), rng.standard_normal((40, 3)) + 0.5
    np.random.seed(3)
    first = metrics.kernel_distance_from_features(a, b, subset_size=10, seed=None)
    np.random.seed(3)
    again = metrics.kernel_distance_from_features(a, b, subset_size=10, seed=None)
    assert first == again
    with pytest.raises(ValueError, match=r"seed must be an integer between 0"):
        metrics.kernel_distance_from_features(a, b, subset_size=10, seed=-1)
