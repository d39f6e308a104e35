"""Wrong solutions made at test time from an exercise's reference, by small edits that put one mistake in.

A wrong solution that is the reference but for one mistake is kept here as that mistake: the edits, not a copy.
Copies drifted from the reference (reformatted, restyled) until what differed was hidden in noise; edits show the
mistake alone and follow the reference as it changes. Each edit replaces text that must occur exactly once in the
reference, so an edit the reference no longer fits stops the test that uses it, by name, instead of quietly
testing something else. Wrong solutions written in other styles than the reference's stay whole files under
fixtures/<exercise>/wrong/.

    python -m tests.exercises.mutants EXERCISE FOLDER

writes an exercise's mutants into FOLDER as NAME.py, to read them or to grade them with `quiz grade`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class MutantDoesNotApply(Exception):
    """An edit's text is not in the reference exactly once."""


@dataclass(frozen=True)
class Mutant:
    name: str
    mistake: str
    edits: tuple[tuple[str, str], ...]  # (text of the reference, what replaces it)

    def source(self, reference: str) -> str:
        """The reference with every edit made, its docstring replaced by one that names the mistake."""
        if not reference.startswith('"""'):
            raise MutantDoesNotApply(f"mutant {self.name}: the reference does not begin with its docstring")
        text = reference[reference.index('"""', 3) + 3 :]
        for old, new in self.edits:
            found = text.count(old)
            if found != 1:
                raise MutantDoesNotApply(
                    f"mutant {self.name}: {old!r} occurs {found} times in the reference, expected once"
                )
            text = text.replace(old, new)
        return (
            f'"""Wrong solution {self.name} (the reference with one mistake, from tests/exercises/mutants.py): '
            f'{self.mistake}"""{text}'
        )


def reference_path(exercise: str) -> Path:
    return ROOT / "exercises" / exercise / "reference.py"


def write_mutant(exercise: str, name: str, folder: Path) -> Path:
    """The mutant `name` of `exercise` written to folder/NAME.py."""
    mutant = MUTANTS[exercise][name]
    path = folder / f"{name}.py"
    path.write_text(mutant.source(reference_path(exercise).read_text(encoding="utf-8")), encoding="utf-8")
    return path


def wrong_solution(exercise: str, name: str, folder: Path) -> Path:
    """A wrong solution of `exercise` as a file: the mutant `name` written into `folder`, or, for a name such as
    "wrong/forged_history", the whole file fixtures/<exercise>/wrong/forged_history.py."""
    if name in MUTANTS[exercise]:
        return write_mutant(exercise, name, folder)
    path = FIXTURES / exercise / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{exercise} has neither a mutant nor a fixture named {name}")
    return path


def wrong_solutions(exercise: str) -> set[str]:
    """The names of every wrong solution of `exercise`: its mutants, and wrong/<stem> for each whole file."""
    return set(MUTANTS[exercise]) | {f"wrong/{path.stem}" for path in (FIXTURES / exercise / "wrong").glob("*.py")}


def one(name: str, mistake: str, *edits: tuple[str, str]) -> tuple[str, Mutant]:
    """A (name, mutant) entry of the tables below."""
    return name, Mutant(name, mistake, edits)


DATA_PARALLEL_FIT = (
    "        history = model.fit(\n"
    "            x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=validation_data, verbose=0\n"
    "        )\n"
)

DATA_PARALLEL_LOOP = """\
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(batch_size)
    )

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            # The mistake: a mean over this replica's own samples. The optimizer sums the replicas' gradients,
            # so the update is num_replicas times too large. tf.nn.compute_average_loss(per_example_loss,
            # global_batch_size=batch_size) divides by the global batch instead.
            loss = tf.reduce_mean(keras.losses.categorical_crossentropy(y, model(x, training=True)))
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # summed over replicas
        return loss

    @tf.function
    def distributed_step(x, y):
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(replica_step, args=(x, y)), axis=None)

    history = keras.callbacks.History()
    history.history = {"loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        losses = [float(distributed_step(x, y)) for x, y in dataset]
        history.history["loss"].append(float(np.mean(losses)))
        if validation_data is not None:
            val_loss, val_accuracy = model.evaluate(*validation_data, verbose=0)
            history.history["val_loss"].append(float(val_loss))
            history.history["val_accuracy"].append(float(val_accuracy))
"""

DATA_PARALLEL = dict(
    [
        one(
            "seed_program",
            "the source document's program: the model is built and compiled outside the scope and only fit runs "
            "inside strategy.scope() (TensorFlow raises 'Mixing different tf.distribute.Strategy objects').",
            (
                "    with strategy.scope():\n        model = build_model()\n",
                "    model = build_model()\n    with strategy.scope():\n",
            ),
        ),
        one(
            "outside_scope",
            "no strategy scope at all: everything runs silently on one device.",
            (
                "    with strategy.scope():\n        model = build_model()\n" + DATA_PARALLEL_FIT,
                "    model = build_model()\n"
                "    history = model.fit(\n"
                "        x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=validation_data, "
                "verbose=0\n"
                "    )\n",
            ),
        ),
        one(
            "ignores_strategy",
            "train creates its own MirroredStrategy() instead of using the one it is given.",
            (
                "    with strategy.scope():\n",
                "    strategy = tf.distribute.MirroredStrategy()\n    with strategy.scope():\n",
            ),
        ),
        one(
            "per_replica_batch",
            "the per-replica batch is passed to fit where the global batch belongs.",
            ("batch_size=batch_size, epochs", "batch_size=batch_size // strategy.num_replicas_in_sync, epochs"),
        ),
        one(
            "scaled_batch",
            "the tutorials' BATCH_SIZE_PER_REPLICA * num_replicas_in_sync habit applied to a batch_size that already "
            "is the global batch, so each step sees twice the batch and an epoch takes half the steps.",
            ("batch_size=batch_size, epochs", "batch_size=batch_size * strategy.num_replicas_in_sync, epochs"),
        ),
        one(
            "hardcoded_batch",
            "train hard-codes the document's batch size (64) instead of passing its batch_size argument to fit; with "
            "the default batch_size it looks correct.",
            ("batch_size=batch_size, epochs", "batch_size=64, epochs"),
        ),
        one(
            "no_normalisation",
            "the images are flattened but not divided by 255.",
            (".reshape(len(x), NUM_PIXELS) / 255.0", ".reshape(len(x), NUM_PIXELS)"),
        ),
        one(
            "labels_not_one_hot",
            "the labels are left as integers instead of one-hot vectors.",
            (
                "keras.utils.to_categorical(np.asarray(y), NUM_CLASSES).astype(np.float32)",
                "np.asarray(y, dtype=np.float32)",
            ),
        ),
        one(
            "wrong_units",
            "the hidden layer has 64 units instead of 128.",
            ('keras.layers.Dense(128, activation="relu")', 'keras.layers.Dense(64, activation="relu")'),
        ),
        one("no_dropout", "the Dropout(0.2) layer is missing.", ("            keras.layers.Dropout(0.2),\n", "")),
        one(
            "loss_not_averaged",
            "train is a custom training loop that averages the loss over each replica's half batch instead of the "
            "global batch, so the summed gradient is twice too large (Adam hides it; one SGD step shows it).",
            (DATA_PARALLEL_FIT, "        model.optimizer.build(model.trainable_variables)\n" + DATA_PARALLEL_LOOP),
        ),
    ]
)

GPU_TRAINING_MAKE_DATASETS = (
    "    train_data = make_dataset(x_train, y_train, batch_size, training=True)\n"
    "    val_data = None\n"
    "    if validation_data is not None:\n"
    "        val_data = make_dataset(*validation_data, batch_size, training=False)\n"
)
GPU_TRAINING_GROWTH_ON_EVERY_GPU = (
    "        for gpu in gpus:\n            tf.config.experimental.set_memory_growth(gpu, memory_growth)\n"
)
GPU_TRAINING_PREFETCH = (
    "return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)",
    "return dataset.batch(batch_size)",
)

GPU_TRAINING = dict(
    [
        one(
            "configure_raises",
            "configure_gpus assumes a GPU exists (gpus[0]) and so raises IndexError on a machine without one.",
            ("    if not gpus:\n        return []\n", ""),
            (
                GPU_TRAINING_GROWTH_ON_EVERY_GPU,
                "        tf.config.experimental.set_memory_growth(gpus[0], memory_growth)\n",
            ),
        ),
        one(
            "seed_program",
            "the source document's choices: memory growth on the first GPU only with the error printed, a pipeline "
            "without prefetch, and no mixed precision (build_model ignores the flag).",
            (
                GPU_TRAINING_GROWTH_ON_EVERY_GPU
                + "        if max_gpus is not None:\n"
                + '            tf.config.set_visible_devices(gpus[:max_gpus], "GPU")\n'
                + "    except RuntimeError as exc:  # the runtime already initialized the GPUs\n",
                '        tf.config.set_visible_devices(gpus[0], "GPU")\n'
                + "        tf.config.experimental.set_memory_growth(gpus[0], True)\n"
                + "    except RuntimeError as exc:\n"
                + "        print(exc)\n",
            ),
            (
                "        warnings.warn(\n"
                + '            f"GPU settings left unchanged: TensorFlow already initialized its GPUs ({exc}). "\n'
                + '            "Call configure_gpus() before any TensorFlow operation.",\n'
                + "            RuntimeWarning,\n"
                + "            stacklevel=2,\n"
                + "        )\n",
                "",
            ),
            GPU_TRAINING_PREFETCH,
            ('    keras.mixed_precision.set_global_policy("mixed_float16" if mixed_precision else "float32")\n', ""),
        ),
        one(
            "fit_on_arrays",
            "train ignores make_dataset and fits on the numpy arrays (model.fit(x, y, batch_size=...)), so the "
            "shuffled, prefetched pipeline is never used; step counts and accuracy look correct.",
            (GPU_TRAINING_MAKE_DATASETS, ""),
            (
                "model.fit(train_data, epochs=epochs, validation_data=val_data, verbose=0)",
                "model.fit(\n"
                "            x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=validation_data, "
                "verbose=0\n        )",
            ),
        ),
        one(
            "float16_softmax",
            "under mixed precision the softmax runs in float16 (Dense(10, activation='softmax') inherits the "
            "mixed_float16 policy).",
            (
                '            keras.layers.Dense(NUM_CLASSES),\n            keras.layers.Activation("softmax", '
                'dtype="float32"),\n',
                '            keras.layers.Dense(NUM_CLASSES, activation="softmax"),\n',
            ),
        ),
        one(
            "hardcoded_batch",
            "train hard-codes the batch size (64) instead of passing its batch_size argument to make_dataset; with "
            "the default batch_size it looks correct.",
            (
                "make_dataset(x_train, y_train, batch_size, training=True)",
                "make_dataset(x_train, y_train, 64, training=True)",
            ),
        ),
        one("no_prefetch", "the input pipeline shuffles and batches but never prefetches.", GPU_TRAINING_PREFETCH),
        one(
            "wrong_units",
            "the hidden layer has 64 units instead of 128.",
            ('keras.layers.Dense(128, activation="relu")', 'keras.layers.Dense(64, activation="relu")'),
        ),
    ]
)

MULTI_WORKER = dict(
    [
        one(
            "model_outside_scope",
            "the model and optimizer are built outside strategy.scope(), so their variables are plain per-worker "
            "variables. The suite must say they were created outside the scope.",
            (
                "    with strategy.scope():  # variables created here are mirrored on every worker and updated with "
                "all-reduce\n        model = build_model()\n        optimizer = ",
                "    model = build_model()\n    optimizer = ",
            ),
        ),
        one(
            "no_sharding",
            "make_dataset does not shard, so every worker reads every example. The suite must say so.",
            ("    dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)\n", ""),
        ),
        one(
            "reduce_mean_loss",
            "each replica averages its loss over its own examples (reduce_mean), so with 2 workers the summed "
            "gradients are twice too large. The suite must say the loss is not scaled by the global batch.",
            (
                "return tf.nn.compute_average_loss(per_example_loss, global_batch_size=global_batch_size)",
                "return tf.reduce_mean(per_example_loss)",
            ),
        ),
        one(
            "worker_one_crashes",
            "worker 1 exits in the middle of training (as if its machine went away) while worker 0 waits for it in "
            "the all-reduce. The launcher must stop worker 0 and name worker 1.",
            ("import tensorflow as tf\n", "import json\nimport os\n\nimport tensorflow as tf\n"),
            (
                "            steps += 1\n",
                "            steps += 1\n"
                '            if steps == 2 and json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:\n'
                "                os._exit(3)\n",
            ),
        ),
    ]
)

MUTANTS = {"data_parallel": DATA_PARALLEL, "gpu_training": GPU_TRAINING, "multi_worker": MULTI_WORKER}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in MUTANTS:
        print(f"usage: python -m tests.exercises.mutants {{{','.join(MUTANTS)}}} FOLDER", file=sys.stderr)
        return 2
    exercise, folder = argv[0], Path(argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for name in MUTANTS[exercise]:
        print(write_mutant(exercise, name, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
