"""Probes of the data_parallel suite: they run in the SUBMISSION's process (quiz.grading.untrusted) and turn its
TensorFlow objects into plain facts for the suite, which decides in its own process.

Loaded before the submission is imported, so `setup` can split the CPU into two logical devices before anything
starts TensorFlow's runtime. A submission can change what these report (they share its interpreter): the suite
marks each test that rests on them as `reported`, and recomputes what it can from the weights instead.
"""

from __future__ import annotations

import sys

import numpy as np
import tensorflow as tf
import keras

TWO_DEVICES = ["/cpu:0", "/cpu:1"]
_strategies: dict[str, tf.distribute.Strategy] = {}
_deterministic: dict[str, object] = {}


def setup() -> None:
    """Two replicas on one CPU: TensorFlow fixes its devices when its runtime starts, so before the submission."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


def _submission():
    return sys.modules["submission"]


# ---------------------------------------------------------------- strategies the suite hands to `train`


def two_replicas() -> tf.distribute.MirroredStrategy:
    """The one two-replica strategy of the run (a second one over the same devices would collide with its
    all-reduce operations)."""
    if "two" not in _strategies:
        _strategies["two"] = tf.distribute.MirroredStrategy(TWO_DEVICES)
    return _strategies["two"]


def one_replica() -> tf.distribute.MirroredStrategy:
    if "one" not in _strategies:
        _strategies["one"] = tf.distribute.MirroredStrategy(["/cpu:0"])
    return _strategies["one"]


def device_name(device: str) -> str:
    """'/job:localhost/replica:0/task:0/device:CPU:1' -> 'CPU:1'."""
    spec = tf.DeviceSpec.from_string(device)
    return f"{(spec.device_type or '').upper()}:{spec.device_index or 0}"


def strategy_facts(strategy) -> dict:
    facts = {"class": type(strategy).__name__, "mirrored": isinstance(strategy, tf.distribute.MirroredStrategy)}
    if isinstance(strategy, tf.distribute.Strategy):
        facts["replicas"] = int(strategy.num_replicas_in_sync)
        facts["devices"] = sorted(device_name(d) for d in strategy.extended.worker_devices)
    return facts


def default_devices() -> dict:
    """What TensorFlow's own default, MirroredStrategy(), would use here, and how many GPUs there are."""
    if "default" not in _strategies:
        _strategies["default"] = tf.distribute.MirroredStrategy()
    return {
        "devices": sorted(device_name(d) for d in _strategies["default"].extended.worker_devices),
        "gpus": len(tf.config.list_logical_devices("GPU")),
    }


# ---------------------------------------------------------------- models


def _layers(model) -> list:
    try:
        found = list(model._flatten_layers(include_self=False, recursive=True))
    except (AttributeError, TypeError):
        found = list(getattr(model, "layers", []))
    return [layer for layer in found if not isinstance(layer, keras.layers.InputLayer)]


def _name(thing) -> str:
    if isinstance(thing, str):
        return thing
    if isinstance(thing, dict):  # a serialized object in a compile config
        return str(thing.get("config", {}).get("name") or thing.get("class_name"))
    return str(getattr(thing, "name", None) or getattr(thing, "__name__", None) or type(thing).__name__)


def model_facts(model) -> dict:
    """What the suite asks about a model: its weights, layers, compilation, optimizer steps, variables."""
    if not isinstance(model, keras.Model):
        return {"keras_model": False, "class": type(model).__name__}
    optimizer = getattr(model, "optimizer", None)
    facts = {
        "keras_model": True,
        "class": type(model).__name__,
        "weights": [np.asarray(w) for w in model.get_weights()],
        "dropout_rates": [float(layer.rate) for layer in _layers(model) if isinstance(layer, keras.layers.Dropout)],
        "compiled": bool(getattr(model, "compiled", False)),
        "optimizer": type(optimizer).__name__ if optimizer is not None else None,
        "adam": isinstance(optimizer, keras.optimizers.Adam),
        "sgd": isinstance(optimizer, keras.optimizers.SGD),
        "steps": int(np.asarray(optimizer.iterations.numpy()))
        if optimizer is not None and getattr(optimizer, "iterations", None) is not None
        else None,
        "variables": [
            {
                "path": str(getattr(v, "path", v.name)),
                "class": type(getattr(v, "value", v)).__name__,
                "devices": _variable_devices(v),
            }
            for v in model.trainable_variables
        ],
    }
    return facts


def _variable_devices(variable) -> list[str]:
    """Where a variable's copies live: one per replica for a MirroredVariable, one for a plain variable."""
    value = getattr(variable, "value", variable)
    copies = getattr(value, "values", None)
    if not isinstance(copies, (tuple, list)):
        copies = (value,)
    return sorted(device_name(copy.device) for copy in copies if getattr(copy, "device", ""))


def belongs_to(model, strategy) -> bool:
    """Whether the model's variables were created under this very strategy."""
    return getattr(model, "distribute_strategy", None) is strategy


def outputs(model, x, training=False) -> np.ndarray:
    return np.asarray(model(np.asarray(x, dtype=np.float32), training=training))


def evaluate(model, x, y) -> dict:
    """The compiled loss and metrics of the model on (x, y), as Keras reports them."""
    found = model.evaluate(
        np.asarray(x, np.float32), np.asarray(y, np.float32), batch_size=len(x), verbose=0, return_dict=True
    )
    return {str(key): float(value) for key, value in found.items()}


def build_in_scope(strategy) -> dict:
    """Call the submission's build_model inside `strategy.scope()`, as a caller of the contract would."""
    with strategy.scope():
        model = _submission().build_model()
    return {"model": model, **model_facts(model)}


def history_facts(history) -> dict:
    logs = getattr(history, "history", None)
    if not isinstance(logs, dict):
        return {"history": None, "class": type(history).__name__}
    return {
        "class": type(history).__name__,
        "history": {str(k): [float(v) for v in values] for k, values in logs.items()},
    }


# ---------------------------------------------------------------- the one-step check


def use_deterministic_build_model(initial_weights, learning_rate) -> None:
    """Swap the submission's build_model for the same network without dropout, starting from the suite's
    weights and compiled with plain SGD, so one step can be recomputed exactly by the suite."""
    module = _submission()
    _deterministic.setdefault("original", module.build_model)
    _deterministic["created"] = []

    def build_model():
        model = keras.Sequential(
            [
                keras.Input(shape=(784,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.set_weights([np.asarray(w, np.float32) for w in initial_weights])
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        _deterministic["created"].append(model)
        return model

    module.build_model = build_model


def deterministic_models() -> list:
    return list(_deterministic.get("created", []))


def restore_build_model() -> None:
    if "original" in _deterministic:
        _submission().build_model = _deterministic.pop("original")
