"""The toy exercise's reference solution."""


def add(a, b):
    return a + b


def train(values, epochs=1):
    total = 0.0
    for _ in range(epochs):
        total = sum(values)
    return total / len(values)
