import unittest

import pytest

from loss import explain, mean_loss


class LossTest(unittest.TestCase):
    @pytest.mark.task(taskno=1)
    def test_mean_over_the_global_batch(self):
        cases = [([1.0, 3.0], 4, 1.0), ([2.0, 2.0], 8, 0.5), ([4.0], 2, 2.0)]
        for variant, (losses, batch, expected) in enumerate(cases, start=1):
            with self.subTest(f"variation #{variant}", losses=losses, batch=batch):
                self.assertEqual(mean_loss(losses, batch), expected,
                                 msg=f"expected {expected} for {losses} over a global batch of {batch}")

    @pytest.mark.task(taskno=2)
    def test_explanation(self):
        for variant, step in enumerate([1, 2], start=1):
            with self.subTest(f"variation #{variant}", step=step):
                self.assertEqual(explain(step), "divide by the global batch")
