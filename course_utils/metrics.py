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


def _check_finite(array: np.ndarray, name: str) -> None:
    """Raise a ValueError naming ``name`` if ``array`` holds NaN or infinity."""
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        count = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} must contain only finite values; got {count} NaN or infinite "
            f"value(s) in an array of shape {array.shape}."
        )


def _check_integer(value: Any, name: str) -> int:
    """Return ``value`` as an int, or raise a TypeError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be an int; got {value!r} of type {type(value).__name__}."
        )
    return int(value)


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
    _check_finite(array, name)
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
    _check_finite(array, name)
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
        _check_finite(array, "codes")
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
    n_components = _check_integer(n_components, "n_components")
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
        _check_finite(array, name)
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
    _check_finite(score_array, "scores")
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
