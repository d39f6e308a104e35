import numpy_typo_that_does_not_exist


def add(a, b):
    return a + b
