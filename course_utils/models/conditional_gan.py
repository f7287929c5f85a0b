"""Class-conditional GANs: ``ConditionalGAN``, the AC-GAN and their builders.

Two class-conditional models train on ``(images, labels)`` and generate
images of a requested class: :class:`ConditionalGAN` (both players are given
the label) and :class:`AuxiliaryClassifierGAN` (the AC-GAN: only the
generator is given the label; the discriminator has a second head that
predicts the class, trained with :func:`acgan_discriminator_loss`, and the
generator also tries to make its fakes classified as their label,
:func:`acgan_generator_loss`).

Both are :class:`~course_utils.models.gan.GAN` subclasses: the same two-phase
training step and options, with the fakes of each step generated for the
labels of the real batch. The builders make dense or DCGAN players
(``CONDITIONAL_ARCHITECTURES``); the generator keeps its label embedding
(``LABEL_EMBEDDING``) apart from the model that draws the images
(``SYNTHESIS``), so that mixed label embeddings interpolate between classes.
Taught in ``notebooks/09_conditional_gans.ipynb``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils._arguments import (
    class_labels,
    finite_array,
    integer,
    number,
    numpy_rng,
    optional_seed,
    positive_int,
)
from course_utils.models.gan import (
    GAN,
    _bce_with_logits,
    _image_shape,
)

CONDITIONAL_ARCHITECTURES = ("dcgan", "dense")
# Layer names of a conditional generator: the label embedding and the nested
# model that draws images from [codes, label vectors].
LABEL_EMBEDDING = "label_embedding"
SYNTHESIS = "synthesis"


class _LabelledGeneration:
    """What the class-conditional models share: G maps [codes, labels] to images.

    ``fit`` takes ``(images, labels)`` batches and the fakes of each step are
    generated for the labels of the real batch. Mixed into
    :class:`~course_utils.models.gan.GAN` subclasses that set ``n_classes``
    before calling ``GAN.__init__``.
    """

    def _check_two_inputs(self, name: str, part: keras.Model, first: str) -> None:
        if len(part.inputs) != 2:
            raise ValueError(
                f"the {name} of a {type(self).__name__} must take two inputs "
                f"[{first}, labels]; it takes {len(part.inputs)}"
            )

    def _split_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                f"a {type(self).__name__} trains on (images, labels) batches: "
                "call fit(images, labels)"
            )
        return data[0], ops.cast(data[1], "int32")

    def _check_fit_labels(self, labels, n_images: int) -> None:
        if labels is None:
            raise ValueError(
                f"a {type(self).__name__} trains on (images, labels): call "
                "fit(images, labels) or pass a dataset of (images, labels) batches"
            )
        class_labels("y", labels, self.n_classes, n=n_images)

    def _generate(self, batch_size, condition, training):
        noise = keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )
        labels = ops.convert_to_tensor(condition, "int32")
        return self.generator([noise, labels], training=training)

    def generate(self, n: int, seed: int | None = None, batch_size: int = 256):
        """Generate ``n`` images of random classes; returns (images, labels).

        Args:
            n: Number of images (>= 1).
            seed: Seed of the labels and codes (0 to 2**32 - 1); None draws
                them from NumPy's global state, so ``cu.setup(seed)`` repeats.
            batch_size: Prediction batch size.

        Example:
            >>> images, labels = cgan.generate(8, seed=0)  # doctest: +SKIP
            >>> images.shape, labels.shape  # doctest: +SKIP
            ((8, 28, 28), (8,))
        """
        n = positive_int("n", n)
        seed = optional_seed(seed)
        labels = numpy_rng(seed).integers(0, self.n_classes, n)
        return self.generate_for_labels(
            labels, seed=seed, batch_size=batch_size
        ), labels

    def generate_for_labels(
        self, labels, seed: int | None = None, batch_size: int = 256
    ):
        """Generate one image per requested label.

        Args:
            labels: 1-D integer class indices in ``[0, n_classes)``.
            seed: Seed of the codes (0 to 2**32 - 1); None draws it from
                NumPy's global state, so ``cu.setup(seed)`` repeats.
            batch_size: Prediction batch size.

        Raises:
            TypeError: If the labels are not integers.
            ValueError: If they are not 1-D (one-hot: use
                ``labels.argmax(axis=1)``) or out of range.

        Example:
            >>> cgan.generate_for_labels([0, 0, 7]).shape  # doctest: +SKIP
            (3, 28, 28)
        """
        labels = class_labels("labels", labels, self.n_classes)
        batch_size = positive_int("batch_size", batch_size)
        codes = numpy_rng(seed).standard_normal((len(labels), self.latent_dim))
        return self.generator.predict(
            [codes.astype(np.float32), labels],
            batch_size=batch_size,
            verbose=0,
        )

    def generate_for_label_weights(
        self, weights, codes=None, seed: int | None = None, batch_size: int = 256
    ):
        """Generate images from mixtures of label embeddings (class interpolation).

        Row i of ``weights`` mixes the classes' embedding vectors: the
        generator's "synthesis" part receives ``weights[i] @ E`` (E: the
        "label_embedding" matrix) instead of the row of one class. A one-hot
        row gives an ordinary label; ``(1 - a, a)`` on two classes
        interpolates between them.

        Args:
            weights: Array (N, n_classes) of finite mixing weights.
            codes: Array (N, latent_dim) of codes, or None to draw them from
                the standard normal with ``seed``.
            seed: Seed of the codes when ``codes`` is None.
            batch_size: Prediction batch size.

        Returns:
            Images, shape (N, *image_shape).

        Raises:
            ValueError: If the shapes do not match, a value is not finite, or
                the generator has no "label_embedding" layer and "synthesis"
                sub-model (build it with :func:`build_conditional_generator`).

        Example:
            >>> weights = np.zeros((5, 10)); weights[:, 7] = np.linspace(1, 0, 5)
            >>> weights[:, 9] = 1 - weights[:, 7]
            >>> cgan.generate_for_label_weights(weights).shape  # doctest: +SKIP
            (5, 28, 28)
        """
        try:
            embedding = self.generator.get_layer(LABEL_EMBEDDING)
            synthesis = self.generator.get_layer(SYNTHESIS)
        except ValueError:
            raise ValueError(
                f"generate_for_label_weights needs a generator with a "
                f"{LABEL_EMBEDDING!r} layer and a {SYNTHESIS!r} sub-model, as "
                f"build_conditional_generator makes; this one has neither"
            ) from None
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != self.n_classes or not len(weights):
            raise ValueError(
                f"weights must have shape (N, {self.n_classes}) with N >= 1; "
                f"got {weights.shape}"
            )
        finite_array(weights, "weights")
        if codes is None:
            codes = numpy_rng(seed).standard_normal((len(weights), self.latent_dim))
        codes = np.asarray(codes, dtype=np.float32)
        finite_array(codes, "codes")
        if codes.shape != (len(weights), self.latent_dim):
            raise ValueError(
                f"codes must have shape ({len(weights)}, {self.latent_dim}), one "
                f"code per row of weights; got {codes.shape}"
            )
        vectors = weights @ np.asarray(embedding.embeddings)
        batch_size = positive_int("batch_size", batch_size)
        # Called in chunks rather than with predict(), which retraces its
        # function for every new call from a loop.
        return np.concatenate(
            [
                np.asarray(
                    synthesis(
                        [codes[i : i + batch_size], vectors[i : i + batch_size]],
                        training=False,
                    )
                )
                for i in range(0, len(codes), batch_size)
            ]
        )

    def generate_class(self, label: int, n: int, seed: int | None = None):
        """Generate ``n`` images of one class.

        Args:
            label: The class, an integer in ``[0, n_classes)``.
            n: Number of images (>= 1).
            seed: Seed of the codes, or None to follow ``cu.setup(seed)``.

        Example:
            >>> cgan.generate_class(3, n=4).shape  # doctest: +SKIP
            (4, 28, 28)
        """
        label = integer("label", label, minimum=0, maximum=self.n_classes - 1)
        return self.generate_for_labels(np.full(positive_int("n", n), label), seed)


@keras.saving.register_keras_serializable(package="course_utils")
class ConditionalGAN(_LabelledGeneration, GAN):
    """A class-conditional GAN: both players also see the class label.

    The generator maps ``[codes, labels]`` to images and the discriminator
    ``[images, labels]`` to a logit; ``fit`` takes ``(images, labels)``
    batches, and fakes are generated for the labels of the real batch, so
    that D must judge whether an image is a real example *of that class*.
    Experience replay is not available (old fakes have no labels).

    Args:
        generator: Model with inputs ``[codes (batch, latent_dim), labels
            (batch,)]``.
        discriminator: Model with inputs ``[images, labels]`` and one logit.
        n_classes: Number of classes.
        **kwargs: The options of :class:`~course_utils.models.gan.GAN`.

    Example:
        >>> cgan = build_conditional_gan(latent_dim=64)
        >>> cgan.generate_class(3, n=4).shape  # doctest: +SKIP
        (4, 28, 28)
    """

    def __init__(self, generator, discriminator, n_classes: int = 10, **kwargs):
        if kwargs.get("replay_size"):
            raise ValueError("replay_size must be 0 for a ConditionalGAN")
        self.n_classes = positive_int("n_classes", n_classes)
        super().__init__(generator, discriminator, **kwargs)

    def _check_parts(self) -> int:
        self._check_two_inputs("generator", self.generator, "codes")
        self._check_two_inputs("discriminator", self.discriminator, "images")
        return super()._check_parts()

    def _discriminate(self, images, condition, training, model=None):
        model = self.discriminator if model is None else model
        return model([images, condition], training=training)

    def get_config(self):
        config = super().get_config()
        config["n_classes"] = self.n_classes
        return config


# -- the auxiliary-classifier GAN ---------------------------------------------


def _sparse_cross_entropy(labels, class_logits):
    """Mean softmax cross-entropy of integer ``labels`` under ``class_logits``."""
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    return ops.mean(
        ops.sparse_categorical_crossentropy(labels, class_logits, from_logits=True)
    )


def acgan_discriminator_loss(
    real_logits,
    real_class_logits,
    fake_logits,
    fake_class_logits,
    labels,
    *,
    label_smoothing: float = 0.0,
):
    """The AC-GAN discriminator's loss: real/fake BCE plus class cross-entropy.

    The adversarial part is the mean of the binary cross-entropies (from
    logits) of the real batch against ``1 - label_smoothing`` and of the fake
    batch against 0. The class part is the mean of the softmax
    cross-entropies (from logits) of the class head on the real batch and on
    the fake batch, both against ``labels`` (the fakes are generated for the
    labels of the real batch). D minimises their sum.

    Args:
        real_logits: D's real/fake logits on the real batch, (batch, 1).
        real_class_logits: D's class logits on the real batch,
            (batch, n_classes).
        fake_logits: D's real/fake logits on the fakes, (batch, 1).
        fake_class_logits: D's class logits on the fakes, (batch, n_classes).
        labels: The integer labels of the real batch (and of the fakes),
            (batch,).
        label_smoothing: One-sided label smoothing of the real target.

    Returns:
        The loss, a scalar tensor.

    Example:
        >>> zeros = np.zeros((2, 1), "float32")
        >>> class_zeros = np.zeros((2, 10), "float32")
        >>> loss = acgan_discriminator_loss(
        ...     zeros, class_zeros, zeros, class_zeros, np.array([0, 3]))
        >>> round(float(loss), 4)  # log 2 + log 10
        2.9957
    """
    label_smoothing = number(
        "label_smoothing", label_smoothing, low=0, high=1, high_open=True
    )
    real_target = 1.0 - label_smoothing
    real_loss = ops.mean(
        _bce_with_logits(ops.full_like(real_logits, real_target), real_logits)
    )
    fake_loss = ops.mean(_bce_with_logits(ops.zeros_like(fake_logits), fake_logits))
    class_loss = (
        _sparse_cross_entropy(labels, real_class_logits)
        + _sparse_cross_entropy(labels, fake_class_logits)
    ) / 2.0
    return (real_loss + fake_loss) / 2.0 + class_loss


def acgan_generator_loss(fake_logits, fake_class_logits, labels):
    """The AC-GAN generator's loss: fool D, and help its classifier.

    The non-saturating adversarial loss ``mean(-log D(G(z, y))) =
    mean(softplus(-fake_logits))`` plus the softmax cross-entropy of D's class
    head on the fakes against the requested ``labels``: the generator
    *cooperates* with the classifier, making each fake easy to recognise as
    its class.

    Args:
        fake_logits: D's real/fake logits on the fakes, (batch, 1).
        fake_class_logits: D's class logits on the fakes, (batch, n_classes).
        labels: The labels the fakes were generated for, (batch,).

    Returns:
        The loss, a scalar tensor.

    Example:
        >>> loss = acgan_generator_loss(
        ...     np.zeros((2, 1), "float32"), np.zeros((2, 10), "float32"),
        ...     np.array([0, 3]))
        >>> round(float(loss), 4)  # log 2 + log 10
        2.9957
    """
    return ops.mean(ops.softplus(-fake_logits)) + _sparse_cross_entropy(
        labels, fake_class_logits
    )


def _class_accuracy(class_logits, labels):
    predicted = ops.cast(ops.argmax(class_logits, axis=-1), "int32")
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    return ops.mean(ops.cast(ops.equal(predicted, labels), "float32"))


def _accepts_keyword(function, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no signature to read: trust the caller
        return True
    return any(
        p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
    )


def _function_name(function) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _batch_shape(shape) -> str:
    return "(batch, " + ", ".join(map(str, shape)) + ")"


# Options of GAN that an AuxiliaryClassifierGAN rejects, with the reason.
_ACGAN_UNSUPPORTED = {
    "replay_size": "old fakes in a replay buffer have no labels",
    "feature_matching": "the generator's loss is generator_loss_fn",
    "unroll_steps": "unrolling is not implemented for the two-headed discriminator",
}
_ACGAN_OPTIONS = "label_smoothing, instance_noise, d_steps and seed"


@keras.saving.register_keras_serializable(package="course_utils")
class AuxiliaryClassifierGAN(_LabelledGeneration, GAN):
    """An auxiliary-classifier GAN (AC-GAN): D also predicts the class.

    The generator maps ``[codes, labels]`` to images, as in a
    :class:`ConditionalGAN`; the discriminator sees only images and has two
    heads, ``[logit (batch, 1), class_logits (batch, n_classes)]``: it is
    *not told* the class, it predicts it. ``fit`` takes ``(images, labels)``
    and the fakes of each step are generated for the labels of the real
    batch. One training step:

    1. Discriminator phase (``d_steps`` times): D is called on the real
       batch and on the fake batch separately (instance noise added to
       each); ``discriminator_loss_fn`` (real/fake BCE plus the class
       cross-entropy on reals and fakes) updates D's weights only.
    2. Generator phase: ``generator_loss_fn`` (fool D and make the fakes
       classified as their requested label) updates G's weights only.

    Args:
        generator: Model with inputs ``[codes (batch, latent_dim), labels
            (batch,)]`` and images out.
        discriminator: Model with one input, the images, and two outputs,
            ``[logit (batch, 1), class_logits (batch, n_classes)]``.
        n_classes: Number of classes (>= 2).
        discriminator_loss_fn: ``f(real_logits, real_class_logits,
            fake_logits, fake_class_logits, labels)`` -> scalar; None for
            :func:`acgan_discriminator_loss`. It is called with
            ``label_smoothing=`` too when label smoothing is on.
        generator_loss_fn: ``f(fake_logits, fake_class_logits, labels)`` ->
            scalar; None for :func:`acgan_generator_loss`.
        **gan_options: ``label_smoothing``, ``instance_noise``, ``d_steps``,
            ``seed`` (see :class:`~course_utils.models.gan.GAN`) and
            ``keras.Model`` arguments; experience replay, feature matching,
            unrolling and the saturating generator loss are not available.

    Metrics tracked: ``d_loss``, ``g_loss``, ``d_accuracy_real``,
    ``d_accuracy_fake``, ``d_class_accuracy_real`` (the class head's accuracy
    on the real batch) and ``g_class_accuracy`` (the share of fakes that the
    class head assigns to their requested label).

    A model with custom loss functions cannot be saved to a ``.keras`` file
    (``get_config`` raises); save its weights with ``save_weights``.

    Example:
        >>> acgan = build_acgan(latent_dim=64)
        >>> acgan.compile(d_optimizer=keras.optimizers.Adam(2e-4),
        ...               g_optimizer=keras.optimizers.Adam(2e-4))
        >>> history = acgan.fit(images, labels, epochs=1)  # doctest: +SKIP
        >>> acgan.generate_class(3, n=4).shape
        (4, 28, 28)
        >>> acgan.classify(acgan.generate_class(3, n=4)).shape
        (4, 10)
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        n_classes: int = 10,
        discriminator_loss_fn=None,
        generator_loss_fn=None,
        **gan_options,
    ):
        n_classes = integer("n_classes", n_classes, minimum=2)
        for option, reason in _ACGAN_UNSUPPORTED.items():
            if gan_options.get(option):
                raise ValueError(
                    f"{option}={gan_options[option]!r} is not available in an "
                    f"AuxiliaryClassifierGAN ({reason}); its options are "
                    f"{_ACGAN_OPTIONS}"
                )
        generator_loss = gan_options.get("generator_loss", "non_saturating")
        if generator_loss != "non_saturating":
            raise ValueError(
                f"generator_loss={generator_loss!r} is not available in an "
                "AuxiliaryClassifierGAN: its generator loss is generator_loss_fn "
                "(by default acgan_generator_loss, non-saturating); pass your own "
                "function as generator_loss_fn to change it"
            )
        for name, function in (
            ("discriminator_loss_fn", discriminator_loss_fn),
            ("generator_loss_fn", generator_loss_fn),
        ):
            if function is not None and not callable(function):
                raise TypeError(
                    f"{name} must be a function or None (the default loss); got "
                    f"{type(function).__name__} {function!r}"
                )
        self.n_classes = int(n_classes)
        super().__init__(generator, discriminator, **gan_options)
        self.discriminator_loss_fn = (
            acgan_discriminator_loss
            if discriminator_loss_fn is None
            else discriminator_loss_fn
        )
        self.generator_loss_fn = (
            acgan_generator_loss if generator_loss_fn is None else generator_loss_fn
        )
        if self.label_smoothing and not _accepts_keyword(
            self.discriminator_loss_fn, "label_smoothing"
        ):
            raise ValueError(
                f"label_smoothing={self.label_smoothing!r} needs a "
                "discriminator_loss_fn that takes a label_smoothing keyword "
                f"argument; {_function_name(self.discriminator_loss_fn)} does not"
            )
        self.d_class_accuracy_real_tracker = keras.metrics.Mean(
            name="d_class_accuracy_real"
        )
        self.g_class_accuracy_tracker = keras.metrics.Mean(name="g_class_accuracy")

    # -- structure ---------------------------------------------------------

    def _check_parts(self) -> int:
        self._check_two_inputs("generator", self.generator, "codes")
        n_inputs = len(self.discriminator.inputs)
        if n_inputs != 1:
            hint = (
                " ([images, labels]): that is a conditional GAN's discriminator. "
                "An AC-GAN's discriminator is not told the class, it predicts it "
                "with a second output head (see build_acgan_discriminator)"
                if n_inputs == 2
                else ""
            )
            raise ValueError(
                "the discriminator of an AuxiliaryClassifierGAN must take one "
                f"input, the images; it takes {n_inputs}{hint}"
            )
        shapes = [tuple(output.shape[1:]) for output in self.discriminator.outputs]
        expected = [(1,), (self.n_classes,)]
        if shapes != expected:
            raise ValueError(
                "the discriminator of an AuxiliaryClassifierGAN must have two "
                "outputs, [logit (batch, 1), class_logits (batch, n_classes="
                f"{self.n_classes})]; it outputs "
                f"[{', '.join(_batch_shape(shape) for shape in shapes)}]"
            )
        return super()._check_parts()

    @property
    def metrics(self):
        return [
            *super().metrics,
            self.d_class_accuracy_real_tracker,
            self.g_class_accuracy_tracker,
        ]

    # -- the two phases ----------------------------------------------------

    def _labels(self, condition):
        if condition is None:
            raise ValueError(
                "an AuxiliaryClassifierGAN needs the labels of the real batch; "
                "got labels=None"
            )
        return ops.convert_to_tensor(condition, "int32")

    def _discriminate(self, images, condition, training, model=None):
        model = self.discriminator if model is None else model
        logits, class_logits = model(images, training=training)
        return logits, class_logits

    def _discriminator_loss(self, real, fakes, condition, model=None):
        """D's loss; returns (loss, (real logits, class logits), (fake ...))."""
        real_outputs = self._discriminate(
            self._add_instance_noise(real), None, True, model
        )
        fake_outputs = self._discriminate(
            self._add_instance_noise(fakes), None, True, model
        )
        options = (
            {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}
        )
        loss = self.discriminator_loss_fn(
            *real_outputs, *fake_outputs, self._labels(condition), **options
        )
        return loss, real_outputs, fake_outputs

    def discriminator_step(self, real, condition=None):
        """One discriminator update on real images and their labels.

        Returns:
            (loss, accuracy on reals, accuracy on fakes, class accuracy on
            reals).
        """
        labels = self._labels(condition)
        fakes = self._generate(ops.shape(real)[0], labels, training=True)
        fakes = ops.stop_gradient(fakes)
        with tf.GradientTape() as tape:
            loss, (real_logits, real_class_logits), (fake_logits, _) = (
                self._discriminator_loss(real, fakes, labels)
            )
        weights = self.discriminator.trainable_weights
        gradients = tape.gradient(loss, weights)
        self.d_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return (
            loss,
            ops.mean(ops.cast(real_logits > 0, "float32")),
            ops.mean(ops.cast(fake_logits < 0, "float32")),
            _class_accuracy(real_class_logits, labels),
        )

    def _generator_loss_and_accuracy(self, fakes, labels):
        fake_logits, fake_class_logits = self._discriminate(
            self._add_instance_noise(fakes), None, True
        )
        loss = self.generator_loss_fn(fake_logits, fake_class_logits, labels)
        return loss, _class_accuracy(fake_class_logits, labels)

    def generator_loss_value(self, real, fakes, condition=None):
        """The generator's loss on fakes made for ``condition`` (the labels)."""
        return self._generator_loss_and_accuracy(fakes, self._labels(condition))[0]

    def _generator_update(self, real, labels):
        weights = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            fakes = self._generate(ops.shape(real)[0], labels, training=True)
            loss, class_accuracy = self._generator_loss_and_accuracy(fakes, labels)
        gradients = tape.gradient(loss, weights)
        self.g_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return loss, class_accuracy

    def generator_step(self, real, condition=None):
        """One generator update through the (frozen) discriminator."""
        return self._generator_update(real, self._labels(condition))[0]

    def train_step(self, data):
        real, labels = self._split_batch(data)
        for _ in range(self.d_steps):
            d_loss, accuracy_real, accuracy_fake, class_accuracy_real = (
                self.discriminator_step(real, labels)
            )
        g_loss, g_class_accuracy = self._generator_update(real, labels)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_accuracy_real_tracker.update_state(accuracy_real)
        self.d_accuracy_fake_tracker.update_state(accuracy_fake)
        self.d_class_accuracy_real_tracker.update_state(class_accuracy_real)
        self.g_class_accuracy_tracker.update_state(g_class_accuracy)
        return {metric.name: metric.result() for metric in self.metrics}

    # -- using a trained model ---------------------------------------------

    def classify(self, images, batch_size: int = 256) -> np.ndarray:
        """The class probabilities that D's class head gives to ``images``.

        Args:
            images: A batch of images, shaped like the generator's output.
            batch_size: Images per forward pass.

        Returns:
            An array (N, n_classes) of probabilities (rows sum to 1).

        Raises:
            TypeError, ValueError: For images of the wrong dtype, shape or
                value range, or holding NaN / infinity (see
                :meth:`check_images`).

        Example:
            >>> acgan.classify(images[:5]).shape  # doctest: +SKIP
            (5, 10)
        """
        array = self.check_images(images).astype(np.float32)
        _, class_logits = self.discriminator.predict(
            array, batch_size=positive_int("batch_size", batch_size), verbose=0
        )
        class_logits = np.asarray(class_logits, dtype=np.float64)
        shifted = np.exp(class_logits - class_logits.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)

    def get_config(self):
        custom = [
            f"{name}={_function_name(function)}"
            for name, function, default in (
                (
                    "discriminator_loss_fn",
                    self.discriminator_loss_fn,
                    acgan_discriminator_loss,
                ),
                ("generator_loss_fn", self.generator_loss_fn, acgan_generator_loss),
            )
            if function is not default
        ]
        if custom:
            raise ValueError(
                "this AuxiliaryClassifierGAN uses custom loss functions ("
                f"{', '.join(custom)}), which cannot be saved in a .keras file. "
                "Save the weights instead, model.save_weights('acgan.weights.h5'), "
                "and to restore them build the same model with the same functions "
                "and call model.load_weights('acgan.weights.h5')"
            )
        config = super().get_config()
        for option in (
            "generator_loss",
            "replay_size",
            "replay_fraction",
            "feature_matching",
            "unroll_steps",
        ):
            config.pop(option)
        config["n_classes"] = self.n_classes
        return config


# -- builders -----------------------------------------------------------------


def _check_architecture(architecture) -> str:
    if architecture not in CONDITIONAL_ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {CONDITIONAL_ARCHITECTURES}; "
            f"got {architecture!r}"
        )
    return architecture


def _dense_synthesis(latent_dim, embedding_dim, image_shape) -> keras.Model:
    """[codes, label vectors] -> concatenated -> Dense x 2 -> tanh image."""
    codes = keras.Input((latent_dim,), name="codes")
    vectors = keras.Input((embedding_dim,), name="label_vectors")
    hidden = keras.layers.Concatenate()([codes, vectors])
    for units in (256, 512):
        hidden = keras.layers.Dense(units)(hidden)
        hidden = keras.layers.LeakyReLU(0.2)(hidden)
    pixels = keras.layers.Dense(int(np.prod(image_shape)), activation="tanh")(hidden)
    images = keras.layers.Reshape(image_shape)(pixels)
    return keras.Model([codes, vectors], images, name=SYNTHESIS)


def _dcgan_synthesis(latent_dim, embedding_dim, image_shape) -> keras.Model:
    """[codes, label vectors] -> 7x7 maps + 1 label map -> 2 transposed convs."""
    if image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(
            f"image_shape height and width must be divisible by 4; got {image_shape!r}"
        )
    channels = image_shape[2] if len(image_shape) == 3 else 1
    height, width = image_shape[0] // 4, image_shape[1] // 4
    codes = keras.Input((latent_dim,), name="codes")
    vectors = keras.Input((embedding_dim,), name="label_vectors")
    label_map = keras.layers.Dense(height * width)(vectors)
    label_map = keras.layers.Reshape((height, width, 1))(label_map)
    maps = keras.layers.Dense(height * width * 128, use_bias=False)(codes)
    maps = keras.layers.Reshape((height, width, 128))(maps)
    maps = keras.layers.BatchNormalization()(maps)
    maps = keras.layers.ReLU()(maps)
    maps = keras.layers.Concatenate()([maps, label_map])
    maps = keras.layers.Conv2DTranspose(64, 4, strides=2, padding="same")(maps)
    maps = keras.layers.BatchNormalization()(maps)
    maps = keras.layers.ReLU()(maps)
    images = keras.layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh"
    )(maps)
    if len(image_shape) == 2:
        images = keras.layers.Reshape(image_shape)(images)
    return keras.Model([codes, vectors], images, name=SYNTHESIS)


def build_conditional_generator(
    latent_dim: int = 64,
    n_classes: int = 10,
    image_shape: Sequence[int] = (28, 28),
    *,
    architecture: str = "dcgan",
) -> keras.Model:
    """A generator ``[codes, labels] -> images`` (tanh) that obeys a class label.

    The label goes through an ``Embedding`` layer named "label_embedding" (a
    learnt vector per class); the codes and that vector feed a nested model
    named "synthesis", ``[codes, label_vectors] -> images``. Keeping the two
    apart lets :meth:`ConditionalGAN.generate_for_label_weights` feed mixed
    label vectors (class interpolation).

    - ``"dcgan"``: the vector (50 numbers) is mapped to one (H/4, W/4)
      feature map stacked on 128 maps projected from the codes, then two
      strided transposed convolutions (batch norm, ReLU, tanh output).
    - ``"dense"``: the vector (16 numbers) is concatenated to the codes, then
      Dense(256) and Dense(512) with leaky ReLU and a tanh pixel layer:
      much cheaper per step, for CPU training.

    Args:
        latent_dim: Size of the codes.
        n_classes: Number of classes.
        image_shape: Shape of one image; for ``"dcgan"`` height and width
            divisible by 4.
        architecture: ``"dcgan"`` or ``"dense"``.

    Returns:
        The generator.

    Example:
        >>> build_conditional_generator(64).output_shape
        (None, 28, 28)
        >>> build_conditional_generator(64, architecture="dense").get_layer(
        ...     "synthesis").input_shape
        [(None, 64), (None, 16)]
    """
    latent_dim = positive_int("latent_dim", latent_dim)
    n_classes = positive_int("n_classes", n_classes)
    image_shape = _image_shape(image_shape)
    architecture = _check_architecture(architecture)
    embedding_dim = 16 if architecture == "dense" else 50
    make_synthesis = _dense_synthesis if architecture == "dense" else _dcgan_synthesis
    synthesis = make_synthesis(latent_dim, embedding_dim, image_shape)
    codes = keras.Input((latent_dim,), name="codes")
    labels = keras.Input((), dtype="int32", name="labels")
    vectors = keras.layers.Embedding(n_classes, embedding_dim, name=LABEL_EMBEDDING)(
        labels
    )
    return keras.Model([codes, labels], synthesis([codes, vectors]), name="generator")


def _conditional_discriminator_trunk(maps):
    """Conv(64, s2) -> LeakyReLU -> Conv(128, s2) -> BN -> LeakyReLU -> "features"."""
    maps = keras.layers.Conv2D(64, 4, strides=2, padding="same")(maps)
    maps = keras.layers.LeakyReLU(0.2)(maps)
    maps = keras.layers.Conv2D(128, 4, strides=2, padding="same")(maps)
    maps = keras.layers.BatchNormalization()(maps)
    maps = keras.layers.LeakyReLU(0.2)(maps)
    features = keras.layers.Flatten(name="features")(maps)
    return features


def build_conditional_discriminator(
    n_classes: int = 10,
    image_shape: Sequence[int] = (28, 28),
    *,
    architecture: str = "dcgan",
) -> keras.Model:
    """A discriminator ``[images, labels] -> one logit`` that sees the label.

    - ``"dcgan"``: the label is embedded into one image-sized channel
      stacked on the image, then two strided convolutions (leaky ReLU,
      batch norm on the second) and dropout.
    - ``"dense"``: the label's 16-number embedding is concatenated to the
      flattened image, then Dense(512) and Dense(256) with leaky ReLU.

    The last hidden activations are named "features" (for feature matching)
    and the output layer "logit".

    Example:
        >>> build_conditional_discriminator().output_shape
        (None, 1)
        >>> build_conditional_discriminator(architecture="dense").output_shape
        (None, 1)
    """
    n_classes = positive_int("n_classes", n_classes)
    image_shape = _image_shape(image_shape)
    architecture = _check_architecture(architecture)
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    if architecture == "dense":
        vectors = keras.layers.Embedding(n_classes, 16)(labels)
        hidden = keras.layers.Concatenate()([keras.layers.Flatten()(images), vectors])
        hidden = keras.layers.Dense(512)(hidden)
        hidden = keras.layers.LeakyReLU(0.2)(hidden)
        hidden = keras.layers.Dense(256)(hidden)
        features = keras.layers.LeakyReLU(0.2, name="features")(hidden)
        logit = keras.layers.Dense(1, name="logit")(features)
        return keras.Model([images, labels], logit, name="discriminator")
    channels = image_shape[2] if len(image_shape) == 3 else 1
    label_map = keras.layers.Embedding(n_classes, 50)(labels)
    label_map = keras.layers.Dense(image_shape[0] * image_shape[1])(label_map)
    label_map = keras.layers.Reshape((*image_shape[:2], 1))(label_map)
    maps = keras.layers.Reshape((*image_shape[:2], channels))(images)
    maps = keras.layers.Concatenate()([maps, label_map])
    features = _conditional_discriminator_trunk(maps)
    logit = keras.layers.Dense(1, name="logit")(keras.layers.Dropout(0.3)(features))
    return keras.Model([images, labels], logit, name="discriminator")


def build_conditional_gan(
    latent_dim: int = 64,
    n_classes: int = 10,
    image_shape: Sequence[int] = (28, 28),
    *,
    architecture: str = "dcgan",
    **gan_options,
) -> ConditionalGAN:
    """The class-conditional GAN of notebook 09 (data in [-1, 1]).

    Args:
        latent_dim: Size of the codes.
        n_classes: Number of classes.
        image_shape: Shape of one image.
        architecture: ``"dcgan"`` or ``"dense"``, for both players (see
            :func:`build_conditional_generator`).
        **gan_options: Options of :class:`ConditionalGAN`.

    Example:
        >>> build_conditional_gan(64).n_classes
        10
    """
    return ConditionalGAN(
        build_conditional_generator(
            latent_dim, n_classes, image_shape, architecture=architecture
        ),
        build_conditional_discriminator(
            n_classes, image_shape, architecture=architecture
        ),
        n_classes=n_classes,
        **gan_options,
    )


def build_acgan_discriminator(
    n_classes: int = 10, image_shape: Sequence[int] = (28, 28)
) -> keras.Model:
    """A DCGAN-style AC-GAN discriminator: images -> [logit, class_logits].

    Like :func:`build_conditional_discriminator` but without the label
    input: Conv(64, stride 2) -> LeakyReLU -> Conv(128, stride 2) -> batch
    norm -> LeakyReLU -> Flatten (named "features") -> Dropout(0.3) -> two
    Dense heads, "logit" (1 unit: real or fake) and "class_logits"
    (``n_classes`` units: which class). Both heads output logits (no
    sigmoid, no softmax): the loss functions take logits.

    Args:
        n_classes: Number of classes (>= 2).
        image_shape: (height, width) or (height, width, channels).

    Returns:
        A model with one input and two outputs.

    Example:
        >>> build_acgan_discriminator(10).output_shape
        [(None, 1), (None, 10)]
    """
    n_classes = integer("n_classes", n_classes, minimum=2)
    image_shape = _image_shape(image_shape)
    channels = image_shape[2] if len(image_shape) == 3 else 1
    images = keras.Input(image_shape, name="images")
    maps = keras.layers.Reshape((*image_shape[:2], channels))(images)
    features = _conditional_discriminator_trunk(maps)
    features = keras.layers.Dropout(0.3)(features)
    logit = keras.layers.Dense(1, name="logit")(features)
    class_logits = keras.layers.Dense(int(n_classes), name="class_logits")(features)
    return keras.Model(images, [logit, class_logits], name="discriminator")


def build_acgan(
    latent_dim: int = 64,
    n_classes: int = 10,
    image_shape: Sequence[int] = (28, 28),
    **gan_options,
) -> AuxiliaryClassifierGAN:
    """The auxiliary-classifier GAN of notebook 09 (data in [-1, 1]).

    The generator is :func:`build_conditional_generator` (tanh output), the
    discriminator :func:`build_acgan_discriminator`.

    Args:
        latent_dim: Size of the codes.
        n_classes: Number of classes (>= 2).
        image_shape: Shape of one image; height and width divisible by 4.
        **gan_options: Options of :class:`AuxiliaryClassifierGAN`
            (``label_smoothing``, ``instance_noise``, ``d_steps``, ``seed``,
            the loss functions...).

    Example:
        >>> build_acgan(64).n_classes
        10
    """
    return AuxiliaryClassifierGAN(
        build_conditional_generator(latent_dim, n_classes, image_shape),
        build_acgan_discriminator(n_classes, image_shape),
        n_classes=n_classes,
        **gan_options,
    )


__all__ = [
    "AuxiliaryClassifierGAN",
    "ConditionalGAN",
    "CONDITIONAL_ARCHITECTURES",
    "acgan_discriminator_loss",
    "acgan_generator_loss",
    "build_acgan",
    "build_acgan_discriminator",
    "build_conditional_discriminator",
    "build_conditional_gan",
    "build_conditional_generator",
]
