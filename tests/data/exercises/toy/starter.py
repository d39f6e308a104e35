"""Fill in the two functions."""


def add(a, b):
    raise NotImplementedError


def train(values, epochs=1):
    raise NotImplementedError
