# Unit tests of collections (corpus.c, detect.c, nd__lsh_chain). Included by
# tests/CMakeLists.txt, which defines nd_unit_test(name sources...).
nd_unit_test(test_corpus test_corpus.c)
