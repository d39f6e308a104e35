def shard(examples, index, count):
    return examples[index::count]


def shard_sizes(total, count):
    return [len(range(i, total, count)) for i in range(count)]
