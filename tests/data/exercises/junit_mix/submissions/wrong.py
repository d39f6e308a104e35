def double(n):
    print("doubling", n)
    return n * 2 if n != 3 else 7


def half(n):
    return n / 3
