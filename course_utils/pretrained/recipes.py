"""How each of the course's checkpoints is built and trained.

One :class:`Recipe` per checkpoint: the builder call, the optimizer, the data,
the epochs, the batch size and the seed. The same recipe object trains the
checkpoint (:mod:`course_utils.pretrained.training`) and is written into the
manifest, so the two cannot disagree. Taught in the notebooks named by each
recipe; the full-mode cell of that notebook uses the same settings.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

#: What a checkpoint is, which decides how it is trained and scored.
KINDS = (
    "classifier",
    "autoencoder",
    "vae",
    "gan",
    "conditional_gan",
    "diffusion",
    "autoregressive",
)


@dataclasses.dataclass(frozen=True)
class Call:
    """A function of the package and its keyword arguments.

    Example:
        >>> Call("course_utils.models.gan.build_dcgan", {"latent_dim": 100}).text()
        'course_utils.models.gan.build_dcgan(latent_dim=100)'
    """

    function: str
    kwargs: dict[str, Any]

    def text(self) -> str:
        """The call as Python source."""
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.kwargs.items())
        return f"{self.function}({arguments})"

    def resolve(self):
        """The function object named by ``function``."""
        module, _, name = self.function.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def __call__(self):
        """Call the function with the stored keyword arguments."""
        return self.resolve()(**self.kwargs)


@dataclasses.dataclass(frozen=True)
class Optimizer:
    """A Keras optimizer by class name, with an optional cosine decay to 0.

    ``warmup_steps`` (with ``cosine_decay``) first raises the learning rate
    linearly from 0; ``ema_momentum`` keeps an exponential moving average of
    the weights, which replaces them when ``fit`` ends (Keras' ``use_ema``).

    Example:
        >>> Optimizer("Adam", 2e-4, beta_1=0.5).text()
        'keras.optimizers.Adam(learning_rate=0.0002, beta_1=0.5)'
    """

    name: str
    learning_rate: float
    beta_1: float | None = None
    cosine_decay: bool = False
    warmup_steps: int = 0
    ema_momentum: float | None = None

    def text(self) -> str:
        """The optimizer as Python source (the schedule spelled out)."""
        rate = repr(self.learning_rate)
        if self.cosine_decay and self.warmup_steps:
            rate = (
                f"CosineDecay(0.0, warmup_target={rate}, warmup_steps="
                f"{self.warmup_steps}, decay_steps=epochs * steps_per_epoch - "
                f"{self.warmup_steps})"
            )
        elif self.cosine_decay:
            rate = f"CosineDecay({rate}, decay_steps=epochs * steps_per_epoch)"
        beta = "" if self.beta_1 is None else f", beta_1={self.beta_1!r}"
        ema = (
            ""
            if self.ema_momentum is None
            else f", use_ema=True, ema_momentum={self.ema_momentum!r}"
        )
        return f"keras.optimizers.{self.name}(learning_rate={rate}{beta}{ema})"

    def build(self, total_steps: int | None = None):
        """A new optimizer instance for a run of ``total_steps`` steps.

        ``total_steps`` is needed only with ``cosine_decay``.
        """
        import keras

        rate: Any = self.learning_rate
        if self.cosine_decay:
            if total_steps is None:
                raise ValueError("total_steps is needed for a cosine decay")
            rate = keras.optimizers.schedules.CosineDecay(
                0.0 if self.warmup_steps else self.learning_rate,
                decay_steps=total_steps - self.warmup_steps,
                warmup_target=self.learning_rate if self.warmup_steps else None,
                warmup_steps=self.warmup_steps,
            )
        options: dict[str, Any] = {} if self.beta_1 is None else {"beta_1": self.beta_1}
        if self.ema_momentum is not None:
            options |= {"use_ema": True, "ema_momentum": self.ema_momentum}
        return getattr(keras.optimizers, self.name)(learning_rate=rate, **options)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything needed to train one checkpoint again.

    Attributes:
        name: Checkpoint name, e.g. ``"dcgan"``.
        notebook: The notebook that uses it.
        description: One line for tables.
        kind: One of :data:`KINDS`.
        builder: The builder call that makes the untrained model.
        optimizer: The optimizer (both players get their own copy).
        value_range: Pixel range of the training images, ``"[0,1]"``,
            ``"[-1,1]"`` or ``"uint8"`` (grey levels 0-255, the likelihood
            models of notebook 10).
        epochs: Training epochs.
        batch_size: Batch size.
        seed: Seed given to :func:`course_utils.seeding.reset_seed` first.
        steps_per_epoch: Batches per epoch when the data set is repeated
            (notebook 06's GAN); None = one pass over the 55,000 images.
        loss: Keras loss of single-optimizer models (None for the VAE and
            the GANs, which have their own ``train_step``).
    """

    name: str
    notebook: str
    description: str
    kind: str
    builder: Call
    optimizer: Optimizer
    value_range: str
    epochs: int
    batch_size: int
    seed: int = 42
    steps_per_epoch: int | None = None
    loss: str | None = None

    def describe(self) -> dict[str, Any]:
        """The recipe as the manifest stores it (JSON types only)."""
        passes = "one pass over the images per epoch"
        if self.steps_per_epoch is not None:
            passes = f"{self.steps_per_epoch} batches per epoch (repeated data set)"
        return {
            "builder": self.builder.text(),
            "optimizer": self.optimizer.text(),
            "loss": self.loss,
            "data": (
                "Fashion-MNIST, the 55,000 training images "
                "(validation and test images left out), "
                + (
                    "8-bit grey levels 0-255"
                    if self.value_range == "uint8"
                    else f"pixels in {self.value_range}"
                )
                + (
                    ", with labels"
                    if self.kind in ("classifier", "conditional_gan", "diffusion")
                    else ""
                )
            ),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps_per_epoch,
            "epoch_length": passes,
            "seed": self.seed,
        }


#: The course's checkpoints, in notebook order (the classifier first: every
#: generative score is measured with it).
RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="domain_classifier",
            notebook="08_gan_training_problems.ipynb",
            description="Fashion-MNIST classifier behind FID, KID and class coverage",
            kind="classifier",
            builder=Call(
                "course_utils.models.classifier.build_classifier",
                {
                    "filters": (32, 64),
                    "convs_per_block": 1,
                    "embedding_dim": 128,
                    "dropout": 0.2,
                },
            ),
            optimizer=Optimizer("Adam", 2e-3, cosine_decay=True),
            value_range="[0,1]",
            epochs=12,
            batch_size=128,
            loss="sparse_categorical_crossentropy",
        ),
        Recipe(
            name="dense_ae",
            notebook="02_stacked_autoencoders.ipynb",
            description="stacked dense autoencoder, 30-D codings (MSE loss)",
            kind="autoencoder",
            builder=Call(
                "course_utils.models.autoencoders.build_dense_autoencoder",
                {"input_shape": (28, 28), "latent_dim": 30, "hidden_units": (100,)},
            ),
            optimizer=Optimizer("Nadam", 2e-3, cosine_decay=True),
            value_range="[0,1]",
            epochs=30,
            batch_size=64,
            loss="mse",
        ),
        Recipe(
            name="conv_ae",
            notebook="03_conv_recurrent_autoencoders.ipynb",
            description="convolutional autoencoder (strided, transposed), 30-D codings",
            kind="autoencoder",
            builder=Call(
                "course_utils.models.autoencoders.build_conv_autoencoder",
                {
                    "input_shape": (28, 28),
                    "latent_dim": 30,
                    "filters": (32, 64),
                    "downsampling": "strided",
                    "upsampling": "transpose",
                },
            ),
            optimizer=Optimizer("Adam", 1e-3),
            value_range="[0,1]",
            epochs=8,
            batch_size=64,
            loss="mse",
        ),
        Recipe(
            name="dense_vae",
            notebook="05_variational_autoencoders.ipynb",
            description="dense VAE, 16-D codes, Bernoulli decoder",
            kind="vae",
            builder=Call(
                "course_utils.models.vae.build_dense_vae",
                {"latent_dim": 16, "seed": 42},
            ),
            optimizer=Optimizer("Adam", 1e-3),
            value_range="[0,1]",
            epochs=30,
            batch_size=128,
        ),
        Recipe(
            name="dense_gan",
            notebook="06_generative_adversarial_networks.ipynb",
            description="dense GAN, 30-D codes (notebook 06's RMSprop recipe)",
            kind="gan",
            builder=Call(
                "course_utils.models.gan.build_dense_gan",
                {"latent_dim": 30, "seed": 42},
            ),
            optimizer=Optimizer("RMSprop", 1e-3),
            value_range="[0,1]",
            epochs=60,
            batch_size=32,
            steps_per_epoch=500,
        ),
        Recipe(
            name="dcgan",
            notebook="07_dcgan.ipynb",
            description="DCGAN, 100-D codes, transposed convolutions",
            kind="gan",
            builder=Call(
                "course_utils.models.gan.build_dcgan",
                {"latent_dim": 100, "upsampling": "transpose", "seed": 42},
            ),
            optimizer=Optimizer("Adam", 2e-4, beta_1=0.5),
            value_range="[-1,1]",
            epochs=25,
            batch_size=64,
        ),
        Recipe(
            name="conditional_dcgan",
            notebook="09_conditional_gans.ipynb",
            description="class-conditional DCGAN, 64-D codes",
            kind="conditional_gan",
            builder=Call(
                "course_utils.models.conditional_gan.build_conditional_gan",
                {"latent_dim": 64, "architecture": "dcgan", "seed": 42},
            ),
            optimizer=Optimizer("Adam", 2e-4, beta_1=0.5),
            value_range="[-1,1]",
            epochs=15,
            batch_size=64,
        ),
        Recipe(
            name="diffusion",
            notebook="11_diffusion_models.ipynb",
            description=(
                "class-conditional diffusion U-Net (cosine schedule, 1,000 steps, "
                "20% of labels dropped for guidance)"
            ),
            kind="diffusion",
            builder=Call(
                "course_utils.models.diffusion.build_diffusion",
                {
                    "channels": (24, 48, 96),
                    "n_classes": 10,
                    "schedule": "cosine",
                    "label_dropout": 0.2,
                    "seed": 42,
                },
            ),
            optimizer=Optimizer(
                "Adam", 1e-3, cosine_decay=True, warmup_steps=1_000, ema_momentum=0.999
            ),
            value_range="[-1,1]",
            epochs=25,
            batch_size=128,
        ),
        Recipe(
            name="pixelcnn",
            notebook="10_tractable_density_models.ipynb",
            description=(
                "PixelCNN, 32 filters, 7x7 type-A then 5 residual 3x3 type-B "
                "masked convolutions, 256-way softmax per pixel"
            ),
            kind="autoregressive",
            builder=Call(
                "course_utils.models.autoregressive.build_pixelcnn",
                {"filters": 32, "hidden_layers": 5},
            ),
            optimizer=Optimizer("Adam", 1e-3, cosine_decay=True),
            value_range="uint8",
            epochs=20,
            batch_size=64,
        ),
        Recipe(
            name="made",
            notebook="10_tractable_density_models.ipynb",
            description=(
                "MADE, one masked hidden layer of 512 units, a discretised "
                "logistic per pixel"
            ),
            kind="autoregressive",
            builder=Call(
                "course_utils.models.autoregressive.build_made",
                {"hidden_sizes": (512,), "likelihood": "logistic", "seed": 0},
            ),
            optimizer=Optimizer("Adam", 1e-3, cosine_decay=True),
            value_range="uint8",
            epochs=15,
            batch_size=64,
        ),
        Recipe(
            name="logistic_vae",
            notebook="10_tractable_density_models.ipynb",
            description=(
                "dense VAE, 32-D codes, a discretised logistic per pixel of 8-bit "
                "levels (its ELBO bounds their probability)"
            ),
            kind="vae",
            builder=Call(
                "course_utils.models.vae.build_dense_vae",
                {
                    "latent_dim": 32,
                    "hidden_units": (512, 256),
                    "reconstruction": "logistic",
                    "seed": 42,
                },
            ),
            optimizer=Optimizer("Adam", 1e-3, cosine_decay=True),
            value_range="[0,1]",
            epochs=30,
            batch_size=128,
        ),
    )
}


def recipe(name: str) -> Recipe:
    """Return the recipe of checkpoint ``name``.

    Raises:
        ValueError: If ``name`` is not a checkpoint of the course (the error
            lists the known names).

    Example:
        >>> recipe("dcgan").batch_size
        64
    """
    if not isinstance(name, str) or name not in RECIPES:
        raise ValueError(
            f"unknown checkpoint {name!r}; the course's checkpoints are: "
            f"{', '.join(RECIPES)}"
        )
    return RECIPES[name]
