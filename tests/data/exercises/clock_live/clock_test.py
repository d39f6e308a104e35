import unittest

from clock import Clock


class ClockTest(unittest.TestCase):
    def test_on_the_hour(self):
        self.assertEqual(str(Clock(8, 0)), "08:00")

    def test_wraps_past_midnight(self):
        self.assertEqual(Clock(25, 30), Clock(1, 30))
