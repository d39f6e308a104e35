import unittest

from guard import ConfigError, check_batch, check_growth, check_policy, check_steps


class GuardTest(unittest.TestCase):
    def test_batch_that_does_not_split(self):
        with self.assertRaises(ValueError) as err:
            check_batch(10, 4)
        self.assertEqual(err.exception.args[0], "a global batch of 10 does not split over 4 replicas")

    def test_batch_that_splits(self):
        self.assertEqual(check_batch(12, 4), 3)

    def test_unknown_policy_is_a_value_error(self):
        with self.assertRaises(ValueError):
            check_policy("float8")

    def test_growth_raises_its_own_error(self):
        with self.assertRaisesRegex(ConfigError, "every GPU"):
            check_growth(["/gpu:0"])

    def test_own_error_is_a_value_error(self):
        with self.assertRaises(ValueError):
            check_growth([])

    def test_steps_crash(self):
        self.assertEqual(check_steps(10), 10)
