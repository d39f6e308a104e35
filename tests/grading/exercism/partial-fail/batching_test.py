import unittest

from batching import global_batch, scaled_learning_rate, steps_per_epoch


class BatchingTest(unittest.TestCase):
    def test_global_batch(self):
        self.assertEqual(global_batch(64, 8), 512)

    def test_steps_round_up(self):
        self.assertEqual(steps_per_epoch(1000, 512), 2)

    def test_steps_exact(self):
        self.assertEqual(steps_per_epoch(1024, 512), 2)


class LearningRateTest(unittest.TestCase):
    def test_linear_scaling(self):
        self.assertAlmostEqual(scaled_learning_rate(0.1, 4), 0.4)


if __name__ == "__main__":
    unittest.main()
