# leaklab_case(): the one call in cases/NN-slug/CMakeLists.txt.
#
#   leaklab_case(NAME 01-unclosed-connection
#                SCENARIO connect-drop
#                LOAD 20
#                EXPECT fds heap
#                [MEMCHECK_EXPECT fds heap lost]
#                [MODE memcheck|drd]
#                BEHAVIOUR "echo" ["reply TEXT => EXPECTED" ...]
#                VERIFY connect-drop connect-close burst bad-handshake
#                [REQUEST "text of the request scenario"]
#                [PATH "/?id=alice&token=..."] [BAD_PATH "/?id=alice&token=00"]
#                [FAULT_WALK LOAD_N]
#                [SETTLE_MS 500]  (counts must hold still this long, at least:
#                                  for a fix whose own deadlines are longer)
#                [SUMMARY "one line for listings"]
#                [PROGRAM_ARGS --knob 50 ...])
#
# Builds NN-slug-leak and NN-slug-fixed (from leak.c and fixed.c beside
# the calling CMakeLists.txt, with any other .c there, linked to leaklab)
# into build/bin, writes the
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
#
# MODE names the case's checker, the Valgrind tool its tests and the
# course's verify run beside the native check: memcheck (the default), or
# drd for a race, whose tests are then NN-slug/leak/drd and
# NN-slug/fixed/drd (labels case;NN;leak|fixed;valgrind;race) and whose
# MEMCHECK_EXPECT is what the leak shows under DRD (race: DRD's race
# reports). The race signal natively is frames the clients saw broken.
#
# BEHAVIOUR names the case's observable feature, one check per string
# (harness/check/drive/behaviour.h: echo, reply TEXT => EXPECTED, pings MS, sessions
# QUERY K, isolated K, stays MS, closes TEXT CODE, audit QUERY K,
# upgrade PATH => STATUS, broadcast K, close-notify). Every
# check of either variant runs it first: the leak variant is correct
# software that leaks, and a "fix" that deletes the feature is no fix.
# VERIFY lists the exit paths a fix must be clean on: the fixed tests,
# and the course's ./leaklab verify, drive every one of them in turn, so
# a fix of one path only is caught.
#
# PATH is the upgrade's path and query for every client (a valid token,
# say); BAD_PATH the bad-token scenario's, which must be answered 401.
# FAULT_WALK N adds NN-slug/leak|fixed/faults/native|memcheck (labels
# case;NN;...;faults): the fault-walk scenario, N walks a step, each
# failing the program's 1st, 2nd, ... allocation of the handshake path in
# turn until one goes through; the program gets --fault-injection 1. The
# leak must grow with the walks (heap, and lost under memcheck); the fix
# must stay flat with nothing lost for every allocation that failed.
#
# The course: NN-slug-exercise (not built by default) compiles the
# student's file exactly as leak.c and fixed.c are compiled, with
# -Werror. Its source, BUILD/exercises/NN-slug.c, is a one-line wrapper
# that ./leaklab verify writes to #include the file being verified, so the
# compiler's messages and Valgrind's stacks name the student's own file.

# The twins in Go, Node.js and Python (leaklab_twin(), called before this).
include(${CMAKE_CURRENT_LIST_DIR}/LeaklabTwin.cmake)

# The scenarios and signals leaklab-check knows (harness/check/drive/scenario.c, harness/check/judge/judge.c).
function(_leaklab_case_check_signals what)
  set(known threads fds heap lost race)
  foreach(s IN LISTS ARGN)
    if(NOT s IN_LIST known)
      message(FATAL_ERROR "leaklab_case: unknown signal '${s}' in ${what} (one of: ${known})")
    endif()
  endforeach()
endfunction()

function(leaklab_case)
  cmake_parse_arguments(LC "" "NAME;SCENARIO;LOAD;REQUEST;SUMMARY;SETTLE_MS;PATH;BAD_PATH;FAULT_WALK;MODE"
                        "EXPECT;MEMCHECK_EXPECT;PROGRAM_ARGS;BEHAVIOUR;VERIFY" ${ARGN})
  if(LC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "leaklab_case: unexpected arguments: ${LC_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT LC_NAME MATCHES "^([0-9][0-9])-[a-z0-9-]+$")
    message(FATAL_ERROR "leaklab_case: NAME must look like 01-some-slug, not '${LC_NAME}'")
  endif()
  set(num ${CMAKE_MATCH_1})
  set(scenarios
      connect-close connect-drop silent-peer no-close-reply burst bad-handshake request
      bad-token fault-walk tls tls-bad slow-consumer shutdown reset-unread
      silent-start burst-large silent-connect slow-publisher)
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
  if(NOT DEFINED LC_MODE)
    set(LC_MODE memcheck)
  endif()
  if(NOT LC_MODE MATCHES "^(memcheck|drd)$")
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): MODE is memcheck or drd, not '${LC_MODE}'")
  endif()
  if(NOT LC_BEHAVIOUR)
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): BEHAVIOUR names the feature a fix must keep")
  endif()
  if(NOT LC_VERIFY)
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): VERIFY lists the exit paths a fix must survive")
  endif()
  foreach(sc IN LISTS LC_VERIFY)
    if(NOT sc IN_LIST scenarios)
      message(FATAL_ERROR "leaklab_case(${LC_NAME}): VERIFY: unknown scenario '${sc}'")
    endif()
  endforeach()
  if(LC_SCENARIO STREQUAL "request" AND NOT DEFINED LC_REQUEST)
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): the request scenario needs REQUEST")
  endif()
  if(DEFINED LC_FAULT_WALK AND NOT LC_FAULT_WALK MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "leaklab_case(${LC_NAME}): FAULT_WALK is the walks per step, a positive number")
  endif()
  foreach(text IN ITEMS "${LC_REQUEST}" "${LC_SUMMARY}" "${LC_PATH}" "${LC_BAD_PATH}" ${LC_BEHAVIOUR})
    if(text MATCHES "[\r\n]")
      message(FATAL_ERROR "leaklab_case(${LC_NAME}): REQUEST, SUMMARY and BEHAVIOUR are one line each")
    endif()
  endforeach()

  # Any other .c beside leak.c and fixed.c is a part both variants share
  # that the case does not teach (09's upstream.c, 10's auth.c): it is
  # compiled into both, and into the student's exercise.
  file(GLOB shared CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  list(REMOVE_ITEM shared ${CMAKE_CURRENT_SOURCE_DIR}/leak.c ${CMAKE_CURRENT_SOURCE_DIR}/fixed.c)
  foreach(variant IN ITEMS leak fixed)
    add_executable(${LC_NAME}-${variant} ${CMAKE_CURRENT_SOURCE_DIR}/${variant}.c ${shared})
    target_link_libraries(${LC_NAME}-${variant} PRIVATE leaklab leaklab_warnings)
    # build/bin, where the launcher and the docs name them, from any directory.
    set_target_properties(${LC_NAME}-${variant} PROPERTIES
                          RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  endforeach()

  # The student's build (./leaklab verify): the same flags, -Werror always.
  set(wrapper ${CMAKE_BINARY_DIR}/exercises/${LC_NAME}.c)
  set_source_files_properties(${wrapper} PROPERTIES GENERATED TRUE)
  add_executable(${LC_NAME}-exercise EXCLUDE_FROM_ALL ${wrapper} ${shared})
  target_include_directories(${LC_NAME}-exercise PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${LC_NAME}-exercise PRIVATE leaklab leaklab_warnings)
  target_compile_options(${LC_NAME}-exercise PRIVATE -Werror)
  set_target_properties(${LC_NAME}-exercise PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)

  # The manifest: key=value lines, read by harness/check/manifest.c.
  string(REPLACE ";" " " expect_words "${LC_EXPECT}")
  string(REPLACE ";" " " mexpect_words "${LC_MEMCHECK_EXPECT}")
  set(m "# written by leaklab_case() in cmake/LeaklabCase.cmake; read by leaklab-check --case\n")
  string(APPEND m "name=${LC_NAME}\n")
  if(DEFINED LC_SUMMARY)
    string(APPEND m "summary=${LC_SUMMARY}\n")
  endif()
  string(APPEND m "scenario=${LC_SCENARIO}\n")
  string(APPEND m "load=${LC_LOAD}\n")
  if(DEFINED LC_SETTLE_MS)
    if(NOT LC_SETTLE_MS MATCHES "^[1-9][0-9]*$")
      message(FATAL_ERROR "leaklab_case(${LC_NAME}): SETTLE_MS must be a positive number")
    endif()
    string(APPEND m "settle_ms=${LC_SETTLE_MS}\n")
  endif()
  string(APPEND m "expect=${expect_words}\n")
  string(APPEND m "memcheck_expect=${mexpect_words}\n")
  string(APPEND m "mode=${LC_MODE}\n")
  if(DEFINED LC_REQUEST)
    string(APPEND m "request=${LC_REQUEST}\n")
  endif()
  if(DEFINED LC_PATH)
    string(APPEND m "path=${LC_PATH}\n")
  endif()
  if(DEFINED LC_BAD_PATH)
    string(APPEND m "bad_path=${LC_BAD_PATH}\n")
  endif()
  foreach(arg IN LISTS LC_PROGRAM_ARGS)
    string(APPEND m "program_arg=${arg}\n")
  endforeach()
  foreach(b IN LISTS LC_BEHAVIOUR)
    string(APPEND m "behaviour=${b}\n")
  endforeach()
  string(REPLACE ";" " " verify_words "${LC_VERIFY}")
  string(APPEND m "verify=${verify_words}\n")
  string(APPEND m "source=${CMAKE_CURRENT_SOURCE_DIR}\n")
  string(APPEND m "exercise=${CMAKE_BINARY_DIR}/bin/${LC_NAME}-exercise\n")
  string(APPEND m "leak=$<TARGET_FILE:${LC_NAME}-leak>\n")
  string(APPEND m "fixed=$<TARGET_FILE:${LC_NAME}-fixed>\n")

  # The twins (cmake/LeaklabTwin.cmake): built, named in the manifest, and
  # tested with this case's arguments.
  set(twin_common)
  foreach(b IN LISTS LC_BEHAVIOUR)
    list(APPEND twin_common "--behaviour=${b}")
  endforeach()
  if(DEFINED LC_REQUEST)
    list(APPEND twin_common --request "${LC_REQUEST}")
  endif()
  foreach(arg IN LISTS LC_PROGRAM_ARGS)
    list(APPEND twin_common "--program-arg=${arg}")
  endforeach()
  string(REPLACE ";" "," twin_verify "${LC_VERIFY}")
  _leaklab_case_twins(${LC_NAME} m "--scenario;${LC_SCENARIO}" "--scenario;${twin_verify}"
                      ${LC_LOAD} ${twin_common})
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/cases/${LC_NAME}.manifest CONTENT "${m}")
  set_property(GLOBAL APPEND PROPERTY LEAKLAB_CASES ${LC_NAME})

  # The tests. Both variants must pass the behaviour check; the fixed one
  # is driven through every exit path of VERIFY, as ./leaklab verify
  # drives a fix. The native and memcheck checks name the case (its
  # manifest holds these same arguments) and are the very commands the
  # walkthroughs quote: record-run keeps each one's output in
  # build/records, and the walkthrough's docs test compares with that run
  # instead of making it again (docs/CMakeLists.txt).
  set(common --load ${LC_LOAD})
  if(DEFINED LC_SETTLE_MS)
    list(APPEND common --settle-ms ${LC_SETTLE_MS})
  endif()
  foreach(b IN LISTS LC_BEHAVIOUR)
    list(APPEND common "--behaviour=${b}")
  endforeach()
  string(REPLACE ";" "," verify_arg "${LC_VERIFY}")
  set(scenario_leak --scenario ${LC_SCENARIO})
  set(scenario_fixed --scenario ${verify_arg})
  if(DEFINED LC_REQUEST)
    list(APPEND common --request "${LC_REQUEST}")
  endif()
  if(DEFINED LC_PATH)
    list(APPEND common "--path=${LC_PATH}")
  endif()
  if(DEFINED LC_BAD_PATH)
    list(APPEND common "--bad-path=${LC_BAD_PATH}")
  endif()
  foreach(arg IN LISTS LC_PROGRAM_ARGS)
    list(APPEND common "--program-arg=${arg}")
  endforeach()
  string(REPLACE ";" "," mexpect_arg "${LC_MEMCHECK_EXPECT}")

  set(record ${PROJECT_SOURCE_DIR}/harness/tools/record-run ${CMAKE_BINARY_DIR}/records --
             $<TARGET_FILE:leaklab-check> --case ${LC_NAME})
  foreach(variant IN ITEMS leak fixed)
    set(prog --program $<TARGET_FILE:${LC_NAME}-${variant}> --variant ${variant}
             ${scenario_${variant}})
    add_test(NAME ${LC_NAME}/${variant}/native COMMAND ${record} --variant ${variant} --native)
    set_tests_properties(${LC_NAME}/${variant}/native PROPERTIES
                         TIMEOUT 60 LABELS "case;${num};${variant};quick")
    if(LEAKLAB_VALGRIND_TESTS AND LC_MODE STREQUAL "drd")
      add_test(NAME ${LC_NAME}/${variant}/drd
               COMMAND leaklab-check ${prog} ${common} --expect ${mexpect_arg} --drd)
      set_tests_properties(${LC_NAME}/${variant}/drd PROPERTIES
                           TIMEOUT 120 LABELS "case;${num};${variant};valgrind;race")
    elseif(LEAKLAB_VALGRIND_TESTS)
      add_test(NAME ${LC_NAME}/${variant}/memcheck COMMAND ${record} --variant ${variant} --memcheck)
      set_tests_properties(${LC_NAME}/${variant}/memcheck PROPERTIES
                           TIMEOUT 120 LABELS "case;${num};${variant};valgrind")
    endif()
  endforeach()

  # The fault walk: every allocation of the handshake path fails once, in
  # one process per check (walks in turn, one connection at a time).
  if(DEFINED LC_FAULT_WALK)
    set(faults --load ${LC_FAULT_WALK} --warmup 1 --scenario fault-walk
               --program-arg=--fault-injection --program-arg=1)
    foreach(b IN LISTS LC_BEHAVIOUR)
      list(APPEND faults "--behaviour=${b}")
    endforeach()
    foreach(arg IN LISTS LC_PROGRAM_ARGS)
      list(APPEND faults "--program-arg=${arg}")
    endforeach()
    if(DEFINED LC_PATH)
      list(APPEND faults "--path=${LC_PATH}")
    endif()
    if(DEFINED LC_SETTLE_MS)
      list(APPEND faults --settle-ms ${LC_SETTLE_MS})
    endif()
    foreach(variant IN ITEMS leak fixed)
      set(prog --program $<TARGET_FILE:${LC_NAME}-${variant}> --variant ${variant})
      add_test(NAME ${LC_NAME}/${variant}/faults/native
               COMMAND leaklab-check ${prog} ${faults} --expect heap --native)
      set_tests_properties(${LC_NAME}/${variant}/faults/native PROPERTIES
                           TIMEOUT 60 LABELS "case;${num};${variant};faults;quick")
      if(LEAKLAB_VALGRIND_TESTS)
        add_test(NAME ${LC_NAME}/${variant}/faults/memcheck
                 COMMAND leaklab-check ${prog} ${faults} --expect heap,lost --memcheck)
        set_tests_properties(${LC_NAME}/${variant}/faults/memcheck PROPERTIES
                             TIMEOUT 120 LABELS "case;${num};${variant};faults;valgrind")
      endif()
    endforeach()
  endif()

  # The course's self-check of this case (harness/course/tests/selfcheck.sh):
  # the start file fails verify, fixed.c passes, every wrong fix fails.
  # It builds through the case's exercise target, so it holds that lock.
  if(LEAKLAB_VALGRIND_TESTS)
    add_test(NAME ${LC_NAME}/course
             COMMAND sh ${PROJECT_SOURCE_DIR}/harness/course/tests/selfcheck.sh
                     ${PROJECT_SOURCE_DIR} ${LC_NAME})
    set_tests_properties(${LC_NAME}/course PROPERTIES
                         TIMEOUT 180 LABELS "course;${num}" COST 15
                         RESOURCE_LOCK exercise-${LC_NAME}
                         ENVIRONMENT "LEAKLAB_BUILD=${CMAKE_BINARY_DIR};LEAKLAB_JOBS=1")
  endif()
endfunction()
