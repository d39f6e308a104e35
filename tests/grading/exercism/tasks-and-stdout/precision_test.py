import unittest

import pytest

from precision import compute_dtype, output_dtype, variable_dtype


class PrecisionTest(unittest.TestCase):
    @pytest.mark.task(taskno=1)
    def test_compute_dtype_of_mixed_float16(self):
        self.assertEqual(compute_dtype("mixed_float16"), "float16")

    @pytest.mark.task(taskno=1)
    def test_compute_dtype_of_float32(self):
        self.assertEqual(compute_dtype("float32"), "float32")

    @pytest.mark.task(taskno=2)
    def test_variables_stay_float32(self):
        self.assertEqual(variable_dtype("mixed_float16"), "float32",
                         msg="variables stay float32 under a mixed policy")

    @pytest.mark.task(taskno=3)
    def test_the_output_is_float32(self):
        self.assertEqual(output_dtype(), "float32")


if __name__ == "__main__":
    unittest.main()
