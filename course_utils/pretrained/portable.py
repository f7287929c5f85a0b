"""Load ``.keras`` files saved by a newer Keras 3 on the older ones the course allows.

Keras adds arguments to layers and initializers over time and writes them in
``config.json`` even when they hold their defaults (for example the
initializers' ``input_axes`` in Keras 3.15, or ``quantization_config``);
older releases reject arguments they do not know. The course ships its
checkpoints saved with one Keras, so :func:`portable_copy` writes a copy of a
file without those keys when they hold their default values, which every
Keras 3 release the course allows can read. Used by
:func:`course_utils.pretrained.keras_load`.
"""

from __future__ import annotations

import json
import os
import pathlib
import zipfile
from typing import Any

#: Config keys that newer Keras releases write with these default values and
#: older ones do not accept.
NEWER_DEFAULTS: dict[str, Any] = {
    "input_axes": None,
    "output_axes": None,
    "quantization_config": None,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
}


def without_newer_defaults(config: Any) -> Any:
    """Drop the keys of :data:`NEWER_DEFAULTS` that hold their default value.

    ``config`` is a ``config.json`` as nested dicts and lists.

    Example:
        >>> without_newer_defaults({"units": 8, "quantization_config": None})
        {'units': 8}
    """
    if isinstance(config, dict):
        return {
            key: without_newer_defaults(value)
            for key, value in config.items()
            if not (key in NEWER_DEFAULTS and value == NEWER_DEFAULTS[key])
        }
    if isinstance(config, list):
        return [without_newer_defaults(value) for value in config]
    return config


def portable_copy(path: str | os.PathLike, folder: str | os.PathLike) -> pathlib.Path:
    """Copy the ``.keras`` file ``path`` into ``folder``, its config made portable.

    The copy's ``config.json`` is passed through :func:`without_newer_defaults`.

    Returns:
        The path of the copy (same file name).

    Example:
        >>> copy = portable_copy("dcgan.keras", "/tmp")  # doctest: +SKIP
    """
    target = pathlib.Path(folder) / pathlib.Path(path).name
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "config.json":
                config = without_newer_defaults(json.loads(content))
                content = json.dumps(config).encode()
            copy.writestr(item, content)
    return target
