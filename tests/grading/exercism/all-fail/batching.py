"""Every answer is off."""


def global_batch(per_replica, replicas):
    return per_replica


def steps_per_epoch(examples, batch):
    return examples / batch


def scaled_learning_rate(base, replicas):
    return base
