# Third-party peers (label "interop"): Node.js's ws, a headless Chromium,
# and OpenSSL's s_client / s_server. Included before the python3-websockets
# check in CMakeLists.txt, so these run without it. Each test starts its own
# servers on port 0, stops them itself, and exits 77 (skipped, said why)
# when its peer is not installed; ./leaklab test installs them.
set(peers ${CMAKE_CURRENT_SOURCE_DIR}/peers)

add_executable(tls-peer ${peers}/tls-peer.c)
target_link_libraries(tls-peer PRIVATE leaklab leaklab_warnings)

# The drivers run under Debian's /usr/bin/python3 with only the standard
# library (the variable is the one CMakeLists.txt uses for websockets).
set(LEAKLAB_DEBIAN_PYTHON /usr/bin/python3 CACHE FILEPATH "Python that sees python3-websockets")

# Debian's node-ws lives in /usr/share/nodejs, which Debian's own node
# searches by default but a node from elsewhere (NodeSource, /usr/local)
# does not: NODE_PATH adds it for both.
set(LEAKLAB_NODE_PATH "/usr/share/nodejs:/usr/lib/nodejs" CACHE STRING "Where require('ws') finds Debian's node-ws")

# node is looked up when the test runs (sh -c), not when CMake runs, so a
# node installed after configuring is still found. Extra arguments after
# the server name go to ws_client.js (before the --), e.g. --heartbeat.
function(_leaklab_node_ws_test server)
  add_test(NAME interop/node-ws/${server}
           COMMAND sh -c "command -v node >/dev/null || { echo 'SKIP: node not found (Debian packages: nodejs node-ws)'; exit 77; }; exec node \"$0\" \"$@\""
                   ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/peers/ws_client.js ${ARGN} -- $<TARGET_FILE:${server}>)
  set_tests_properties(interop/node-ws/${server} PROPERTIES
                       TIMEOUT 120 LABELS "interop" SKIP_RETURN_CODE 77
                       ENVIRONMENT "NODE_PATH=${LEAKLAB_NODE_PATH}")
endfunction()
function(_leaklab_node_ws_case_test)
  if(TARGET 03-uncleared-timer-fixed)
    _leaklab_node_ws_test(03-uncleared-timer-fixed --heartbeat)
  endif()
endfunction()
_leaklab_node_ws_test(echo-server)
# One fixed case as well: its heartbeat pings arrive between the echoes, and
# ws must answer them while the test runs. The cases are added after apps/,
# so that test is registered (at top level) once the whole tree is read.
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _leaklab_node_ws_case_test)

add_test(NAME interop/chromium/echo-server
         COMMAND ${LEAKLAB_DEBIAN_PYTHON} ${peers}/browser_client.py ${peers}/page.html
                 $<TARGET_FILE:echo-server>)
# Chromium's start dominates: about 2.5 s of CPU, so a few seconds on an
# idle machine but 10-30 s on two cores shared with a loaded build. The
# driver gives the page 60 s; only a hang gets near that.
set_tests_properties(interop/chromium/echo-server PROPERTIES
                     TIMEOUT 120 LABELS "interop" SKIP_RETURN_CODE 77)

add_test(NAME interop/openssl-s_client/echo-server
         COMMAND ${LEAKLAB_DEBIAN_PYTHON} ${peers}/openssl_peers.py s_client $<TARGET_FILE:echo-server>)
add_test(NAME interop/lib-tls-client/openssl-s_server
         COMMAND ${LEAKLAB_DEBIAN_PYTHON} ${peers}/openssl_peers.py s_server $<TARGET_FILE:tls-peer>)
set_tests_properties(interop/openssl-s_client/echo-server interop/lib-tls-client/openssl-s_server
                     PROPERTIES TIMEOUT 120 LABELS "interop" SKIP_RETURN_CODE 77)
