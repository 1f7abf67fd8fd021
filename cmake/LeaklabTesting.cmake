# Test helpers shared by lib/, apps/, harness/ and cases/.

# The gate is a program (harness/tools/memcheck-run.c), built with the checker.
set(LEAKLAB_MEMCHECK_RUN $<TARGET_FILE:memcheck-run>)
set(LEAKLAB_SUPPRESSIONS ${PROJECT_SOURCE_DIR}/harness/tools/valgrind.supp)

# leaklab_memcheck_test(NAME name COMMAND exe args... [LABELS ...] [TIMEOUT s])
# Runs the command under memcheck and fails on any error, any definitely,
# indirectly or possibly lost byte, or any fd the program opened and left
# open at exit. Registered only when Valgrind tests are on.
function(leaklab_memcheck_test)
  cmake_parse_arguments(MT "" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  if(NOT LEAKLAB_VALGRIND_TESTS)
    return()
  endif()
  if(NOT MT_TIMEOUT)
    set(MT_TIMEOUT 120)
  endif()
  add_test(NAME ${MT_NAME}
           COMMAND ${LEAKLAB_MEMCHECK_RUN} --suppressions ${LEAKLAB_SUPPRESSIONS} -- ${MT_COMMAND})
  set_tests_properties(${MT_NAME} PROPERTIES TIMEOUT ${MT_TIMEOUT}
                       LABELS "valgrind;${MT_LABELS}")
endfunction()

# The style check (label quick): fails when clang-format would change any C
# file in the repository, skipped (exit 77) where clang-format is missing.
find_program(LEAKLAB_CLANG_FORMAT NAMES clang-format-14 clang-format)
if(LEAKLAB_CLANG_FORMAT)
  add_test(NAME style/clang-format
           COMMAND env CLANG_FORMAT=${LEAKLAB_CLANG_FORMAT} sh ${PROJECT_SOURCE_DIR}/cmake/check-format.sh)
  set_tests_properties(style/clang-format PROPERTIES TIMEOUT 60 LABELS "style;quick"
                       SKIP_RETURN_CODE 77)
endif()
