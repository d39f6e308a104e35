from menu_data import DISHES

def ingredients(dish):
    return DISHES[dish]
