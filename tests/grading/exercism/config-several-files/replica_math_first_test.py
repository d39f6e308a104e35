import unittest

from replica_math import global_from, per_replica


class ReplicaMathFirstTest(unittest.TestCase):
    def test_split(self):
        self.assertEqual(per_replica(256, 4), 64)

    def test_join(self):
        self.assertEqual(global_from(64, 4), 256)


class ReplicaMathFirstOtherTest(unittest.TestCase):
    def test_one_replica(self):
        self.assertEqual(per_replica(32, 1), 32)
