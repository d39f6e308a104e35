"""Raises what the tests expect in one place, the wrong type in another, and crashes in a third."""


class ConfigError(ValueError):
    """A setting that cannot work."""


def check_batch(batch, replicas):
    if batch % replicas:
        raise ValueError(f"a global batch of {batch} does not split over {replicas} replicas")
    return batch // replicas


def check_policy(name):
    if name not in ("float32", "mixed_float16", "mixed_bfloat16"):
        raise KeyError(name)
    return name


def check_growth(gpus):
    raise ConfigError("memory growth must be set on every GPU, before any is initialized")


def check_steps(steps):
    return steps.upper()
