from shard import shard, shard_sizes


def test_first_shard():
    assert shard(list(range(6)), 0, 2) == [0, 2, 4]


def test_sizes_add_up():
    assert sum(shard_sizes(10, 3)) == 10


def test_sizes_are_even(subtests):
    for total in (6, 7):
        with subtests.test(msg=f"total {total}", total=total):
            sizes = shard_sizes(total, 2)
            assert max(sizes) == min(sizes)


def test_shards_as_tuple():
    assert tuple(shard([1, 2, 3, 4], 1, 2)) == (2, 4)
