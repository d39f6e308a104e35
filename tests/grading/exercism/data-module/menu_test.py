import unittest
from menu import ingredients

class MenuTest(unittest.TestCase):
    def test_salad(self):
        self.assertEqual(ingredients("salad"), {"lettuce", "tomato"})
