"""The exercise's stub: the tests create Clock objects and compare them, so they need the solution's own objects."""


class Clock:
    def __init__(self, hour, minute):
        raise NotImplementedError
