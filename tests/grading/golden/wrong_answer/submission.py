def add(a, b):
    return a + b + 1


def train(values, epochs=1):
    return sum(values) / len(values)
