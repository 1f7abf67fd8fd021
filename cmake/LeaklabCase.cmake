# leaklab_case(): the one call in cases/NN-slug/CMakeLists.txt.
#
#   leaklab_case(NAME 01-unclosed-connection
#                SCENARIO connect-drop
#                LOAD 20
#                EXPECT fds heap
#                [MEMCHECK_EXPECT fds heap lost]
#                [REQUEST "text of the request scenario"]
#                [SUMMARY "one line for listings"]
#                [PROGRAM_ARGS --knob 50 ...])
#
# Builds NN-slug-leak and NN-slug-fixed (from leak.c and fixed.c beside
# the calling CMakeLists.txt, linked to leaklab) into build/bin, writes the
# manifest build/cases/NN-slug.manifest that `leaklab-check --case NN-slug`
# reads, and registers the tests
#
#   NN-slug/leak/native     NN-slug/fixed/native      (labels case;NN;leak|fixed;quick)
#   NN-slug/leak/memcheck   NN-slug/fixed/memcheck    (labels case;NN;leak|fixed;valgrind,
#                                                      only with LEAKLAB_VALGRIND_TESTS)
#
# Each test runs leaklab-check with explicit arguments: a leak test passes
# only when the signals it names are observed (never WILL_FAIL, which would
# take a crash for a pass); a fixed test passes only when every signal is
# clean. EXPECT names what the leak shows natively (threads, fds, heap);
# MEMCHECK_EXPECT what it shows under memcheck (threads, fds, heap, lost),
# by default the same as EXPECT.

# The scenarios and signals leaklab-check knows (harness/scenario.c, harness/judge.c).
function(_leaklab_case_check_signals what)
  set(known threads fds heap lost)
  foreach(s IN LISTS ARGN)
    if(NOT s IN_LIST known)
      message(FATAL_ERROR "leaklab_case: unknown signal '${s}' in ${what} (one of: ${known})")
    endif()
  endforeach()
endfunction()

function(leaklab_case)
  cmake_parse_arguments(LC "" "NAME;SCENARIO;LOAD;REQUEST;SUMMARY"
                        "EXPECT;MEMCHECK_EXPECT;PROGRAM_ARGS" ${ARGN})
  if(LC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "leaklab_case: unexpected arguments: ${LC_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT LC_NAME MATCHES "^([0-9][0-9])-[a-z0-9-]+$")
    message(FATAL_ERROR "leaklab_case: NAME must look like 01-some-slug, not '${LC_NAME}'")
  endif()
  set(num ${CMAKE_MATCH_1})
  set(scenarios
      connect-close connect-drop silent-peer no-close-reply burst bad-handshake request)
  if(NOT LC_SCENARIO IN_LIST scenarios)
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): SCENARIO must be one of ${scenarios}")
  endif()
  if(NOT LC_LOAD MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): LOAD must be a positive number")
  endif()
  if(NOT LC_EXPECT)
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): EXPECT names the signals the leak shows")
  endif()
  _leaklab_case_check_signals(EXPECT ${LC_EXPECT})
  if(NOT LC_MEMCHECK_EXPECT)
    set(LC_MEMCHECK_EXPECT ${LC_EXPECT})
  endif()
  _leaklab_case_check_signals(MEMCHECK_EXPECT ${LC_MEMCHECK_EXPECT})
  if(LC_SCENARIO STREQUAL "request" AND NOT DEFINED LC_REQUEST)
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): the request scenario needs REQUEST")
  endif()
  foreach(text IN ITEMS "${LC_REQUEST}" "${LC_SUMMARY}")
    if(text MATCHES "[\r\n]")
      message(FATAL_ERROR "leaklab_case(${LC_NAME}): REQUEST and SUMMARY are one line each")
    endif()
  endforeach()

  foreach(variant IN ITEMS leak fixed)
    add_executable(${LC_NAME}-${variant} ${CMAKE_CURRENT_SOURCE_DIR}/${variant}.c)
    target_link_libraries(${LC_NAME}-${variant} PRIVATE leaklab leaklab_warnings)
    # build/bin, where the launcher and the docs name them, from any directory.
    set_target_properties(${LC_NAME}-${variant} PROPERTIES
                          RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  endforeach()

  # The manifest: key=value lines, read by harness/manifest.c.
  string(REPLACE ";" " " expect_words "${LC_EXPECT}")
  string(REPLACE ";" " " mexpect_words "${LC_MEMCHECK_EXPECT}")
  set(m "# written by leaklab_case() in cmake/LeaklabCase.cmake; read by leaklab-check --case\n")
  string(APPEND m "name=${LC_NAME}\n")
  if(DEFINED LC_SUMMARY)
    string(APPEND m "summary=${LC_SUMMARY}\n")
  endif()
  string(APPEND m "scenario=${LC_SCENARIO}\n")
  string(APPEND m "load=${LC_LOAD}\n")
  string(APPEND m "expect=${expect_words}\n")
  string(APPEND m "memcheck_expect=${mexpect_words}\n")
  if(DEFINED LC_REQUEST)
    string(APPEND m "request=${LC_REQUEST}\n")
  endif()
  foreach(arg IN LISTS LC_PROGRAM_ARGS)
    string(APPEND m "program_arg=${arg}\n")
  endforeach()
  string(APPEND m "leak=$<TARGET_FILE:${LC_NAME}-leak>\n")
  string(APPEND m "fixed=$<TARGET_FILE:${LC_NAME}-fixed>\n")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/cases/${LC_NAME}.manifest CONTENT "${m}")
  set_property(GLOBAL APPEND PROPERTY LEAKLAB_CASES ${LC_NAME})

  # The tests: explicit arguments, so each asserts exactly its signals.
  set(common --scenario ${LC_SCENARIO} --load ${LC_LOAD})
  if(DEFINED LC_REQUEST)
    list(APPEND common --request "${LC_REQUEST}")
  endif()
  foreach(arg IN LISTS LC_PROGRAM_ARGS)
    list(APPEND common "--program-arg=${arg}")
  endforeach()
  string(REPLACE ";" "," expect_arg "${LC_EXPECT}")
  string(REPLACE ";" "," mexpect_arg "${LC_MEMCHECK_EXPECT}")

  foreach(variant IN ITEMS leak fixed)
    set(prog --program $<TARGET_FILE:${LC_NAME}-${variant}> --variant ${variant})
    add_test(NAME ${LC_NAME}/${variant}/native
             COMMAND leaklab-check ${prog} ${common} --expect ${expect_arg} --native)
    set_tests_properties(${LC_NAME}/${variant}/native PROPERTIES
                         TIMEOUT 60 LABELS "case;${num};${variant};quick")
    if(LEAKLAB_VALGRIND_TESTS)
      add_test(NAME ${LC_NAME}/${variant}/memcheck
               COMMAND leaklab-check ${prog} ${common} --expect ${mexpect_arg} --memcheck)
      set_tests_properties(${LC_NAME}/${variant}/memcheck PROPERTIES
                           TIMEOUT 120 LABELS "case;${num};${variant};valgrind")
    endif()
  endforeach()
endfunction()
