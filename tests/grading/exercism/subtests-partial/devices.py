"""Off by one in device names; replicas wrong only for the empty list."""


def device_name(kind, index):
    return f"{kind}:{index + 1}"


def replicas(devices):
    return max(1, len(devices))
