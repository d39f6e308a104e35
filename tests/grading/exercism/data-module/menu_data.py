"""The data the solution imports, shipped beside it (as Exercism's cater-waiter ships sets_categories_data.py)."""
DISHES = {"salad": {"lettuce", "tomato"}}
