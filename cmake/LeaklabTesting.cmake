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

# Go's build cache is the one Go itself uses by default, the user's
# ($GOCACHE, else $XDG_CACHE_HOME/go-build or ~/.cache/go-build): it is
# content-addressed, so build trees share it safely, and a second one (a
# fresh clone, another preset) links the twins from it instead of
# compiling the standard library, gorilla and Gin again, which a cold
# cache took 35 s of the build for. With no home, the build tree's own.
# Set here, before any test folder, as every Go build shares it: the
# twins and their go tests (LeaklabTwin.cmake), the probe's gorilla
# server and the detectors' go tests (given it as GOCACHE).
if(NOT "$ENV{GOCACHE}" STREQUAL "")
  set(_leaklab_go_cache "$ENV{GOCACHE}")
elseif(NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
  set(_leaklab_go_cache "$ENV{XDG_CACHE_HOME}/go-build")
elseif(NOT "$ENV{HOME}" STREQUAL "")
  set(_leaklab_go_cache "$ENV{HOME}/.cache/go-build")
else()
  set(_leaklab_go_cache "${CMAKE_BINARY_DIR}/go-cache")
endif()
set(LEAKLAB_GO_CACHE "${_leaklab_go_cache}" CACHE PATH "Go's build cache for the twins, the probe's and the detectors' Go builds")
