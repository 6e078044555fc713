# Unit tests of the signature store (src/store*.c, src/codec.c; docs/FORMAT.md).
# Included by tests/CMakeLists.txt, which defines nd_unit_test(name sources...).
nd_unit_test(test_store test_store.c)
