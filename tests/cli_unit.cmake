# CLI unit tests: the input layer (src/cli/input.c) and the JSON helpers
# (src/cli/json.c). include() this from tests/CMakeLists.txt, which provides
# CMOCKA_LIBRARY, CMOCKA_INCLUDE_DIR and ND_WARNINGS. The CLI sources are not
# part of libneardup, so they are compiled straight into the test programs.
set(ND_CLI_SRC_DIR ${PROJECT_SOURCE_DIR}/src/cli)

add_executable(test_cli_json
  ${CMAKE_CURRENT_LIST_DIR}/test_cli_json.c
  ${ND_CLI_SRC_DIR}/json.c)
add_executable(test_cli_input
  ${CMAKE_CURRENT_LIST_DIR}/test_cli_input.c
  ${ND_CLI_SRC_DIR}/input.c
  ${ND_CLI_SRC_DIR}/jsonl.c
  ${ND_CLI_SRC_DIR}/ids.c
  ${ND_CLI_SRC_DIR}/warc.c
  ${ND_CLI_SRC_DIR}/warc_doc.c
  ${ND_CLI_SRC_DIR}/json.c)
add_executable(test_warc
  ${CMAKE_CURRENT_LIST_DIR}/test_warc.c
  ${ND_CLI_SRC_DIR}/warc.c
  ${ND_CLI_SRC_DIR}/warc_doc.c
  ${ND_CLI_SRC_DIR}/json.c)

foreach(nd_cli_test test_cli_json test_cli_input test_warc)
  target_include_directories(${nd_cli_test} PRIVATE ${ND_CLI_SRC_DIR} ${CMOCKA_INCLUDE_DIR})
  target_compile_options(${nd_cli_test} PRIVATE ${ND_WARNINGS})
  target_link_libraries(${nd_cli_test} PRIVATE ${CMOCKA_LIBRARY} ZLIB::ZLIB)
  add_test(NAME ${nd_cli_test} COMMAND ${nd_cli_test})
endforeach()
# the reader takes sources from URLs and dates through the library (meta.c)
target_link_libraries(test_cli_input PRIVATE neardup_static)
target_link_libraries(test_warc PRIVATE neardup_static)

# test_cli_input writes ~100 MB under $TMPDIR (default /tmp) for its
# long-line case and forks writer processes for the standard-input cases.
set_tests_properties(test_cli_input PROPERTIES TIMEOUT 300)
