"""Batch sizes under data parallelism."""


def global_batch(per_replica, replicas):
    """The batch one step consumes across all replicas."""
    return per_replica * replicas


def steps_per_epoch(examples, batch):
    """Steps to see every example once; a last partial batch counts."""
    return examples // batch


def scaled_learning_rate(base, replicas):
    """The linear scaling rule."""
    return base * replicas
