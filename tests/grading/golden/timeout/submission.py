def add(a, b):
    return a + b


def train(values, epochs=1):
    while epochs:
        pass
