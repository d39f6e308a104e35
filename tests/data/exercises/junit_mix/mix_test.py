"""One of each outcome JUnit has to carry: a pass, a failure, an error, a skip, and subtests."""
import unittest

import pytest

from mix import double, half


class MixTest(unittest.TestCase):
    def test_double(self):
        self.assertEqual(double(2), 4)

    def test_half(self):
        self.assertEqual(half(4), 2)

    @unittest.skip("not graded this term")
    def test_later(self):
        self.assertEqual(double(0), 0)

    def test_variations(self):
        for variant, n in enumerate([1, 2, 3], start=1):
            with self.subTest(f"variation #{variant}", n=n):
                self.assertEqual(double(n), n * 2)


@pytest.fixture
def broken_setup():
    raise RuntimeError("the exercise's own fixture broke")


def test_with_a_broken_setup(broken_setup):
    assert double(1) == 2
