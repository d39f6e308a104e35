"""Forgot the constant."""


def warmup_steps(total):
    return total // 10
