"""Probes of the gpu_training suite: project code run in the submission's (untrusted) process, never in the suite's.

The grader loads this module in the submission's sandboxed process before it imports the submission, and the suite
calls these functions by name (`probes.weights(model)`): they turn live TensorFlow objects (models, datasets,
histories) into plain data (numbers, strings, lists, numpy arrays) that the suite judges in its own process, which
never imports TensorFlow. A probe reaches the submission as `sys.modules["submission"]`.

Everything a probe reports could be forged by code written against these probes, so the suite decides from data it
can recompute wherever it can: weights, outputs, batches. The facts that cannot be recomputed (a class name, a
dtype, a device, a count) are marked "reported" in the suite.

TensorFlow and Keras are imported inside the probes, not at the top: this module is loaded before the submission,
and a submission may set environment variables (TF_CPP_MIN_LOG_LEVEL, CUDA_VISIBLE_DEVICES) before its own
`import tensorflow`, which must still be the first. The probes the fresh process runs before `run_an_op` (gpu_count,
configure, gpu_state) run no TensorFlow operation themselves: configure_gpus is judged on the moment the runtime
starts.
"""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np

MESSAGE_LIMIT = 300


def _submission():
    return sys.modules["submission"]


def _tf():
    import tensorflow as tf

    return tf


def _keras():
    import keras

    return keras


# ---------------------------------------------------------------- devices and configure_gpus


def gpu_count() -> int:
    """How many GPUs TensorFlow sees (`list_physical_devices` does not start the runtime)."""
    return len(_tf().config.list_physical_devices("GPU"))


class _KeepWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:MESSAGE_LIMIT])


def configure(**kwargs) -> dict:
    """Calls the submission's configure_gpus(**kwargs): what it returned, and what it warned (warnings.warn, or a
    logging warning). What it raises goes back to the suite as the submission's error."""
    tf = _tf()
    physical = len(tf.config.list_physical_devices("GPU"))
    handler = _KeepWarnings()
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _submission().configure_gpus(**kwargs)
    finally:
        logging.getLogger().removeHandler(handler)
    is_list = isinstance(result, list)
    return {
        "gpus": physical,
        "is_list": is_list,
        "type": type(result).__name__,
        "returned": [str(getattr(device, "name", device))[:MESSAGE_LIMIT] for device in result]
        if isinstance(result, (list, tuple))
        else repr(result)[:MESSAGE_LIMIT],
        "warnings": [str(w.message)[:MESSAGE_LIMIT] for w in caught] + handler.messages,
    }


def gpu_state() -> dict:
    """Memory growth of every physical GPU and the GPUs left visible (neither starts the runtime)."""
    tf = _tf()
    gpus = tf.config.list_physical_devices("GPU")
    return {
        "memory_growth": [bool(tf.config.experimental.get_memory_growth(gpu)) for gpu in gpus],
        "visible": [device.name for device in tf.config.get_visible_devices("GPU")],
    }


def run_an_op() -> float:
    """Runs a TensorFlow operation: the runtime (and its GPUs) is initialized from here on."""
    tf = _tf()
    return float((tf.constant(1.0) + 1.0).numpy())


# ---------------------------------------------------------------- datasets


def _spec(spec) -> dict:
    shape = getattr(spec, "shape", None)
    dtype = getattr(spec, "dtype", None)
    return {
        "kind": type(spec).__name__,
        "shape": None if shape is None or shape.rank is None else [d for d in shape.as_list()],
        "dtype": getattr(dtype, "name", str(dtype)),
    }


def dataset_facts(dataset) -> dict:
    """Whether `dataset` is a tf.data.Dataset, and its element spec: [x spec, y spec] when elements are pairs."""
    tf = _tf()
    if not isinstance(dataset, tf.data.Dataset):
        return {"is_dataset": False, "type": type(dataset).__name__, "pair": False, "spec": None}
    spec = dataset.element_spec
    pair = isinstance(spec, tuple) and len(spec) == 2
    return {
        "is_dataset": True,
        "type": type(dataset).__name__,
        "pair": pair,
        "spec": [_spec(part) for part in spec] if pair else repr(spec)[:MESSAGE_LIMIT],
    }


def dataset_batches(dataset, passes: int = 1, max_batches: int = 1000) -> list[dict]:
    """Iterates `dataset` `passes` times: per pass, every batch's size and all x and y rows in the order read. A pass
    stops after `max_batches` batches (a dataset that repeats forever would never end)."""
    results = []
    for _ in range(passes):
        xs, ys, sizes = [], [], []
        for index, element in enumerate(dataset):
            if index == max_batches:
                break
            if not (isinstance(element, tuple) and len(element) == 2):
                raise TypeError(f"make_dataset's elements should be (x, y) pairs, got {type(element).__name__}")
            x, y = (np.asarray(part.numpy() if hasattr(part, "numpy") else part) for part in element)
            xs.append(x)
            ys.append(y)
            sizes.append(int(x.shape[0]) if x.ndim else 0)
        results.append(
            {
                "sizes": sizes,
                "x": np.concatenate(xs) if xs else np.zeros((0, 784), np.float32),
                "y": np.concatenate(ys) if ys else np.zeros((0, 10), np.float32),
            }
        )
    return results


def pipeline_end(dataset) -> dict:
    """The last step of a tf.data pipeline (an options wrapper is not a step) and, for a prefetch, its buffer size
    (tf.data.AUTOTUNE is -1)."""
    tf = _tf()
    if not isinstance(dataset, tf.data.Dataset):
        return {"is_dataset": False, "last": type(dataset).__name__, "buffer_size": None}
    step = dataset
    while type(step).__name__ == "_OptionsDataset" and hasattr(step, "_input_dataset"):
        step = step._input_dataset
    name = type(step).__name__.strip("_")
    buffer = None
    if name == "PrefetchDataset" and hasattr(step, "_buffer_size"):
        buffer = int(np.asarray(step._buffer_size))
    return {"is_dataset": True, "last": name, "buffer_size": buffer}


# ---------------------------------------------------------------- models


def weights(model) -> list:
    """model.get_weights(): the arrays, in their own dtypes."""
    return [np.asarray(array) for array in model.get_weights()]


def outputs(model, x, training: bool = False, repeat: int = 1) -> np.ndarray:
    """model(x, training=training) on the CPU, in the output's own dtype; with `repeat`, each input `repeat` times in a
    row (np.repeat), so that training-mode passes draw independent dropout masks. On the CPU: a GPU computes float32
    matmuls in TF32 (10 bits of mantissa), which would hide the difference between float32 and float16."""
    tf = _tf()
    inputs = np.repeat(np.asarray(x, dtype=np.float32), int(repeat), axis=0)
    with tf.device("/CPU:0"):
        result = model(tf.constant(inputs), training=training)
    return np.asarray(result.numpy() if hasattr(result, "numpy") else result)


def evaluate(model, x, y) -> dict:
    """model.evaluate(x, y) in one batch: the loss and metrics the model was compiled with, by name."""
    tf = _tf()
    with tf.device("/CPU:0"):
        result = model.evaluate(
            np.asarray(x, np.float32), np.asarray(y, np.float32), batch_size=len(x), verbose=0, return_dict=True
        )
    return {str(name): float(np.asarray(value)) for name, value in result.items()}


def _all_layers(model) -> list:
    keras = _keras()
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):  # a model used as a layer: its own layers
            found.extend(_all_layers(layer))
        else:
            found.append(layer)
    return found


def layers(model) -> list[dict]:
    """Each layer of the model (nested models flattened): its class, dtypes, and the facts that name it."""
    facts = []
    for layer in _all_layers(model):
        kernel = getattr(layer, "kernel", None)
        activation = getattr(layer, "activation", None)
        facts.append(
            {
                "class": type(layer).__name__,
                "name": str(layer.name),
                "compute_dtype": str(getattr(layer, "compute_dtype", "")),
                "variable_dtype": str(getattr(layer, "variable_dtype", "")),
                "kernel": None if kernel is None else [int(d) for d in kernel.shape],
                "rate": float(layer.rate) if hasattr(layer, "rate") and np.isscalar(layer.rate) else None,
                "activation": getattr(activation, "__name__", None) if activation is not None else None,
            }
        )
    return facts


def global_policy() -> str:
    """The name of Keras's global dtype policy (what layers built without a dtype of their own compute in)."""
    return str(_keras().config.dtype_policy().name)


def optimizer(model) -> dict:
    """The compiled optimizer: its class, whether it is a LossScaleOptimizer, and the optimizer it wraps."""
    keras = _keras()
    opt = getattr(model, "optimizer", None)
    scaled = isinstance(opt, keras.optimizers.LossScaleOptimizer)
    inner = opt.inner_optimizer if scaled else opt
    return {
        "compiled": bool(getattr(model, "compiled", False)),
        "type": type(opt).__name__,
        "loss_scale": scaled,
        "inner": type(inner).__name__,
        "adam": isinstance(inner, keras.optimizers.Adam),
    }


def optimizer_steps(model) -> int:
    return int(np.asarray(model.optimizer.iterations.numpy()))


def variable_devices(model) -> list[str]:
    """The device of each trainable variable."""
    return [str(getattr(variable, "value", variable).device) for variable in model.trainable_variables]


def history(value) -> dict:
    """What train returned as its history: its class and its `history` dict (metric -> one value per epoch)."""
    logged = getattr(value, "history", None)
    if not isinstance(logged, dict):
        raise TypeError(
            f"train's second result is a {type(value).__name__}, not what model.fit returns "
            "(a History, with a .history dict)"
        )
    return {
        "type": type(value).__name__,
        "history": {str(key): [float(np.asarray(v)) for v in values] for key, values in logged.items()},
    }


# ---------------------------------------------------------------- train


def train(x, y, validation_data=None, **kwargs):
    """Calls the submission's train, with validation_data as the tuple (x_val, y_val) the contract names (the
    protocol carries lists). Returns what train returned: (model, history) comes back as two handles."""
    if validation_data is not None:
        kwargs["validation_data"] = tuple(validation_data)
    return _submission().train(x, y, **kwargs)


# ---------------------------------------------------------------- recording make_dataset while train runs

_recording: dict = {}


def record_make_dataset() -> None:
    """Replaces the submission's make_dataset with one that delegates to it and records each call (its sample count,
    batch_size and training flag) and the size of every batch then read from the dataset it returned, so the suite
    sees whether fit consumed that pipeline. `stop_recording` puts the submission's own function back."""
    tf = _tf()
    module = _submission()
    if "original" in _recording:  # a recording left running: start over from the submission's own function
        module.make_dataset = _recording["original"]
    original = module.make_dataset
    calls: list[dict] = []
    _recording.update(original=original, calls=calls)

    def recording(x, y, batch_size, *args, **kwargs):
        try:
            size = int(batch_size)
        except (TypeError, ValueError):
            size = repr(batch_size)[:50]
        call = {
            "samples": len(x),
            "batch_size": size,
            "training": bool(kwargs.get("training", True)),
            "positional": len(args),
            "batches": [],
            "dataset": False,
        }
        calls.append(call)
        dataset = original(x, y, batch_size, *args, **kwargs)
        if not isinstance(dataset, tf.data.Dataset):
            return dataset
        call["dataset"] = True

        def count(first):
            call["batches"].append(int(first.shape[0]) if first.shape.rank else 0)
            return first

        def counted(*parts):
            flat = tf.nest.flatten(parts)
            passed = tf.py_function(count, [flat[0]], flat[0].dtype)
            passed.set_shape(flat[0].shape)
            flat[0] = passed
            packed = tf.nest.pack_sequence_as(parts, flat)
            return packed[0] if len(parts) == 1 else packed

        return dataset.map(counted)

    recording.__wrapped__ = original
    module.make_dataset = recording


def stop_recording() -> list[dict]:
    """Puts the submission's make_dataset back; the calls recorded since record_make_dataset."""
    if "original" not in _recording:
        return []
    _submission().make_dataset = _recording.pop("original")
    return _recording.pop("calls")
