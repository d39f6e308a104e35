import unittest

import pytest

from devices import device_name, replicas


class DevicesTest(unittest.TestCase):
    @pytest.mark.task(taskno=1)
    def test_device_name(self):
        cases = [("gpu", 0, "gpu:0"), ("gpu", 1, "gpu:1"), ("cpu", 0, "cpu:0")]
        for variant, (kind, index, expected) in enumerate(cases, start=1):
            with self.subTest(f"variation #{variant}", kind=kind, index=index):
                self.assertEqual(device_name(kind, index), expected)

    @pytest.mark.task(taskno=2)
    def test_replicas(self):
        cases = [(["gpu:0"], 1), ([], 0), (["gpu:0", "gpu:1"], 2)]
        for variant, (devices, expected) in enumerate(cases, start=1):
            with self.subTest(f"variation #{variant}", devices=devices):
                self.assertEqual(replicas(devices), expected)


class CountTest(unittest.TestCase):
    @pytest.mark.task(taskno=2)
    def test_twelve_replicas(self):
        for variant, count in enumerate(range(1, 13), start=1):
            with self.subTest(f"variation #{variant}", count=count):
                self.assertEqual(replicas(["gpu:0"] * count), count)
