import unittest

from replica_math import global_from, per_replica


class ReplicaMathSecondTest(unittest.TestCase):
    def test_round_trip(self):
        self.assertEqual(global_from(per_replica(512, 8), 8), 512)

    def test_eight(self):
        self.assertEqual(per_replica(512, 8), 64)
