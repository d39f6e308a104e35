def add(a, b)
    return a + b


def train(values, epochs=1):
    return sum(values) / len(values)
