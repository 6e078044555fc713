# Unit tests of the library stages (cmocka). Included by tests/CMakeLists.txt,
# which defines nd_unit_test(name sources...): each test reaches the stages
# through src/internal.h and links the static library.
nd_unit_test(test_segment test_segment.c)
nd_unit_test(test_normalize test_normalize.c)
nd_unit_test(test_shingle test_shingle.c)
nd_unit_test(test_minhash test_minhash.c)
nd_unit_test(test_lsh test_lsh.c)
nd_unit_test(test_params test_params.c)
# Counts calls of the C library's allocator made while a handle has its own.
target_link_options(test_params PRIVATE "LINKER:--wrap=malloc,--wrap=calloc,--wrap=realloc")
nd_unit_test(test_doc test_doc.c)
nd_unit_test(test_meta test_meta.c)
nd_unit_test(test_html test_html.c)
