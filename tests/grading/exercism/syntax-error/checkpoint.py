def latest_step(names)
    return max(int(name.split("-")[1]) for name in names)
