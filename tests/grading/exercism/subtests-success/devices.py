"""Devices a MirroredStrategy would use."""


def device_name(kind, index):
    return f"{kind}:{index}"


def replicas(devices):
    return len(devices)
