"""Numbers that compare representations, reconstructions and detectors.

This first part holds what the autoencoder notebooks need:

- :func:`principal_angles` compares two subspaces (the plane a linear
  autoencoder learns and the plane PCA finds), taught in
  ``notebooks/01_linear_autoencoder_pca.ipynb``;
- :func:`fit_pca` and :class:`PCAResult` give the PCA reference solution
  (components, explained variance, projection and reconstruction), taught in
  ``notebooks/01_linear_autoencoder_pca.ipynb``;
- :func:`reconstruction_error` is the per-pixel mean squared error used to
  compare autoencoders, taught in
  ``notebooks/03_conv_recurrent_autoencoders.ipynb``;
- :func:`roc_curve` and :func:`roc_auc` score anomaly detection by
  reconstruction error, taught in
  ``notebooks/04_denoising_sparse_autoencoders.ipynb``.

Everything is plain NumPy and accepts anything :func:`numpy.asarray` accepts
(lists, NumPy arrays, eager TensorFlow tensors). Computations are done in
``float64``. Invalid arguments raise :class:`ValueError` or :class:`TypeError`
whose message names the argument, the value given and what is accepted; nothing
is silently reshaped. Nothing runs on import.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from course_utils._arguments import (
    finite_array,
    integer,
    is_integer,
    is_number,
    number,
    numpy_rng,
)

__all__ = [
    "PCAResult",
    "fit_pca",
    "principal_angles",
    "reconstruction_error",
    "roc_auc",
    "roc_curve",
]

# Rows per chunk when accumulating the covariance matrix of a large data set.
_COVARIANCE_CHUNK_ROWS = 8192


# --------------------------------------------------------------------------
# Argument checks shared by the public functions
# --------------------------------------------------------------------------


def _as_numeric_array(value: Any, name: str, *, allow_bool: bool = False) -> np.ndarray:
    """Convert ``value`` to a real-valued array, or raise naming ``name``."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"{name} must be convertible to a rectangular numeric array; "
            f"got {type(value).__name__} ({error})."
        ) from error
    kind = array.dtype.kind
    accepted = "biuf" if allow_bool else "iuf"
    if kind not in accepted:
        what = "booleans, integers or floats" if allow_bool else "integers or floats"
        raise TypeError(
            f"{name} must hold {what}; got an array of dtype {array.dtype}."
        )
    return array


def _check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a bool, or raise a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False; got {value!r} of type "
            f"{type(value).__name__}."
        )
    return bool(value)


# --------------------------------------------------------------------------
# Principal angles between subspaces
# --------------------------------------------------------------------------


def _orthonormal_basis(basis: Any, name: str) -> np.ndarray:
    """Check a (d, k) basis of full column rank and return Q of its QR."""
    array = _as_numeric_array(basis, name)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D (d, k) array whose k columns span the subspace; "
            f"got an array of shape {array.shape}."
        )
    n_rows, n_columns = array.shape
    if n_rows == 0 or n_columns == 0:
        raise ValueError(
            f"{name} must have at least one row and one column; got shape "
            f"{array.shape}."
        )
    finite_array(array, name)
    array = array.astype(np.float64)
    rank = int(np.linalg.matrix_rank(array))
    if rank < n_columns:
        raise ValueError(
            f"{name} must have linearly independent columns (full column rank); got "
            f"shape {array.shape} with rank {rank} < {n_columns} columns. Drop the "
            "redundant columns or pass a basis of the subspace."
        )
    q_matrix, _ = np.linalg.qr(array, mode="reduced")
    return q_matrix


def principal_angles(basis_a: Any, basis_b: Any, *, degrees: bool = True) -> np.ndarray:
    """Principal angles between the column spaces of two matrices.

    The columns of each matrix span a subspace of R^d; they need not be
    orthonormal, only linearly independent. Both are orthonormalised with a QR
    decomposition (``Qa``, ``Qb``); the cosines of the principal angles are the
    singular values of ``Qa.T @ Qb``. Angles below 45 degrees are computed from
    their sines (singular values of ``Qb - Qa @ Qa.T @ Qb``), which stays
    accurate for nearly identical subspaces where ``arccos`` of a cosine close
    to 1 loses half the digits. All angles 0 means the subspaces are the same
    (the smaller one lies inside the other); all angles 90 means they are
    orthogonal.

    Taught in ``notebooks/01_linear_autoencoder_pca.ipynb``, to compare the
    plane a linear autoencoder learns with the plane PCA finds.

    Args:
        basis_a: Array of shape ``(d, k1)`` whose columns span the first
            subspace (for example the decoder weights of a linear autoencoder,
            transposed to put the basis vectors in columns).
        basis_b: Array of shape ``(d, k2)`` whose columns span the second
            subspace (for example ``PCAResult.components.T``).
        degrees: If True (default) return degrees, otherwise radians.

    Returns:
        A float64 array of the ``min(k1, k2)`` principal angles, sorted in
        ascending order, in ``[0, 90]`` degrees (or ``[0, pi/2]`` radians).

    Raises:
        TypeError: If a basis is not numeric or ``degrees`` is not a bool.
        ValueError: If a basis is not 2-D, is empty, holds NaN or infinity,
            has rank lower than its number of columns, or if the two bases
            have a different number of rows ``d``.

    Example:
        >>> import numpy as np
        >>> plane_xy = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> plane_xz = np.array([[2.0, 0.0], [0.0, 0.0], [0.0, 3.0]])
        >>> np.round(principal_angles(plane_xy, plane_xz), 6).tolist()
        [0.0, 90.0]
    """
    degrees = _check_bool(degrees, "degrees")
    q_a = _orthonormal_basis(basis_a, "basis_a")
    q_b = _orthonormal_basis(basis_b, "basis_b")
    if q_a.shape[0] != q_b.shape[0]:
        raise ValueError(
            "basis_a and basis_b must have the same number of rows (the dimension "
            f"d of the space); got basis_a with {q_a.shape[0]} rows and basis_b "
            f"with {q_b.shape[0]} rows."
        )
    overlap = q_a.T @ q_b
    # Cosines, descending, so the angles they give are ascending.
    cosines = np.linalg.svd(overlap, compute_uv=False)
    # Sines of the same angles: singular values of the part of the smaller
    # basis that lies outside the larger subspace (descending, so reverse).
    if q_b.shape[1] <= q_a.shape[1]:
        residual = q_b - q_a @ overlap
    else:
        residual = q_a - q_b @ overlap.T
    sines = np.linalg.svd(residual, compute_uv=False)[::-1]
    from_cosines = np.arccos(np.clip(cosines, -1.0, 1.0))
    from_sines = np.arcsin(np.clip(sines, -1.0, 1.0))
    angles = np.where(cosines**2 >= 0.5, from_sines, from_cosines)
    angles = np.sort(angles)
    return np.degrees(angles) if degrees else angles


# --------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------

_DATA_SHAPES = "a 2-D (N, d), 3-D (N, H, W) or 4-D (N, H, W, C) array"


def _as_data(data: Any, name: str) -> np.ndarray:
    """Check a batch of vectors or images and return it as a numeric array."""
    array = _as_numeric_array(data, name)
    if array.ndim not in (2, 3, 4):
        raise ValueError(
            f"{name} must be {_DATA_SHAPES}; got an array of shape {array.shape}."
        )
    if array.size == 0:
        raise ValueError(
            f"{name} must not be empty; got an array of shape {array.shape}."
        )
    finite_array(array, name)
    return array


@dataclasses.dataclass(frozen=True, eq=False)
class PCAResult:
    """A fitted PCA: mean, principal axes and their variances.

    Made by :func:`fit_pca`; the arrays are read-only. Data passed to the
    methods may be flat, shape ``(N, d)``, or have the per-sample shape the
    PCA was fitted on, shape ``(N, *feature_shape)``.

    Taught in ``notebooks/01_linear_autoencoder_pca.ipynb``.

    Attributes:
        mean: Per-feature mean of the training data, shape ``(d,)``.
        components: Principal axes as orthonormal rows, shape
            ``(n_components, d)``, sorted by decreasing explained variance.
            The sign of each row is fixed so that its entry of largest absolute
            value is positive.
        explained_variance: Variance of the data along each component (with
            the ``N - 1`` denominator), shape ``(n_components,)``.
        explained_variance_ratio: ``explained_variance`` divided by the total
            variance of the data, shape ``(n_components,)``.
        feature_shape: Shape of one sample of the training data, for example
            ``(3,)`` for 3-D points or ``(28, 28)`` for images.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    feature_shape: tuple[int, ...]

    @property
    def n_components(self) -> int:
        """Number of principal components kept."""
        return int(self.components.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features ``d`` of a flattened sample."""
        return int(self.components.shape[1])

    def _flatten(self, data: Any) -> tuple[np.ndarray, tuple[int, ...]]:
        """Check ``data`` against the fitted shape and flatten it to (N, d)."""
        array = _as_data(data, "data")
        flat_shape = (self.n_features,)
        if array.shape[1:] not in (flat_shape, self.feature_shape):
            accepted = f"(N, {self.n_features})"
            if self.feature_shape != flat_shape:
                accepted += f" or (N, {', '.join(map(str, self.feature_shape))})"
            raise ValueError(
                f"data must have shape {accepted} to match the data the PCA was "
                f"fitted on; got an array of shape {array.shape}."
            )
        flat = array.reshape(array.shape[0], self.n_features).astype(np.float64)
        return flat, array.shape

    def transform(self, data: Any) -> np.ndarray:
        """Project data onto the principal components (the "codings").

        Args:
            data: Array of shape ``(N, d)`` or ``(N, *feature_shape)``.

        Returns:
            Float64 array of shape ``(N, n_components)``.

        Raises:
            TypeError: If ``data`` is not numeric.
            ValueError: If ``data`` has the wrong shape or holds NaN or
                infinity.

        Example:
            >>> import numpy as np
            >>> pca = fit_pca(np.array([[0.0, 0.0], [2.0, 2.0]]), 1)
            >>> np.round(pca.transform(np.array([[1.0, 1.0], [3.0, 3.0]])), 4).tolist()
            [[0.0], [2.8284]]
        """
        flat, _ = self._flatten(data)
        return (flat - self.mean) @ self.components.T

    def inverse_transform(self, codes: Any) -> np.ndarray:
        """Map codings back to data space (the "decoder" of PCA).

        Args:
            codes: Array of shape ``(N, n_components)``.

        Returns:
            Float64 array of shape ``(N, *feature_shape)``.

        Raises:
            TypeError: If ``codes`` is not numeric.
            ValueError: If ``codes`` is not ``(N, n_components)`` or holds NaN
                or infinity.

        Example:
            >>> import numpy as np
            >>> pca = fit_pca(np.array([[0.0, 0.0], [2.0, 2.0]]), 1)
            >>> np.round(pca.inverse_transform(np.array([[0.0]])), 4).tolist()
            [[1.0, 1.0]]
        """
        array = _as_numeric_array(codes, "codes")
        if (
            array.ndim != 2
            or array.shape[1] != self.n_components
            or array.shape[0] == 0
        ):
            raise ValueError(
                f"codes must have shape (N, {self.n_components}) with N >= 1 (one row "
                f"of {self.n_components} codings per sample); got an array of shape "
                f"{array.shape}."
            )
        finite_array(array, "codes")
        flat = array.astype(np.float64) @ self.components + self.mean
        return flat.reshape((array.shape[0], *self.feature_shape))

    def reconstruct(self, data: Any) -> np.ndarray:
        """Project data onto the components and map it back (encode + decode).

        Args:
            data: Array of shape ``(N, d)`` or ``(N, *feature_shape)``.

        Returns:
            Float64 array with the same shape as ``data``.

        Raises:
            TypeError: If ``data`` is not numeric.
            ValueError: If ``data`` has the wrong shape or holds NaN or
                infinity.

        Example:
            >>> import numpy as np
            >>> pca = fit_pca(np.array([[0.0, 0.0], [2.0, 2.0]]), 1)
            >>> np.round(pca.reconstruct(np.array([[2.0, 0.0]])), 4).tolist()
            [[1.0, 1.0]]
        """
        flat, shape = self._flatten(data)
        codes = (flat - self.mean) @ self.components.T
        return (codes @ self.components + self.mean).reshape(shape)


def _fix_signs(components: np.ndarray) -> np.ndarray:
    """Flip each row so that its entry of largest absolute value is positive."""
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(components.shape[0]), largest])
    signs[signs == 0] = 1.0
    return components * signs[:, np.newaxis]


def fit_pca(data: Any, n_components: int) -> PCAResult:
    """Fit a principal component analysis (PCA) to a batch of vectors or images.

    The data are centred and the principal axes found from the economy-size
    SVD of the centred data. When there are many more samples than features
    (``N >= 2 d``, for example 60,000 x 784 for Fashion-MNIST) the same axes
    are found faster from the eigen-decomposition of the ``(d, d)`` covariance
    matrix, accumulated in float64 chunk by chunk. Images of shape
    ``(N, H, W)`` or ``(N, H, W, C)`` are flattened to ``(N, H*W*C)``.

    Taught in ``notebooks/01_linear_autoencoder_pca.ipynb``, as the reference
    a linear autoencoder with an MSE loss converges to.

    Args:
        data: Array of shape ``(N, d)``, ``(N, H, W)`` or ``(N, H, W, C)``
            with ``N >= 2`` samples.
        n_components: Number of principal components to keep, from 1 to
            ``min(N, d)``.

    Returns:
        A frozen :class:`PCAResult` with ``mean``, ``components``,
        ``explained_variance``, ``explained_variance_ratio`` and
        ``feature_shape``, and the methods ``transform``,
        ``inverse_transform`` and ``reconstruct``.

    Raises:
        TypeError: If ``data`` is not numeric or ``n_components`` is not an
            int.
        ValueError: If ``data`` has the wrong number of dimensions, fewer than
            two samples, NaN or infinity, or no variance at all; or if
            ``n_components`` is outside ``[1, min(N, d)]``.

    Example:
        >>> import numpy as np
        >>> points = np.array([[-2.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, -1.0]])
        >>> pca = fit_pca(points, n_components=1)
        >>> pca.components.tolist(), np.round(pca.explained_variance_ratio, 4).tolist()
        ([[1.0, 0.0]], [0.8])
    """
    array = _as_data(data, "data")
    n_samples = array.shape[0]
    feature_shape = tuple(int(size) for size in array.shape[1:])
    n_features = math.prod(feature_shape)
    if n_samples < 2:
        raise ValueError(
            f"data must hold at least 2 samples to estimate a variance; got an array "
            f"of shape {array.shape}."
        )
    n_components = integer("n_components", n_components)
    largest = min(n_samples, n_features)
    if not 1 <= n_components <= largest:
        raise ValueError(
            f"n_components must be between 1 and min(N, d) = min({n_samples}, "
            f"{n_features}) = {largest}; got {n_components}."
        )

    flat = array.reshape(n_samples, n_features)
    mean = flat.mean(axis=0, dtype=np.float64)

    if n_samples >= 2 * n_features:
        scatter = np.zeros((n_features, n_features), dtype=np.float64)
        for start in range(0, n_samples, _COVARIANCE_CHUNK_ROWS):
            chunk = flat[start : start + _COVARIANCE_CHUNK_ROWS].astype(np.float64)
            chunk -= mean
            scatter += chunk.T @ chunk
        scatter = (scatter + scatter.T) / 2.0
        eigenvalues, eigenvectors = np.linalg.eigh(scatter)
        order = np.argsort(eigenvalues)[::-1][:n_components]
        squared_norms = np.clip(eigenvalues[order], 0.0, None)
        components = eigenvectors[:, order].T
        total_scatter = float(np.trace(scatter))
    else:
        centred = flat.astype(np.float64) - mean
        _, singular_values, right_vectors = np.linalg.svd(centred, full_matrices=False)
        squared_norms = singular_values[:n_components] ** 2
        components = right_vectors[:n_components]
        total_scatter = float(np.sum(singular_values**2))

    if total_scatter <= 0.0:
        raise ValueError(
            "data must vary: every sample is identical, so there are no principal "
            f"axes to find; got an array of shape {array.shape}."
        )
    explained_variance = squared_norms / (n_samples - 1)
    explained_variance_ratio = squared_norms / total_scatter
    components = np.ascontiguousarray(_fix_signs(components))

    for field in (mean, components, explained_variance, explained_variance_ratio):
        field.setflags(write=False)
    return PCAResult(
        mean=mean,
        components=components,
        explained_variance=explained_variance,
        explained_variance_ratio=explained_variance_ratio,
        feature_shape=feature_shape,
    )


# --------------------------------------------------------------------------
# Reconstruction error
# --------------------------------------------------------------------------

_REDUCTIONS = ("mean", "none")


def reconstruction_error(
    originals: Any, reconstructions: Any, *, reduction: str = "mean"
) -> float | np.ndarray:
    """Per-pixel mean squared error between originals and reconstructions.

    Taught in ``notebooks/03_conv_recurrent_autoencoders.ipynb`` (the table of
    error against latent size and architecture); notebook 04 uses the
    per-image values as anomaly scores.

    Args:
        originals: Array of shape ``(N, ...)``, at least 2-D: a batch of
            vectors, images or sequences.
        reconstructions: Array with exactly the same shape as ``originals``.
        reduction: ``"mean"`` for one number, the mean over every value;
            ``"none"`` for one value per sample, the mean over all non-batch
            axes.

    Returns:
        A Python float for ``reduction="mean"``, a float64 array of shape
        ``(N,)`` for ``reduction="none"``.

    Raises:
        TypeError: If an input is not numeric or ``reduction`` is not a
            string.
        ValueError: If an input is less than 2-D, empty or holds NaN or
            infinity, if the shapes differ, or if ``reduction`` is not
            ``"mean"`` or ``"none"``.

    Example:
        >>> originals = [[0.0, 1.0], [1.0, 1.0]]
        >>> reconstructions = [[0.0, 0.0], [1.0, 1.0]]
        >>> reconstruction_error(originals, reconstructions)
        0.25
        >>> reconstruction_error(originals, reconstructions, reduction="none").tolist()
        [0.5, 0.0]
    """
    if not isinstance(reduction, str):
        raise TypeError(
            f"reduction must be one of {_REDUCTIONS}; got {reduction!r} of type "
            f"{type(reduction).__name__}."
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}; got {reduction!r}.")
    first = _as_numeric_array(originals, "originals", allow_bool=True)
    second = _as_numeric_array(reconstructions, "reconstructions", allow_bool=True)
    for name, array in (("originals", first), ("reconstructions", second)):
        if array.ndim < 2 or array.size == 0:
            raise ValueError(
                f"{name} must be a non-empty batch of shape (N, ...) with at least 2 "
                f"dimensions (N samples, then the sample's own axes); got shape "
                f"{array.shape}."
            )
        finite_array(array, name)
    if first.shape != second.shape:
        raise ValueError(
            "originals and reconstructions must have exactly the same shape; got "
            f"originals of shape {first.shape} and reconstructions of shape "
            f"{second.shape}."
        )
    squared = (first.astype(np.float64) - second.astype(np.float64)) ** 2
    per_sample = squared.reshape(squared.shape[0], -1).mean(axis=1)
    if reduction == "none":
        return per_sample
    return float(squared.mean())


# --------------------------------------------------------------------------
# ROC curve and AUC
# --------------------------------------------------------------------------


def _check_labels_and_scores(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate binary labels and anomaly scores; return int labels, float scores."""
    label_array = _as_numeric_array(labels, "labels", allow_bool=True)
    score_array = _as_numeric_array(scores, "scores", allow_bool=True)
    for name, array in (("labels", label_array), ("scores", score_array)):
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D array with one value per sample; got an "
                f"array of shape {array.shape}."
            )
    if label_array.shape != score_array.shape:
        raise ValueError(
            "labels and scores must have the same length (one label and one score "
            f"per sample); got labels of length {label_array.shape[0]} and scores "
            f"of length {score_array.shape[0]}."
        )
    finite_array(score_array, "scores")
    is_zero = label_array == 0
    is_one = label_array == 1
    if not np.all(is_zero | is_one):
        bad = np.unique(label_array[~(is_zero | is_one)])[:5].tolist()
        raise ValueError(
            "labels must contain only 0 (normal) and 1 (positive, anomaly); got "
            f"other values such as {bad}."
        )
    n_positive = int(np.count_nonzero(is_one))
    n_negative = int(np.count_nonzero(is_zero))
    if n_positive == 0 or n_negative == 0:
        raise ValueError(
            "labels must contain both classes, 0 and 1, to define a ROC curve; got "
            f"{n_negative} zeros and {n_positive} ones."
        )
    return is_one.astype(np.int64), score_array.astype(np.float64)


def roc_curve(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic curve of an anomaly score.

    A sample is flagged as positive (anomalous) when its score is at least the
    threshold. The curve has one point per distinct score, so tied scores are
    never split, plus a first point ``(0, 0)`` with threshold ``+inf``; the
    last point is ``(1, 1)``.

    Taught in ``notebooks/04_denoising_sparse_autoencoders.ipynb``, with
    per-image reconstruction errors as scores and a held-out class as the
    anomalies.

    Args:
        labels: 1-D array of 0 (normal) and 1 (positive, anomaly); booleans
            are accepted. Both classes must be present.
        scores: 1-D array of finite scores, the same length as ``labels``;
            higher means more anomalous.

    Returns:
        ``(false_positive_rates, true_positive_rates, thresholds)``: three
        float64 arrays of the same length; the rates are non-decreasing and
        the thresholds strictly decreasing, starting with ``inf``.

    Raises:
        TypeError: If ``labels`` or ``scores`` is not numeric.
        ValueError: If they are not 1-D, differ in length, if ``scores``
            holds NaN or infinity, if ``labels`` holds values other than 0 and
            1, or if one class is missing.

    Example:
        >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])
        >>> fpr.tolist(), tpr.tolist(), thresholds.tolist()
        ([0.0, 0.0, 0.5, 1.0], [0.0, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.1])
    """
    label_array, score_array = _check_labels_and_scores(labels, scores)
    order = np.argsort(-score_array, kind="stable")
    sorted_scores = score_array[order]
    sorted_labels = label_array[order]
    # Last index of each run of equal scores: one curve point per distinct score.
    group_ends = np.flatnonzero(np.diff(sorted_scores) != 0.0)
    group_ends = np.append(group_ends, sorted_scores.size - 1)
    true_positives = np.cumsum(sorted_labels)[group_ends]
    false_positives = (group_ends + 1) - true_positives
    n_positive = true_positives[-1]
    n_negative = false_positives[-1]
    false_positive_rates = np.concatenate(([0.0], false_positives / n_negative))
    true_positive_rates = np.concatenate(([0.0], true_positives / n_positive))
    thresholds = np.concatenate(([np.inf], sorted_scores[group_ends]))
    return false_positive_rates, true_positive_rates, thresholds


def roc_auc(labels: Any, scores: Any) -> float:
    """Area under the ROC curve of an anomaly score.

    Computed with the trapezoid rule over :func:`roc_curve`. It equals the
    probability that a random positive scores higher than a random negative,
    ties counted one half (the Mann-Whitney U statistic divided by
    ``n_positive * n_negative``): 1 is a perfect detector, 0.5 chance, 0 a
    perfectly reversed one.

    Taught in ``notebooks/04_denoising_sparse_autoencoders.ipynb``.

    Args:
        labels: 1-D array of 0 (normal) and 1 (positive, anomaly); booleans
            are accepted. Both classes must be present.
        scores: 1-D array of finite scores, the same length as ``labels``;
            higher means more anomalous.

    Returns:
        The area, a Python float in ``[0, 1]``.

    Raises:
        TypeError: If ``labels`` or ``scores`` is not numeric.
        ValueError: As :func:`roc_curve`.

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])
        0.875
    """
    false_positive_rates, true_positive_rates, _ = roc_curve(labels, scores)
    widths = np.diff(false_positive_rates)
    heights = (true_positive_rates[1:] + true_positive_rates[:-1]) / 2.0
    return float(np.sum(widths * heights))


@dataclasses.dataclass(frozen=True)
class RingCoverage:
    """How well 2-D samples cover the modes of a Gaussian ring.

    Attributes:
        modes_covered: Number of modes that received at least
            ``min_share`` of the high-quality samples' expected share.
        high_quality_share: Share of samples within ``max_distance`` of a
            mode centre.
        counts: High-quality samples per mode.
    """

    modes_covered: int
    high_quality_share: float
    counts: np.ndarray


def ring_mode_coverage(
    samples,
    centres,
    *,
    stddev: float,
    n_std: float = 3.0,
    min_share: float = 0.25,
) -> RingCoverage:
    """Count the modes of a 2-D mixture that generated samples cover.

    A sample is *high quality* when it lies within ``n_std * stddev`` of its
    nearest mode centre (Srivastava et al., 2017, VEEGAN). A mode is
    *covered* when it received at least ``min_share`` of an equal share of
    the samples, i.e. ``count >= min_share * n_samples / n_modes``.
    Taught in ``notebooks/08_gan_training_problems.ipynb``.

    Args:
        samples: Generated points, shape (N, 2).
        centres: Mode centres, shape (n_modes, 2)
            (:func:`course_utils.data.ring_centres`).
        stddev: Standard deviation of each mode of the real data.
        n_std: Distance threshold in standard deviations.
        min_share: Share of the equal share a mode needs to count as covered.

    Returns:
        A :class:`RingCoverage`.

    Raises:
        ValueError: For shapes other than (N, 2) and (M, 2) or
            non-positive thresholds.

    Example:
        >>> centres = np.array([[1.0, 0.0], [-1.0, 0.0]])
        >>> ring_mode_coverage(np.array([[1.0, 0.01]] * 4), centres, stddev=0.02)
        RingCoverage(modes_covered=1, high_quality_share=1.0, counts=array([4, 0]))
    """
    samples = np.asarray(samples, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    for name, array in (("samples", samples), ("centres", centres)):
        if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
            raise ValueError(
                f"{name} must have shape (N, 2) with N >= 1; got shape {array.shape}"
            )
    for name, value in (("stddev", stddev), ("n_std", n_std), ("min_share", min_share)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= n_std * stddev
    counts = np.bincount(nearest[good], minlength=len(centres))
    needed = min_share * len(samples) / len(centres)
    return RingCoverage(
        modes_covered=int((counts >= needed).sum()),
        high_quality_share=float(good.mean()),
        counts=counts,
    )


# --------------------------------------------------------------------------
# Evaluating generated images: FID, KID, precision / recall, class coverage
# --------------------------------------------------------------------------
#
# Each metric comes twice: a features-level function on two arrays of
# embeddings (``..._from_features``), plain NumPy, and an image-level function
# that embeds Fashion-MNIST images with the domain classifier
# (:func:`course_utils.models.classifier.domain_classifier`) first. Taught in
# ``notebooks/08_gan_training_problems.ipynb`` (how to evaluate GANs).

_KID_DEFAULT_SUBSET_SIZE = 1000
_DISTANCE_BATCH_ROWS = 1024


def _as_features(features: Any, name: str) -> np.ndarray:
    """Check a (N, d) array of features and return it as float64."""
    array = _as_numeric_array(features, name)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"{name} must be a 2-D (N, d) array of features, one row per image, "
            f"with N >= 1 and d >= 1; got an array of shape {array.shape}."
        )
    finite_array(array, name)
    return array.astype(np.float64)


def _as_feature_pair(
    first: Any, second: Any, names: tuple[str, str], minimum: int, why: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check two feature arrays of the same width with >= ``minimum`` rows."""
    arrays = (_as_features(first, names[0]), _as_features(second, names[1]))
    if arrays[0].shape[1] != arrays[1].shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of features d; "
            f"got {arrays[0].shape[1]} and {arrays[1].shape[1]}."
        )
    for name, array in zip(names, arrays, strict=True):
        if array.shape[0] < minimum:
            raise ValueError(
                f"{name} must hold at least {minimum} rows {why}; got {array.shape[0]}."
            )
    return arrays


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (eigh)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T


def _check_covariance(matrix: np.ndarray, name: str, tolerance: float = 1e-6) -> None:
    """Raise naming ``name`` unless a square matrix is a covariance.

    Symmetric and positive semi-definite, both within ``tolerance`` relative
    to the largest absolute entry (rounding noise of ``np.cov`` passes).
    """
    scale = max(float(np.max(np.abs(matrix))), 1e-12)
    asymmetry = float(np.max(np.abs(matrix - matrix.T)))
    if asymmetry > tolerance * scale:
        raise ValueError(
            f"{name} must be a symmetric covariance matrix; entries differ from "
            f"their transpose by up to {asymmetry:.3g}. Use np.cov(features, "
            f"rowvar=False)."
        )
    smallest = float(np.linalg.eigvalsh((matrix + matrix.T) / 2.0).min())
    if smallest < -tolerance * scale * len(matrix):
        raise ValueError(
            f"{name} must be positive semi-definite (a covariance matrix); its "
            f"smallest eigenvalue is {smallest:.3g}. Use np.cov(features, "
            f"rowvar=False)."
        )


def frechet_distance_from_statistics(
    mean_a: Any, cov_a: Any, mean_b: Any, cov_b: Any
) -> float:
    """Frechet (2-Wasserstein) distance between two Gaussians, squared.

    ``d^2 = |m_a - m_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2)``.

    The last trace equals ``tr((S_a S_b)^1/2)`` of the usual formula, but the
    matrix under the root is symmetric positive semi-definite, so both roots
    come from symmetric eigen-decompositions with negative rounding noise
    clipped to 0: the result is real and stable even for singular
    covariances (fewer samples than features). NumPy only.

    Args:
        mean_a: Mean vector, shape (d,).
        cov_a: Covariance matrix, shape (d, d), symmetric positive
            semi-definite.
        mean_b: Mean vector, shape (d,).
        cov_b: Covariance matrix, shape (d, d).

    Returns:
        The squared distance, a float >= 0.

    Raises:
        TypeError: If an argument is not numeric.
        ValueError: If the shapes do not match, a value is not finite, or a
            covariance is not symmetric positive semi-definite (within a
            relative tolerance of 1e-6).

    Example:
        >>> frechet_distance_from_statistics([0.0], [[4.0]], [3.0], [[1.0]])
        10.0
    """
    means = [
        _as_numeric_array(m, n) for m, n in ((mean_a, "mean_a"), (mean_b, "mean_b"))
    ]
    covs = [_as_numeric_array(c, n) for c, n in ((cov_a, "cov_a"), (cov_b, "cov_b"))]
    d = means[0].shape[0] if means[0].ndim == 1 else -1
    for name, array in zip(("mean_a", "mean_b"), means, strict=True):
        if array.ndim != 1 or array.shape[0] != d or d == 0:
            raise ValueError(
                f"{name} must be a non-empty 1-D vector, both means of the same "
                f"length; got shapes {means[0].shape} and {means[1].shape}."
            )
        finite_array(array, name)
    for name, array in zip(("cov_a", "cov_b"), covs, strict=True):
        if array.shape != (d, d):
            raise ValueError(
                f"{name} must be a ({d}, {d}) matrix to match the means; got shape "
                f"{array.shape}."
            )
        finite_array(array, name)
        _check_covariance(array.astype(np.float64), name)
    mean_a, mean_b = (m.astype(np.float64) for m in means)
    cov_a, cov_b = (c.astype(np.float64) for c in covs)
    root_a = _symmetric_sqrt(cov_a)
    product = root_a @ cov_b @ root_a
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2.0)
    trace_of_root = float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))
    difference = mean_a - mean_b
    distance = (
        float(difference @ difference)
        + float(np.trace(cov_a))
        + float(np.trace(cov_b))
        - 2.0 * trace_of_root
    )
    return max(distance, 0.0)


def frechet_distance_from_features(features_a: Any, features_b: Any) -> float:
    """Frechet distance between Gaussians fitted to two sets of features.

    Fits a Gaussian to each set (sample mean ``m`` and covariance ``S`` with
    the ``N - 1`` denominator) and returns
    ``|m_a - m_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2)``
    (:func:`frechet_distance_from_statistics`). With Inception features this
    is the FID; :func:`frechet_distance` uses Fashion-MNIST features.

    The estimate is biased upwards for small sets (two samples of one
    distribution give a positive value that shrinks roughly like 1/N):
    compare scores computed with the same numbers of images.

    Args:
        features_a: Array (N_a, d), N_a >= 2.
        features_b: Array (N_b, d), N_b >= 2.

    Returns:
        The distance, a float >= 0 (0 for identical sets).

    Raises:
        TypeError: If an input is not numeric.
        ValueError: If an input is not 2-D, holds NaN or infinity, has fewer
            than 2 rows, or if the widths differ.

    Example:
        >>> a = np.array([[0.0], [2.0]]); b = np.array([[3.0], [5.0]])
        >>> frechet_distance_from_features(a, b)
        9.0
    """
    a, b = _as_feature_pair(
        features_a,
        features_b,
        ("features_a", "features_b"),
        2,
        "to estimate a covariance",
    )
    return frechet_distance_from_statistics(
        a.mean(axis=0),
        np.atleast_2d(np.cov(a, rowvar=False)),
        b.mean(axis=0),
        np.atleast_2d(np.cov(b, rowvar=False)),
    )


@dataclasses.dataclass(frozen=True)
class KernelDistance:
    """A kernel inception distance: mean and spread over random subsets.

    Unpacks as ``mean, std = kernel_distance(...)``.

    Attributes:
        mean: Mean of the unbiased MMD^2 estimates over the subsets.
        std: Their standard deviation (``ddof=1``; NaN for one subset).
        n_subsets: Number of subsets.
        subset_size: Rows drawn from each set for each subset.
    """

    mean: float
    std: float
    n_subsets: int
    subset_size: int

    def __iter__(self):
        return iter((self.mean, self.std))

    def __repr__(self) -> str:
        return (
            f"KernelDistance(mean={self.mean:.6f}, std={self.std:.6f}, "
            f"n_subsets={self.n_subsets}, subset_size={self.subset_size})"
        )


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    values = x @ y.T / x.shape[1] + 1.0
    return values * values * values


def kernel_distance_from_features(
    features_a: Any,
    features_b: Any,
    *,
    n_subsets: int = 10,
    subset_size: int = _KID_DEFAULT_SUBSET_SIZE,
    seed: int | None = 0,
) -> KernelDistance:
    """Kernel distance (KID) between two sets of features.

    For each of ``n_subsets`` subsets, ``m = subset_size`` rows ``x_i`` are
    drawn without replacement from ``features_a`` and ``m`` rows ``y_j`` from
    ``features_b``; the unbiased estimate of the squared maximum mean
    discrepancy with the cubic polynomial kernel
    ``k(x, y) = (x . y / d + 1)^3`` is::

        MMD^2 = sum_{i != j} k(x_i, x_j) / (m (m - 1))
              + sum_{i != j} k(y_i, y_j) / (m (m - 1))
              - 2 sum_{i, j} k(x_i, y_j) / m^2

    (Binkowski et al., 2018). Unbiased means that two samples of one
    distribution give 0 on average (single estimates may be slightly
    negative); unlike the Frechet distance it does not depend on the
    number of images.

    Args:
        features_a: Array (N_a, d).
        features_b: Array (N_b, d).
        n_subsets: Number of random subsets (>= 1).
        subset_size: Rows per subset (>= 2, at most ``min(N_a, N_b)``).
        seed: Seed of the subset draws, 0 to 2**32 - 1 (None: drawn from
            NumPy's global state, so ``cu.setup(seed)`` repeats it).

    Returns:
        A :class:`KernelDistance` with ``mean`` and ``std`` over the subsets.

    Raises:
        TypeError: If an input is not numeric or a count not an int.
        ValueError: If an input is not 2-D or holds NaN or infinity, the
            widths differ, ``n_subsets < 1``, ``subset_size < 2`` or
            ``subset_size`` exceeds a set's size.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(size=(200, 4)), rng.normal(size=(200, 4)) + 2.0
        >>> kid = kernel_distance_from_features(a, b, subset_size=100)
        >>> kid.mean > 1.0
        True
    """
    n_subsets = integer("n_subsets", n_subsets)
    subset_size = integer("subset_size", subset_size)
    if n_subsets < 1:
        raise ValueError(f"n_subsets must be at least 1; got {n_subsets}.")
    if subset_size < 2:
        raise ValueError(
            f"subset_size must be at least 2 (the unbiased estimate pairs distinct "
            f"rows); got {subset_size}."
        )
    a, b = _as_feature_pair(features_a, features_b, ("features_a", "features_b"), 1, "")
    smallest = min(len(a), len(b))
    if subset_size > smallest:
        raise ValueError(
            f"subset_size must be at most the size of the smaller set ({smallest}: "
            f"features_a has {len(a)} rows, features_b {len(b)}); got "
            f"{subset_size}. Pass subset_size={smallest} or use more images."
        )
    rng = numpy_rng(seed)
    m = subset_size
    estimates = np.empty(n_subsets)
    for index in range(n_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx = _polynomial_kernel(x, x)
        k_yy = _polynomial_kernel(y, y)
        k_xy = _polynomial_kernel(x, y)
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (
            m * (m - 1)
        )
        estimates[index] = within - 2.0 * k_xy.mean()
    std = float(estimates.std(ddof=1)) if n_subsets > 1 else float("nan")
    return KernelDistance(
        mean=float(estimates.mean()),
        std=std,
        n_subsets=n_subsets,
        subset_size=subset_size,
    )


@dataclasses.dataclass(frozen=True)
class PrecisionRecall:
    """Improved precision and recall of generated samples (k-NN manifolds).

    Unpacks as ``precision, recall = precision_recall(...)``.

    Attributes:
        precision: Share of fake samples inside the real manifold (quality).
        recall: Share of real samples inside the fake manifold (diversity).
        k: The neighbour that sets each ball's radius.
    """

    precision: float
    recall: float
    k: int

    def __iter__(self):
        return iter((self.precision, self.recall))

    def __repr__(self) -> str:
        return (
            f"PrecisionRecall(precision={self.precision:.4f}, "
            f"recall={self.recall:.4f}, k={self.k})"
        )


def _squared_distances(
    queries: np.ndarray, query_norms: np.ndarray, points: np.ndarray, point_norms
) -> np.ndarray:
    distances = queries @ points.T  # one (rows, N) buffer, updated in place
    distances *= -2.0
    distances += query_norms[:, None]
    distances += point_norms[None, :]
    return np.maximum(distances, 0.0, out=distances)


def _knn_radii_squared(points: np.ndarray, k: int, batch_rows: int) -> np.ndarray:
    """Squared distance of each point to its k-th nearest other point."""
    norms = np.einsum("ij,ij->i", points, points)
    radii = np.empty(len(points))
    for start in range(0, len(points), batch_rows):
        stop = min(start + batch_rows, len(points))
        distances = _squared_distances(
            points[start:stop], norms[start:stop], points, norms
        )
        distances[np.arange(stop - start), np.arange(start, stop)] = 0.0
        # Index 0 after partitioning is the point itself (distance 0).
        radii[start:stop] = np.partition(distances, k, axis=1)[:, k]
    return radii


def _inside_manifold(
    queries: np.ndarray, points: np.ndarray, radii: np.ndarray, batch_rows: int
) -> np.ndarray:
    """True for each query within the ball of at least one point."""
    query_norms = np.einsum("ij,ij->i", queries, queries)
    point_norms = np.einsum("ij,ij->i", points, points)
    inside = np.empty(len(queries), dtype=bool)
    for start in range(0, len(queries), batch_rows):
        stop = min(start + batch_rows, len(queries))
        distances = _squared_distances(
            queries[start:stop], query_norms[start:stop], points, point_norms
        )
        inside[start:stop] = np.any(distances <= radii[None, :], axis=1)
    return inside


def precision_recall_from_features(
    real_features: Any,
    fake_features: Any,
    *,
    k: int = 3,
    batch_rows: int = _DISTANCE_BATCH_ROWS,
) -> PrecisionRecall:
    """Improved precision and recall (Kynkaanniemi et al., 2019).

    Each set is turned into a "manifold": the union of balls centred on its
    samples, each ball's radius being the distance to the sample's k-th
    nearest neighbour in its own set. Then::

        precision = share of fake samples inside the real manifold
        recall    = share of real samples inside the fake manifold

    Low precision: fakes that look like no real image (poor quality). Low
    recall: parts of the real distribution that no fake comes near (mode
    collapse). Distances are Euclidean and computed ``batch_rows`` rows at a
    time, so 10,000 x 10,000 samples need about 160 MB at the peak.

    Args:
        real_features: Array (N_real, d), N_real > k.
        fake_features: Array (N_fake, d), N_fake > k.
        k: The neighbour that sets the radii (>= 1; the paper uses 3).
        batch_rows: Rows of the distance matrix held in memory at once.

    Returns:
        A :class:`PrecisionRecall`.

    Raises:
        TypeError: If an input is not numeric or ``k`` not an int.
        ValueError: If an input is not 2-D or holds NaN or infinity, the
            widths differ, ``k < 1`` or a set has ``k`` or fewer rows.

    Example:
        >>> real = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> fake = np.array([[0.5], [1.5], [10.0], [11.0]])
        >>> precision_recall_from_features(real, fake, k=1)
        PrecisionRecall(precision=0.5000, recall=0.7500, k=1)
    """
    k = integer("k", k)
    batch_rows = integer("batch_rows", batch_rows)
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}.")
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1; got {batch_rows}.")
    real, fake = _as_feature_pair(
        real_features,
        fake_features,
        ("real_features", "fake_features"),
        k + 1,
        f"(more than k={k}, to have a k-th nearest neighbour)",
    )
    real_radii = _knn_radii_squared(real, k, batch_rows)
    fake_radii = _knn_radii_squared(fake, k, batch_rows)
    precision = float(np.mean(_inside_manifold(fake, real, real_radii, batch_rows)))
    recall = float(np.mean(_inside_manifold(real, fake, fake_radii, batch_rows)))
    return PrecisionRecall(precision=precision, recall=recall, k=k)


@dataclasses.dataclass(frozen=True, eq=False)
class ClassCoverage:
    """Which classes a set of images falls into, by the domain classifier.

    Print it for a per-class table; ``repr`` gives one line.

    Attributes:
        counts: Images predicted in each class, shape (n_classes,).
        shares: ``counts / n_images``.
        n_covered: Classes whose share is at least ``threshold``.
        n_classes: Number of classes (10).
        threshold: Share a class needs to count as covered.
        kl_to_uniform: ``KL(shares || uniform)`` in nats, from 0 (balanced)
            to ``log(n_classes)`` (a single class).
        confidence_score: ``exp(E_x[KL(p(y|x) || p(y))])``, from 1 to
            ``n_classes`` (the "Inception score" on this domain).
        n_images: Number of images.
    """

    counts: np.ndarray
    shares: np.ndarray
    n_covered: int
    n_classes: int
    threshold: float
    kl_to_uniform: float
    confidence_score: float
    n_images: int

    def __repr__(self) -> str:
        return (
            f"ClassCoverage({self.n_covered}/{self.n_classes} classes covered "
            f"(share >= {self.threshold:.1%}), kl_to_uniform="
            f"{self.kl_to_uniform:.4f} nats, confidence_score="
            f"{self.confidence_score:.3f}, n_images={self.n_images})"
        )

    def __str__(self) -> str:
        from course_utils.data import CLASS_NAMES

        names = (
            CLASS_NAMES
            if self.n_classes == len(CLASS_NAMES)
            else [f"class {i}" for i in range(self.n_classes)]
        )
        width = max(len(name) for name in names)
        lines = [repr(self)]
        for name, count, share in zip(names, self.counts, self.shares, strict=True):
            mark = "" if share >= self.threshold else "  (not covered)"
            bar = "#" * int(round(share * 50))
            lines.append(f"  {name:<{width}} {count:6d} {share:6.1%} {bar}{mark}")
        return "\n".join(lines)


def class_coverage_from_probabilities(
    probabilities: Any, *, threshold: float = 0.03
) -> ClassCoverage:
    """Class histogram, classes covered, KL to uniform and confidence score.

    With ``p(y|x)`` the classifier's probabilities, ``y(x)`` its predicted
    class and ``p(y) = E_x[p(y|x)]``::

        shares_c         = share of images with y(x) = c
        n_covered        = number of classes c with shares_c >= threshold
        kl_to_uniform    = sum_c shares_c log(shares_c * C)       (0 log 0 = 0)
        confidence_score = exp(E_x[sum_c p(c|x) log(p(c|x) / p(c))])

    The confidence score is the Inception score of Salimans et al. (2016)
    computed with the domain classifier: it is high (up to C) when each image
    is confidently one class and the classes are balanced.

    The default threshold, 3% (30% of a fair share of 10%), sits above the
    1-2% that a good classifier leaks to other classes on a set of one
    distinct real class (trousers, sandals, sneakers, bags), so such a set
    counts as 1 class, while a class that a generator produces half as often
    as it should still counts. The look-alike tops leak more (a set of real
    shirts is partly read as T-shirts, pullovers and coats, so it covers
    about 4 classes): compare with real images, not with the ideal.

    Args:
        probabilities: Array (N, C) of class probabilities, rows summing to
            1 (within 1e-3).
        threshold: Share a class needs to count as covered, in (0, 1].

    Returns:
        A :class:`ClassCoverage`.

    Raises:
        TypeError: If ``probabilities`` is not numeric.
        ValueError: If it is not (N, C) with N >= 1 and C >= 2, holds values
            outside [0, 1] or rows that do not sum to 1, or if ``threshold``
            is not in (0, 1].

    Example:
        >>> coverage = class_coverage_from_probabilities(np.eye(4)[[0, 0, 1, 2]])
        >>> coverage.n_covered, coverage.counts.tolist()
        (3, [2, 1, 1, 0])
    """
    array = _as_numeric_array(probabilities, "probabilities")
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < 2:
        raise ValueError(
            "probabilities must be a 2-D (N, C) array with one row of class "
            f"probabilities per image, N >= 1 and C >= 2; got shape {array.shape}."
        )
    finite_array(array, "probabilities")
    array = array.astype(np.float64)
    if array.min() < 0.0 or array.max() > 1.0 + 1e-6:
        raise ValueError(
            "probabilities must lie in [0, 1]; got values from "
            f"{array.min():.4g} to {array.max():.4g}."
        )
    sums = array.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > 1e-3:
        raise ValueError(
            "each row of probabilities must sum to 1 (softmax outputs); got row "
            f"sums from {sums.min():.4g} to {sums.max():.4g}."
        )
    threshold = number("threshold", threshold, low=0, high=1, low_open=True)
    n_images, n_classes = array.shape
    counts = np.bincount(array.argmax(axis=1), minlength=n_classes)
    shares = counts / n_images
    nonzero = shares > 0
    kl_to_uniform = float(np.sum(shares[nonzero] * np.log(shares[nonzero] * n_classes)))
    tiny = np.finfo(np.float64).tiny
    marginal = array.mean(axis=0)
    pointwise = array * (
        np.log(np.maximum(array, tiny)) - np.log(np.maximum(marginal, tiny))
    )
    confidence_score = float(np.exp(np.mean(pointwise.sum(axis=1))))
    counts.setflags(write=False)
    shares.setflags(write=False)
    return ClassCoverage(
        counts=counts,
        shares=shares,
        n_covered=int(np.count_nonzero(shares >= threshold)),
        n_classes=int(n_classes),
        threshold=float(threshold),
        kl_to_uniform=max(kl_to_uniform, 0.0),
        confidence_score=confidence_score,
        n_images=int(n_images),
    )


# -- image-level metrics ------------------------------------------------------


def _resolve_classifier(classifier: Any):
    """Return ``classifier``, or the domain classifier of the current mode."""
    if classifier is None:
        from course_utils.models import classifier as classifier_module

        return classifier_module.domain_classifier()
    missing = [
        method
        for method in ("embed", "predict_proba")
        if not callable(getattr(classifier, method, None))
    ]
    if missing:
        raise TypeError(
            "classifier must be None (the course's domain classifier) or an object "
            "with embed(images, value_range) and predict_proba(images, value_range) "
            f"methods, like a DomainClassifier; got {type(classifier).__name__} "
            f"without {', '.join(missing)}."
        )
    return classifier


def _prepare(images: Any, value_range: str, name: str) -> np.ndarray:
    from course_utils.models import classifier as classifier_module

    return classifier_module.prepare_images(images, value_range, name=name)


def _check_count_of(images: np.ndarray, name: str, minimum: int, why: str) -> None:
    if len(images) < minimum:
        raise ValueError(
            f"{name} must hold at least {minimum} images {why}; got {len(images)}."
        )


def frechet_distance(
    real: Any, fake: Any, *, value_range: str = "[0,1]", classifier: Any = None
) -> float:
    """Frechet distance between real and generated images (FID on this domain).

    Both sets are embedded with the domain classifier (its penultimate
    layer) and compared with :func:`frechet_distance_from_features`:
    ``|m_r - m_f|^2 + tr(S_r) + tr(S_f) - 2 tr((S_r^1/2 S_f S_r^1/2)^1/2)``.
    Lower is better; 0 for identical sets. It grows with both poor quality
    and poor diversity, and is biased upwards for small sets: compare scores
    computed on the same numbers of images (thousands for stable numbers)
    and the same classifier.

    Args:
        real: Real images, float (N, 28, 28) or (N, 28, 28, 1), N >= 2.
        fake: Generated images, same form, N >= 2.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range of both sets.
        classifier: A :class:`~course_utils.models.classifier.DomainClassifier`
            (or an object with the same ``embed`` method); None uses
            :func:`~course_utils.models.classifier.domain_classifier`, the
            shipped checkpoint.

    Returns:
        The distance, a float >= 0.

    Raises:
        TypeError: If the images are not float arrays (e.g. uint8).
        ValueError: For a wrong shape, values outside ``value_range``, or
            fewer than 2 images in a set.

    Example:
        >>> data = cu.data.load_fashion_mnist()  # doctest: +SKIP
        >>> frechet_distance(data.x_test[:2000], data.x_train[:2000])  # doctest: +SKIP
        0.41
    """
    real = _prepare(real, value_range, "real")
    fake = _prepare(fake, value_range, "fake")
    for name, images in (("real", real), ("fake", fake)):
        _check_count_of(images, name, 2, "to estimate a covariance")
    classifier = _resolve_classifier(classifier)
    return frechet_distance_from_features(
        classifier.embed(real, value_range="[0,1]"),
        classifier.embed(fake, value_range="[0,1]"),
    )


def kernel_distance(
    real: Any,
    fake: Any,
    *,
    n_subsets: int = 10,
    subset_size: int = _KID_DEFAULT_SUBSET_SIZE,
    value_range: str = "[0,1]",
    classifier: Any = None,
    seed: int | None = 0,
) -> KernelDistance:
    """Kernel distance (KID) between real and generated images.

    Both sets are embedded with the domain classifier and compared with
    :func:`kernel_distance_from_features`: the unbiased MMD^2 with the
    kernel ``k(x, y) = (x . y / d + 1)^3``, averaged over ``n_subsets``
    random subsets of ``subset_size`` images from each set. About 0 for two
    samples of one distribution, whatever their size; lower is better.

    Args:
        real: Real images, float (N, 28, 28) or (N, 28, 28, 1).
        fake: Generated images, same form.
        n_subsets: Number of subsets (>= 1).
        subset_size: Images per subset (>= 2, at most the smaller set).
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range of both sets.
        classifier: As in :func:`frechet_distance`.
        seed: Seed of the subset draws.

    Returns:
        A :class:`KernelDistance` (``mean, std = ...`` unpacks it).

    Raises:
        TypeError: If the images are not float arrays.
        ValueError: For a wrong shape, values outside ``value_range``, or a
            ``subset_size`` larger than a set.

    Example:
        >>> kernel_distance(real, fake, subset_size=500)  # doctest: +SKIP
        KernelDistance(mean=0.012300, std=0.000800, n_subsets=10, subset_size=500)
    """
    real = _prepare(real, value_range, "real")
    fake = _prepare(fake, value_range, "fake")
    size = integer("subset_size", subset_size)
    for name, images in (("real", real), ("fake", fake)):
        _check_count_of(images, name, size, f"(subset_size={size})")
    classifier = _resolve_classifier(classifier)
    return kernel_distance_from_features(
        classifier.embed(real, value_range="[0,1]"),
        classifier.embed(fake, value_range="[0,1]"),
        n_subsets=n_subsets,
        subset_size=size,
        seed=seed,
    )


def precision_recall(
    real: Any,
    fake: Any,
    *,
    k: int = 3,
    value_range: str = "[0,1]",
    classifier: Any = None,
    batch_rows: int = _DISTANCE_BATCH_ROWS,
) -> PrecisionRecall:
    """Improved precision and recall of generated images.

    Both sets are embedded with the domain classifier and compared with
    :func:`precision_recall_from_features` (Kynkaanniemi et al., 2019):
    precision = share of fakes inside the real k-NN manifold (quality),
    recall = share of reals inside the fake k-NN manifold (diversity).

    Args:
        real: Real images, float (N, 28, 28) or (N, 28, 28, 1), N > k.
        fake: Generated images, same form, N > k.
        k: The neighbour that sets the radii (>= 1).
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range of both sets.
        classifier: As in :func:`frechet_distance`.
        batch_rows: Rows of the distance matrix held in memory at once.

    Returns:
        A :class:`PrecisionRecall` (``precision, recall = ...`` unpacks it).

    Raises:
        TypeError: If the images are not float arrays.
        ValueError: For a wrong shape, values outside ``value_range``, or a
            set of ``k`` images or fewer.

    Example:
        >>> precision_recall(real, fake)  # doctest: +SKIP
        PrecisionRecall(precision=0.7300, recall=0.4100, k=3)
    """
    real = _prepare(real, value_range, "real")
    fake = _prepare(fake, value_range, "fake")
    k = integer("k", k)
    for name, images in (("real", real), ("fake", fake)):
        _check_count_of(images, name, k + 1, f"(more than k={k})")
    classifier = _resolve_classifier(classifier)
    return precision_recall_from_features(
        classifier.embed(real, value_range="[0,1]"),
        classifier.embed(fake, value_range="[0,1]"),
        k=k,
        batch_rows=batch_rows,
    )


def class_coverage(
    images: Any,
    *,
    value_range: str = "[0,1]",
    classifier: Any = None,
    threshold: float = 0.03,
) -> ClassCoverage:
    """Which classes generated images fall into (mode collapse in numbers).

    The domain classifier predicts a class for every image; see
    :func:`class_coverage_from_probabilities` for the numbers returned (class
    histogram, classes covered, KL to uniform, confidence score). A
    collapsed generator covers few classes and has a large KL to uniform.

    Args:
        images: Float (N, 28, 28) or (N, 28, 28, 1), N >= 1.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``.
        classifier: As in :func:`frechet_distance` (needs ``predict_proba``).
        threshold: Share a class needs to count as covered (default 3%).

    Returns:
        A :class:`ClassCoverage`; ``print`` it for a per-class table.

    Raises:
        TypeError: If the images are not float arrays.
        ValueError: For a wrong shape, values outside ``value_range`` or a
            threshold outside (0, 1].

    Example:
        >>> class_coverage(gan.generate(1000), value_range="[-1,1]")  # doctest: +SKIP
        ClassCoverage(7/10 classes covered (share >= 3.0%), kl_to_uniform=0.4100
        nats, confidence_score=5.210, n_images=1000)
    """
    images = _prepare(images, value_range, "images")
    classifier = _resolve_classifier(classifier)
    return class_coverage_from_probabilities(
        classifier.predict_proba(images, value_range="[0,1]"), threshold=threshold
    )


#: Keys of the dict returned by :func:`score_images`, in table order.
SCORE_NAMES = (
    "FID",
    "KID",
    "KID std",
    "precision",
    "recall",
    "classes covered",
    "KL to uniform",
    "confidence score",
)


def score_images(
    real: Any,
    fake: Any,
    *,
    value_range: str = "[0,1]",
    classifier: Any = None,
    k: int = 3,
    n_subsets: int = 10,
    subset_size: int | None = None,
    threshold: float = 0.03,
    seed: int | None = 0,
) -> dict[str, float]:
    """Every evaluation metric at once, embedding each set only once.

    Args:
        real: Real images, float (N, 28, 28) or (N, 28, 28, 1), N > k.
        fake: Generated (or degraded) images, same form, N > k.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range of both sets.
        classifier: As in :func:`frechet_distance`.
        k: Neighbour of :func:`precision_recall`.
        n_subsets: Subsets of :func:`kernel_distance`.
        subset_size: Subset size of :func:`kernel_distance`; None uses
            ``min(1000, min(N_real, N_fake) // 2)`` (at least 2), so that
            the subsets differ and the standard deviation means something.
        threshold: Threshold of :func:`class_coverage` (for ``fake``).
        seed: Seed of the KID subsets.

    Returns:
        A dict with the keys of :data:`SCORE_NAMES`: ``FID``, ``KID``, ``KID
        std``, ``precision``, ``recall``, and the coverage of ``fake``:
        ``classes covered``, ``KL to uniform``, ``confidence score``.

    Raises:
        TypeError, ValueError: As the single metrics.

    Example:
        >>> score_images(data.x_test[:1000], data.x_train[:1000])  # doctest: +SKIP
        {'FID': 0.52, 'KID': 0.0001, ...}
    """
    real = _prepare(real, value_range, "real")
    fake = _prepare(fake, value_range, "fake")
    k = integer("k", k)
    for name, images in (("real", real), ("fake", fake)):
        _check_count_of(images, name, max(k + 1, 2), f"(more than k={k})")
    if subset_size is None:
        half = min(len(real), len(fake)) // 2
        subset_size = max(2, min(_KID_DEFAULT_SUBSET_SIZE, half))
    classifier = _resolve_classifier(classifier)
    real_features = classifier.embed(real, value_range="[0,1]")
    fake_features = classifier.embed(fake, value_range="[0,1]")
    kid = kernel_distance_from_features(
        real_features,
        fake_features,
        n_subsets=n_subsets,
        subset_size=subset_size,
        seed=seed,
    )
    precision, recall = precision_recall_from_features(
        real_features, fake_features, k=k
    )
    coverage = class_coverage_from_probabilities(
        classifier.predict_proba(fake, value_range="[0,1]"), threshold=threshold
    )
    return {
        "FID": frechet_distance_from_features(real_features, fake_features),
        "KID": kid.mean,
        "KID std": kid.std,
        "precision": precision,
        "recall": recall,
        "classes covered": coverage.n_covered,
        "KL to uniform": coverage.kl_to_uniform,
        "confidence score": coverage.confidence_score,
    }


# -- reference points ---------------------------------------------------------


def blur_images(images: Any, sigma: float = 1.0) -> np.ndarray:
    """Blur images with a Gaussian filter (NumPy only, reflected borders).

    A separable filter: each row, then each column, is convolved with the
    normalised kernel ``w_t ~ exp(-t^2 / (2 sigma^2))`` for
    ``|t| <= ceil(3 sigma)``. Pixel values stay within the input's range.

    Args:
        images: Float array (N, H, W) or (N, H, W, C).
        sigma: Standard deviation of the filter in pixels (>= 0; 0 copies).

    Returns:
        A float32 array of the same shape.

    Raises:
        TypeError: If ``images`` is not numeric or ``sigma`` not a number.
        ValueError: If ``images`` is not 3-D or 4-D or ``sigma`` is negative
            or too large for the images.

    Example:
        >>> image = np.zeros((1, 9, 9)); image[0, 4, 4] = 1.0
        >>> blurred = blur_images(image, sigma=1.0)
        >>> round(float(blurred.sum()), 4), round(float(blurred[0, 4, 4]), 4)
        (1.0, 0.1592)
    """
    array = _as_numeric_array(images, "images")
    if array.ndim not in (3, 4) or array.size == 0:
        raise ValueError(
            "images must be a non-empty (N, H, W) or (N, H, W, C) array; got shape "
            f"{array.shape}."
        )
    finite_array(array, "images")
    sigma = number("sigma", sigma, low=0)
    array = array.astype(np.float64)
    if sigma == 0:
        return array.astype(np.float32)
    radius = int(math.ceil(3.0 * sigma))
    if radius >= min(array.shape[1], array.shape[2]):
        raise ValueError(
            f"sigma={sigma} needs a filter radius of {radius} pixels, which must be "
            f"smaller than the images ({array.shape[1]} x {array.shape[2]})."
        )
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-(offsets**2) / (2.0 * sigma**2))
    weights /= weights.sum()
    for axis in (1, 2):
        pad = [(0, 0)] * array.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(array, pad, mode="reflect")
        size = array.shape[axis]
        result = np.zeros_like(array)
        for index, weight in enumerate(weights):
            result += weight * np.take(
                padded, np.arange(index, index + size), axis=axis
            )
        array = result
    return array.astype(np.float32)


def _format_value(name: str, value: Any) -> str:
    if value is None or (is_number(value) and math.isnan(value)):
        return "-"
    if not is_number(value):
        return str(value)
    if is_integer(value):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    formats = {
        "recon. MSE": ".5f",
        "KID": ".5f",
        "KID std": ".5f",
        "precision": ".3f",
        "recall": ".3f",
        "confidence score": ".2f",
        "train time (s)": ".1f",
        "images/s": ",.0f",
    }
    if name in formats:
        return format(value, formats[name])
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}" if magnitude >= 10_000 else f"{value:.1f}"
    if magnitude >= 0.01 or magnitude == 0:
        return f"{value:.3f}"
    return f"{value:.3g}"


def format_score_table(
    scores: Any,
    *,
    columns: Any = None,
    markdown: bool = False,
    row_header: str = "images",
) -> str:
    """Lay out a ``{row: {column: value}}`` dict as a text or markdown table.

    Args:
        scores: Mapping from row names to mappings of column names to values
            (e.g. the result of :func:`reference_scores`).
        columns: Column names, in order; None uses every column found, in
            first-seen order. Missing values are shown as ``-``.
        markdown: A GitHub markdown table instead of aligned plain text.
        row_header: Header of the first column.

    Returns:
        The table as one string (no trailing newline).

    Raises:
        TypeError: If ``scores`` is not a mapping of mappings.

    Example:
        >>> print(format_score_table({"a": {"FID": 1.5, "recall": 0.25}}))
        images    FID  recall
        a       1.500   0.250
    """
    from collections.abc import Mapping

    if not isinstance(scores, Mapping) or not all(
        isinstance(row, Mapping) for row in scores.values()
    ):
        raise TypeError(
            "scores must be a mapping {row name: {column name: value}}; got "
            f"{type(scores).__name__}."
        )
    if columns is None:
        columns = []
        for row in scores.values():
            columns += [name for name in row if name not in columns]
    columns = list(columns)
    header = [row_header, *columns]
    body = [
        [str(row_name), *(_format_value(c, row.get(c)) for c in columns)]
        for row_name, row in scores.items()
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join([":---"] + ["---:"] * len(columns)) + "|")
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for cells in [header, *body]:
        first = cells[0].ljust(widths[0])
        rest = [
            cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join([first, *rest]).rstrip())
    return "\n".join(lines)


def reference_scores(
    n: int | None = None,
    *,
    value_range: str = "[0,1]",
    classifier: Any = None,
    seed: int = 0,
    verbose: bool = True,
) -> dict[str, dict[str, float]]:
    """Scores of known image sets against real test images, to read the scale.

    The reference set is the first ``n`` Fashion-MNIST test images; each row
    scores ``n`` other images against it with :func:`score_images`:

    - ``real (training images)``: real images, the floor of every score;
    - ``one class (Trouser)``: real images of a single class (mode collapse:
      recall and coverage drop, precision stays high);
    - ``blurred, sigma=1`` and ``blurred, sigma=2``: real images through
      :func:`blur_images`;
    - ``PCA, 50 components`` and ``PCA, 10 components``: real images
      reconstructed from a few principal components (:func:`fit_pca` on
      10,000 training images), clipped to the range;
    - ``Gaussian noise``: independent pixels drawn from a Gaussian with the
      training pixels' mean and standard deviation, clipped.

    The candidates are all made from training images, disjoint from the
    reference set. Scores depend on ``n`` (the FID especially) and on the
    classifier: compare your models with rows computed the same way.

    Args:
        n: Images per set, 10 to 5,000 (None: 5,000 in full mode, 1,000 in
            fast mode).
        value_range: Range in which the images are made and passed; the
            scores do not depend on it (the classifier maps both to [0, 1]).
        classifier: As in :func:`frechet_distance`.
        seed: Seed of the noise and of the KID subsets.
        verbose: Print the table (:func:`format_score_table`).

    Returns:
        ``{row name: {score name: value}}`` with the keys of
        :data:`SCORE_NAMES`.

    Raises:
        ValueError: If ``n`` or ``value_range`` is out of range.

    Example:
        >>> scores = reference_scores(2_000)  # doctest: +SKIP
        >>> floor = scores["real (training images)"]["FID"]  # doctest: +SKIP
        >>> floor < scores["blurred, sigma=1"]["FID"]  # doctest: +SKIP
        True
    """
    from course_utils import config, data
    from course_utils.models import classifier as classifier_module

    classifier_module.check_value_range(value_range)
    if n is None:
        n = 1_000 if config.read_fast_mode() else 5_000
    n = integer("n", n)
    if not 10 <= n <= 5_000:
        raise ValueError(f"n must be between 10 and 5,000; got {n}.")
    dataset = data.load_fashion_mnist(value_range="[0,1]")
    reference = dataset.x_test[:n]
    train, labels = dataset.x_train, dataset.y_train
    candidates = train[:n]
    trouser = data.CLASS_NAMES.index("Trouser")
    pca = fit_pca(train[:10_000], 50)
    rng = np.random.default_rng(seed)
    pixels = train[:10_000]
    noise = rng.normal(float(pixels.mean()), float(pixels.std()), size=candidates.shape)

    def truncated_pca(n_components: int) -> np.ndarray:
        codes = pca.transform(candidates)[:, :n_components]
        flat = codes @ pca.components[:n_components] + pca.mean
        return flat.reshape(candidates.shape)

    rows = {
        "real (training images)": candidates,
        "one class (Trouser)": train[labels == trouser][:n],
        "blurred, sigma=1": blur_images(candidates, 1.0),
        "blurred, sigma=2": blur_images(candidates, 2.0),
        "PCA, 50 components": truncated_pca(50),
        "PCA, 10 components": truncated_pca(10),
        "Gaussian noise": noise,
    }
    classifier = _resolve_classifier(classifier)

    def to_range(images: np.ndarray) -> np.ndarray:
        images = np.clip(images, 0.0, 1.0).astype(np.float32)
        return images if value_range == "[0,1]" else images * 2.0 - 1.0

    scores = {
        name: score_images(
            to_range(reference),
            to_range(images),
            value_range=value_range,
            classifier=classifier,
            seed=seed,
        )
        for name, images in rows.items()
    }
    if verbose:
        print(
            f"Scores against {n:,} real test images ({n:,} images per row, "
            f"KID subsets of {min(n // 2, _KID_DEFAULT_SUBSET_SIZE):,}):"
        )
        print(format_score_table(scores, row_header="images compared"))
    return scores


__all__ += [
    "SCORE_NAMES",
    "ClassCoverage",
    "KernelDistance",
    "PrecisionRecall",
    "RingCoverage",
    "blur_images",
    "class_coverage",
    "class_coverage_from_probabilities",
    "format_score_table",
    "frechet_distance",
    "frechet_distance_from_features",
    "frechet_distance_from_statistics",
    "kernel_distance",
    "kernel_distance_from_features",
    "precision_recall",
    "precision_recall_from_features",
    "reference_scores",
    "ring_mode_coverage",
    "score_images",
]
