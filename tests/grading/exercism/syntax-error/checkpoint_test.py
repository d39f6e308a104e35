import unittest

from checkpoint import latest_step


class CheckpointTest(unittest.TestCase):
    def test_latest_step(self):
        self.assertEqual(latest_step(["ckpt-1", "ckpt-20", "ckpt-3"]), 20)
