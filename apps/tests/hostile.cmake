# Hostile clients against echo-server (hostile.py, one sub-command per
# scenario): slow handshakes, absurd frame lengths, frames cut by a reset,
# more clients than --max-conns, ping floods and a client that never reads.
# After each, the server must still echo for a normal client and exit 0 on
# SIGTERM; the memcheck variants add: no Valgrind error, no lost byte, no
# fd left open. Included from CMakeLists.txt after the python3-websockets
# check, which the normal client needs.
#
# Natively each takes a few seconds; under Valgrind 10 to 35 s on a loaded
# two-core machine, where --time-scale 4 widens every time bound the
# script checks.
set(hostile_scenarios slowloris huge-length cut-mid-payload flood ping-flood never-reads)

foreach(scenario IN LISTS hostile_scenarios)
  add_test(NAME hostile/${scenario}/echo-server
           COMMAND ${LEAKLAB_DEBIAN_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/hostile.py ${scenario} --
                   $<TARGET_FILE:echo-server>)
  set_tests_properties(hostile/${scenario}/echo-server PROPERTIES TIMEOUT 60 LABELS "hostile")

  if(LEAKLAB_VALGRIND_TESTS)
    add_test(NAME hostile/${scenario}/echo-server/memcheck
             COMMAND ${LEAKLAB_DEBIAN_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/hostile.py ${scenario}
                     --time-scale 4 --
                     ${LEAKLAB_MEMCHECK_RUN} --suppressions ${LEAKLAB_SUPPRESSIONS} --
                     $<TARGET_FILE:echo-server>)
    set_tests_properties(hostile/${scenario}/echo-server/memcheck PROPERTIES
                         TIMEOUT 180 LABELS "hostile;valgrind")
  endif()
endforeach()
