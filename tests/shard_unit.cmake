nd_unit_test(test_shard test_shard.c)
