import unittest

import pytest

try:
    from schedule import WARMUP_FRACTION, warmup_steps
except ImportError as import_fail:
    message = import_fail.args[0].split("(", maxsplit=1)
    item_name = import_fail.args[0].split()[3]
    raise ImportError(f"\n\nMISSING NAME --> We can not find or import {item_name} in your "
                      "'schedule.py' file. Did you misname or forget to define it?") from None


class ScheduleTest(unittest.TestCase):
    @pytest.mark.task(taskno=1)
    def test_fraction(self):
        self.assertEqual(WARMUP_FRACTION, 0.1)

    @pytest.mark.task(taskno=1)
    def test_warmup(self):
        self.assertEqual(warmup_steps(1000), 100)
