import unittest

from queue_ops import add_item, count, sorted_copy


class QueueTest(unittest.TestCase):
    def test_adds_in_place(self):
        queue = ["a"]
        result = add_item(queue, "b")
        self.assertIs(result, queue)
        self.assertEqual(queue, ["a", "b"])

    def test_does_not_mutate_input(self):
        items = [3, 1, 2]
        self.assertEqual(sorted_copy(items), [1, 2, 3])
        self.assertEqual(items, [3, 1, 2])

    def test_counts_in_the_dict(self):
        d = {}
        count(d, "x")
        count(d, key="x")
        self.assertEqual(d, {"x": 2})
