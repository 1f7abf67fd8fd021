# leaklab_twin(): a case's twin in one of the seeds' own ecosystems.
#
#   leaklab_twin(03-uncleared-timer go
#                EXPECT goroutines           # what the leak twin shows
#                JUDGE fds goroutines        # what the fixed twin is judged on
#                [HEAP_LIMIT 256]            # a fix's heap limit, bytes per client
#                [LOAD 40]                   # clients per step, default the case's
#                [WARMUP 50]                 # clients before the baseline
#                [RUNTIME sockets]           # node: the runtime count's name, its
#                                            # /metrics line leaklab_NAME (default timers)
#                [REQUIRES github.com/gin-gonic/gin:golang-github-gin-gonic-gin-dev]
#                                            # Go packages beyond gorilla, each
#                                            # IMPORTPATH:DEBIAN-PACKAGE
#                [VERIFY burst connect-drop] # the fix's exit paths, if not the case's
#                [ARGS --path=/?id=alice]    # more leaklab-check arguments for its tests
#                [REFUSED "got no 1001"]     # what refuses the leak as a fix, if not
#                                            # its first EXPECT signal
#                [RACE]                      # go: built with -race (the race detector)
#                [GOLEAK_EXPECT "found unexpected goroutines"]
#                                            # go: what the leak's go test fails with
#                [PROFILE "main.handle \\(leak.go:"])
#                                            # go: --heap-profile on the leak must
#                                            # name this frame (NN-slug/leak/go-profile)
#
# Called in cases/NN-slug/CMakeLists.txt before leaklab_case(), which then
# builds the twin, names it in the manifest (twin.LANG.* lines, read by
# harness/check/twin.c) and registers its tests, with the case's scenario,
# behaviour checks, exit paths and knobs:
#
#   NN-slug/leak/LANG   NN-slug/fixed/LANG   (labels twin;LANG;leak|fixed)
#   NN-slug/leak-as-fixed/LANG   the leaking twin judged as a fix: must be refused
#   NN-slug/leak/goleak  NN-slug/fixed/goleak   (go, labels twin;goleak;leak|fixed)
#       `go test` of cases/NN-slug/go/twin_test.go with leak.go, then fixed.go:
#       it drives the handler and ends with goleak.VerifyNone; the leak's must
#       fail with GOLEAK_EXPECT, the fix's pass
#
# The languages, and where each twin's runtime count comes from:
#   go      cases/NN-slug/go/{leak,fixed}.go, built offline in GOPATH mode
#           (GO111MODULE=off, Debian's golang-go and gorilla/websocket in
#           /usr/share/gocode, lib/twin/go as the package leaklab/twin, Go's
#           own build cache: LEAKLAB_GO_CACHE, LeaklabTesting.cmake) into
#           bin/NN-slug-VARIANT-go;
#           goroutines from GET /debug/pprof/goroutine?debug=1.
#   node    cases/NN-slug/node/{leak,fixed}.js with Debian's node-ws, run by
#           bin/NN-slug-VARIANT-node (node --expose-gc); timers from /metrics.
#   python  cases/NN-slug/python/{leak,fixed}.py with python3-websockets, run by
#           bin/NN-slug-VARIANT-python (Debian's /usr/bin/python3); asyncio
#           tasks from /metrics.
#   java    cases/NN-slug/java/{Leak,Fixed}.java with lib/twin/java/Twin.java
#           (the RFC 6455 server side the JDK lacks), compiled by javac
#           (Debian's openjdk-17-jdk-headless, found by find_package(Java))
#           into java/NN-slug-VARIANT/, run by bin/NN-slug-VARIANT-java;
#           connections (the server's set of open ones) from /metrics.
# A machine without the toolchain, or without a package the twin REQUIRES,
# still configures: the twin's tests then exit 77, reported as skipped with
# the reason (./leaklab test installs them).

set(LEAKLAB_GO_PATH /usr/share/gocode CACHE PATH "Debian's GOPATH (golang-github-gorilla-websocket-dev)")
set(LEAKLAB_TWIN_PYTHON /usr/bin/python3 CACHE FILEPATH "Python that sees python3-websockets")
set(LEAKLAB_TWIN_NODE_PATH "/usr/share/nodejs:/usr/lib/nodejs" CACHE STRING "Where require('ws') finds Debian's node-ws")

set(_leaklab_twin_runtime_go "goroutines,/debug/pprof/goroutine?debug=1,goroutine profile: total")
set(_leaklab_twin_runtime_node "timers,/metrics,leaklab_timers")
set(_leaklab_twin_runtime_python "tasks,/metrics,leaklab_tasks")
set(_leaklab_twin_runtime_java "connections,/metrics,leaklab_connections")
# The JVM's threads held still: one serial collector, compiler threads
# made at start-up and not on demand, no attach listener to appear when a
# tool looks; a small heap, as 40 connections need little.
set(LEAKLAB_TWIN_JAVA_OPTIONS "-XX:+UseSerialGC -Xms16m -Xmx64m -XX:TieredStopAtLevel=1 -XX:-UseDynamicNumberOfCompilerThreads -XX:+DisableAttachMechanism"
    CACHE STRING "Options of the JVM that runs a Java twin")

# Why a language's twins cannot be built here ("" when they can), found once.
function(_leaklab_twin_toolchain lang out)
  get_property(known GLOBAL PROPERTY LEAKLAB_TWIN_TOOL_${lang} SET)
  if(known)
    get_property(why GLOBAL PROPERTY LEAKLAB_TWIN_TOOL_${lang})
    get_property(tool GLOBAL PROPERTY LEAKLAB_TWIN_TOOLPATH_${lang})
    set(${out} "${why}" PARENT_SCOPE)
    set(${out}_tool "${tool}" PARENT_SCOPE)
    return()
  endif()
  set(why "")
  set(tool "")
  if(lang STREQUAL "go")
    find_program(LEAKLAB_GO go)
    if(NOT LEAKLAB_GO)
      set(why "go not found (Debian package golang-go)")
    elseif(NOT EXISTS ${LEAKLAB_GO_PATH}/src/github.com/gorilla/websocket/conn.go)
      set(why "gorilla/websocket not in ${LEAKLAB_GO_PATH} (Debian package golang-github-gorilla-websocket-dev)")
    else()
      set(tool ${LEAKLAB_GO})
    endif()
  elseif(lang STREQUAL "node")
    # The first node that loads Debian's ws (a newer node may come first on PATH).
    find_program(LEAKLAB_NODE NAMES node nodejs)
    foreach(cand IN ITEMS ${LEAKLAB_NODE} /usr/bin/node)
      if(NOT tool AND EXISTS ${cand})
        execute_process(COMMAND ${CMAKE_COMMAND} -E env NODE_PATH=${LEAKLAB_TWIN_NODE_PATH}
                                ${cand} -e "require('ws')"
                        RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
        if(rc EQUAL 0)
          set(tool ${cand})
        endif()
      endif()
    endforeach()
    if(NOT tool)
      set(why "no node that loads Debian's ws (Debian packages nodejs node-ws)")
    endif()
  elseif(lang STREQUAL "python")
    execute_process(COMMAND ${LEAKLAB_TWIN_PYTHON} -c "import websockets"
                    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      set(tool ${LEAKLAB_TWIN_PYTHON})
    else()
      set(why "${LEAKLAB_TWIN_PYTHON} cannot import websockets (Debian package python3-websockets)")
    endif()
  elseif(lang STREQUAL "java")
    find_package(Java 17 QUIET COMPONENTS Development Runtime)
    if(Java_JAVAC_EXECUTABLE AND Java_JAVA_EXECUTABLE AND Java_VERSION VERSION_GREATER_EQUAL 17)
      set(tool ${Java_JAVA_EXECUTABLE})
      set_property(GLOBAL PROPERTY LEAKLAB_TWIN_JAVAC ${Java_JAVAC_EXECUTABLE})
    else()
      set(why "no javac and java 17 or newer (Debian package openjdk-17-jdk-headless)")
    endif()
  else()
    message(FATAL_ERROR "leaklab_twin: unknown language '${lang}' (go, node, python, java)")
  endif()
  if(why)
    message(STATUS "leaklab: ${lang} twins are skipped: ${why}")
  endif()
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_TOOL_${lang} "${why}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_TOOLPATH_${lang} "${tool}")
  set(${out} "${why}" PARENT_SCOPE)
  set(${out}_tool "${tool}" PARENT_SCOPE)
endfunction()

function(leaklab_twin name lang)
  cmake_parse_arguments(LT "RACE" "HEAP_LIMIT;LOAD;WARMUP;RUNTIME;REFUSED;GOLEAK_EXPECT;PROFILE"
                        "EXPECT;JUDGE;REQUIRES;VERIFY;ARGS" ${ARGN})
  if(LT_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "leaklab_twin(${name} ${lang}): unexpected arguments: ${LT_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT lang MATCHES "^(go|node|python|java)$")
    message(FATAL_ERROR "leaklab_twin(${name}): language must be go, node, python or java, not '${lang}'")
  endif()
  if(NOT LT_EXPECT OR NOT LT_JUDGE)
    message(FATAL_ERROR "leaklab_twin(${name} ${lang}): EXPECT and JUDGE name the signals")
  endif()
  set(known threads fds heap runtime goroutines timers tasks race)
  # A Node.js twin may count another of process.getActiveResourcesInfo()'s
  # kinds (08's sockets), or a count of its own (09's listeners): its
  # /metrics serves leaklab_NAME, and the harness judges it as the runtime
  # count under that name, as it does Java's connections.
  if(LT_RUNTIME)
    if(NOT lang STREQUAL "node" OR NOT LT_RUNTIME MATCHES "^[a-z]+$")
      message(FATAL_ERROR "leaklab_twin(${name} ${lang}): RUNTIME is a Node.js twin's lower-case count name")
    endif()
    set(spec "${LT_RUNTIME},/metrics,leaklab_${LT_RUNTIME}")
  else()
    set(spec "${_leaklab_twin_runtime_${lang}}")
  endif()
  string(REGEX REPLACE ",.*" "" rname "${spec}")
  if(rname AND NOT rname IN_LIST known)
    list(APPEND known ${rname})
    list(TRANSFORM LT_EXPECT REPLACE "^${rname}$" runtime)
    list(TRANSFORM LT_JUDGE REPLACE "^${rname}$" runtime)
  endif()
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_RUNTIME "${spec}")
  foreach(s IN LISTS LT_EXPECT LT_JUDGE)
    if(NOT s IN_LIST known)
      message(FATAL_ERROR "leaklab_twin(${name} ${lang}): unknown signal '${s}' (one of: ${known})")
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY LEAKLAB_TWINS_${name} ${lang})
  string(REPLACE ";" " " expect "${LT_EXPECT}")
  string(REPLACE ";" " " judge "${LT_JUDGE}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_EXPECT "${expect}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_JUDGE "${judge}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_HEAP_LIMIT "${LT_HEAP_LIMIT}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_LOAD "${LT_LOAD}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_WARMUP "${LT_WARMUP}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_REQUIRES "${LT_REQUIRES}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_VERIFY "${LT_VERIFY}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_ARGS "${LT_ARGS}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_REFUSED "${LT_REFUSED}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_RACE "${LT_RACE}")
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_PROFILE "${LT_PROFILE}")
  if(NOT LT_GOLEAK_EXPECT)
    set(LT_GOLEAK_EXPECT "found unexpected goroutines")
  endif()
  set_property(GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_GOLEAK_EXPECT "${LT_GOLEAK_EXPECT}")
endfunction()

# Why a twin's own Go packages are missing ("" when they are all there).
function(_leaklab_twin_requires name lang out)
  get_property(requires GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_REQUIRES)
  set(why "")
  foreach(req IN LISTS requires)
    string(REPLACE ":" ";" parts "${req}")
    list(GET parts 0 path)
    list(GET parts 1 pkg)
    if(NOT why AND NOT IS_DIRECTORY ${LEAKLAB_GO_PATH}/src/${path})
      set(why "${path} not in ${LEAKLAB_GO_PATH} (Debian package ${pkg})")
      message(STATUS "leaklab: ${name}'s ${lang} twins are skipped: ${why}")
    endif()
  endforeach()
  set(${out} "${why}" PARENT_SCOPE)
endfunction()

# Builds (or wraps) one twin program; sets ${out} to its path.
function(_leaklab_twin_program name lang variant tool out)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR}/${lang})
  set(bin ${CMAKE_BINARY_DIR}/bin/${name}-${variant}-${lang})
  set(perms OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  if(lang STREQUAL "go")
    set(gopath ${CMAKE_BINARY_DIR}/gopath)
    if(NOT EXISTS ${gopath}/src/leaklab)
      file(MAKE_DIRECTORY ${gopath}/src)
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/lib/twin/go ${gopath}/src/leaklab SYMBOLIC)
    endif()
    file(GLOB twin_lib ${PROJECT_SOURCE_DIR}/lib/twin/go/twin/*.go)
    # A race twin is built with the race detector: its report goes to
    # stderr (the harness's program.log), and a run that saw a race exits 66.
    get_property(race GLOBAL PROPERTY LEAKLAB_TWIN_${name}_go_RACE)
    set(race_flag)
    if(race)
      set(race_flag -race)
    endif()
    # Offline: GOPATH mode, no proxy, the standard library and Debian's
    # gorilla only; the build cache is Go's own (LEAKLAB_GO_CACHE).
    add_custom_command(OUTPUT ${bin}
      COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPROXY=off GOFLAGS=
              GOPATH=${gopath}:${LEAKLAB_GO_PATH} GOCACHE=${LEAKLAB_GO_CACHE}
              ${tool} build ${race_flag} -o ${bin} ${dir}/${variant}.go
      DEPENDS ${dir}/${variant}.go ${twin_lib}
      COMMENT "Building Go twin ${name}-${variant}-go"
      VERBATIM)
    add_custom_target(${name}-${variant}-go ALL DEPENDS ${bin})
    # One Go build at a time: each warms the shared cache for the next
    # (the standard library, gorilla, Gin's tree), where two at once on a
    # cold cache compile the same packages twice. All twelve took 35 s in
    # a row and 67 s two at a time, on a cold cache; the C build uses the
    # other core meanwhile.
    get_property(last GLOBAL PROPERTY LEAKLAB_TWIN_GO_LAST)
    if(last)
      add_dependencies(${name}-${variant}-go ${last})
    endif()
    set_property(GLOBAL PROPERTY LEAKLAB_TWIN_GO_LAST ${name}-${variant}-go)
  elseif(lang STREQUAL "java")
    # Leak.java or Fixed.java, compiled with the shared server into a class
    # directory of its own; the launcher execs the JVM, so the process the
    # harness measures is the JVM itself.
    string(SUBSTRING ${variant} 0 1 first)
    string(TOUPPER ${first} first)
    string(SUBSTRING ${variant} 1 -1 rest)
    set(class ${first}${rest})
    set(classes ${CMAKE_BINARY_DIR}/java/${name}-${variant})
    get_property(javac GLOBAL PROPERTY LEAKLAB_TWIN_JAVAC)
    set(sources ${PROJECT_SOURCE_DIR}/lib/twin/java/Twin.java ${dir}/${class}.java)
    add_custom_command(OUTPUT ${classes}/${class}.class
      COMMAND ${CMAKE_COMMAND} -E rm -rf ${classes}
      COMMAND ${javac} --release 17 -Xlint:all -Werror -encoding UTF-8 -d ${classes} ${sources}
      DEPENDS ${sources}
      COMMENT "Building Java twin ${name}-${variant}-java"
      VERBATIM)
    add_custom_target(${name}-${variant}-java ALL DEPENDS ${classes}/${class}.class)
    file(GENERATE OUTPUT ${bin}
         CONTENT "#!/bin/sh\n# Written by cmake/LeaklabTwin.cmake: the Java twin, on Debian's OpenJDK.\nexec ${tool} ${LEAKLAB_TWIN_JAVA_OPTIONS} -cp ${classes} ${class} \"\$@\"\n"
         FILE_PERMISSIONS ${perms})
  elseif(lang STREQUAL "node")
    file(GENERATE OUTPUT ${bin}
         CONTENT "#!/bin/sh\n# Written by cmake/LeaklabTwin.cmake: the Node.js twin, with Debian's node-ws.\nNODE_PATH=${LEAKLAB_TWIN_NODE_PATH}\${NODE_PATH:+:\$NODE_PATH}\nexport NODE_PATH\nexec ${tool} --expose-gc ${dir}/${variant}.js \"\$@\"\n"
         FILE_PERMISSIONS ${perms})
  else()
    file(GENERATE OUTPUT ${bin}
         CONTENT "#!/bin/sh\n# Written by cmake/LeaklabTwin.cmake: the Python twin, with python3-websockets.\nexec ${tool} ${dir}/${variant}.py \"\$@\"\n"
         FILE_PERMISSIONS ${perms})
  endif()
  set(${out} ${bin} PARENT_SCOPE)
endfunction()

# Called by leaklab_case(): builds the case's twins, appends their lines to
# the manifest text in ${manifest_var}, and registers their tests with the
# case's own arguments (common: load, behaviour, request, knobs).
function(_leaklab_case_twins name manifest_var scenario_leak scenario_fixed load)
  get_property(langs GLOBAL PROPERTY LEAKLAB_TWINS_${name})
  set(m "${${manifest_var}}")
  foreach(lang IN LISTS langs)
    get_property(expect GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_EXPECT)
    get_property(judge GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_JUDGE)
    get_property(heap_limit GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_HEAP_LIMIT)
    get_property(twin_load GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_LOAD)
    get_property(warmup GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_WARMUP)
    get_property(twin_verify GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_VERIFY)
    get_property(more_args GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_ARGS)
    get_property(refused GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_REFUSED)
    set(twin_scenario_fixed ${scenario_fixed})
    if(twin_verify)
      string(REPLACE ";" "," verify_arg "${twin_verify}")
      set(twin_scenario_fixed --scenario ${verify_arg})
      string(REPLACE ";" " " verify_words "${twin_verify}")
      string(APPEND m "twin.${lang}.verify=${verify_words}\n")
    endif()
    if(NOT twin_load)
      set(twin_load ${load})
    endif()
    _leaklab_twin_toolchain(${lang} why)
    if(NOT why)
      _leaklab_twin_requires(${name} ${lang} why)
    endif()
    get_property(runtime GLOBAL PROPERTY LEAKLAB_TWIN_${name}_${lang}_RUNTIME)
    if(runtime)
      string(APPEND m "twin.${lang}.runtime=${runtime}\n")
    endif()
    string(APPEND m "twin.${lang}.expect=${expect}\n")
    string(APPEND m "twin.${lang}.judge=${judge}\n")
    if(heap_limit)
      string(APPEND m "twin.${lang}.heap_limit=${heap_limit}\n")
    endif()
    string(REPLACE " " ";" LT_EXPECT_LIST "${expect}")
    string(REPLACE " " "," expect_arg "${expect}")
    string(REPLACE " " "," judge_arg "${judge}")
    set(twin_args --load ${twin_load} --expect ${expect_arg} --judge ${judge_arg} ${more_args})
    if(runtime)
      list(APPEND twin_args "--runtime=${runtime}")
    endif()
    if(heap_limit)
      list(APPEND twin_args --heap-limit ${heap_limit})
    endif()
    if(warmup)
      list(APPEND twin_args --warmup ${warmup})
      string(APPEND m "twin.${lang}.warmup=${warmup}\n")
    endif()
    if(NOT twin_load STREQUAL load)
      string(APPEND m "twin.${lang}.load=${twin_load}\n")
    endif()
    foreach(variant IN ITEMS leak fixed)
      set(test ${name}/${variant}/${lang})
      if(why)
        set(prog ${CMAKE_BINARY_DIR}/bin/${name}-${variant}-${lang})
        add_test(NAME ${test} COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${why}")
        set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
      else()
        _leaklab_twin_program(${name} ${lang} ${variant} ${why_tool} prog)
        if(variant STREQUAL "fixed")
          set(sc ${twin_scenario_fixed})
        else()
          set(sc ${scenario_leak})
        endif()
        if(more_args)
          add_test(NAME ${test}
                   COMMAND leaklab-check --program ${prog} --variant ${variant}
                           ${sc} ${ARGN} ${twin_args} --native)
        else()
          # The manifest holds these arguments: the command a walkthrough
          # quotes, recorded for its docs test (harness/tools/record-run).
          add_test(NAME ${test}
                   COMMAND ${PROJECT_SOURCE_DIR}/harness/tools/record-run
                           ${CMAKE_BINARY_DIR}/records -- $<TARGET_FILE:leaklab-check>
                           --case ${name} --variant ${variant} --native --twin ${lang})
        endif()
      endif()
      set_tests_properties(${test} PROPERTIES TIMEOUT 60 LABELS "twin;${lang};${variant}")
      string(APPEND m "twin.${lang}.${variant}=${prog}\n")
    endforeach()
    # The check is not vacuous: the leaking twin, judged as a fix on every
    # exit path, must be refused for the very signal its lesson names.
    set(test ${name}/leak-as-fixed/${lang})
    list(GET LT_EXPECT_LIST 0 first)
    if(first STREQUAL "runtime")
      # The verdict names a twin's own count (RUNTIME) by its name.
      string(REGEX REPLACE ",.*" "" first "${runtime}")
    endif()
    if(NOT refused)
      set(refused "NOT clean: .*${first}")
    endif()
    if(why)
      add_test(NAME ${test} COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${why}")
      set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
    else()
      add_test(NAME ${test}
               COMMAND sh ${PROJECT_SOURCE_DIR}/harness/tools/expect-exit 1 "${refused}"
                       $<TARGET_FILE:leaklab-check>
                       --program ${CMAKE_BINARY_DIR}/bin/${name}-leak-${lang} --variant fixed
                       ${twin_scenario_fixed} ${ARGN} ${twin_args} --native)
    endif()
    set_tests_properties(${test} PROPERTIES TIMEOUT 60 LABELS "twin;${lang};leak")
    if(why)
      string(APPEND m "twin.${lang}.skip=${why}\n")
    endif()
    if(lang STREQUAL "go")
      _leaklab_twin_goleak(${name} "${why}" "${why_tool}")
      # Go's own profiles: --heap-profile diffs /debug/pprof/heap (a heap
      # leak) or /debug/pprof/goroutine (the others) at N and 2N with
      # go tool pprof -base, and must name the leak's own frame.
      get_property(profile GLOBAL PROPERTY LEAKLAB_TWIN_${name}_go_PROFILE)
      if(profile)
        set(test ${name}/leak/go-profile)
        if(why)
          add_test(NAME ${test} COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${why}")
          set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
        else()
          file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/profiles)
          add_test(NAME ${test}
                   COMMAND sh ${PROJECT_SOURCE_DIR}/harness/tools/expect-exit 0 "${profile}"
                           $<TARGET_FILE:leaklab-check>
                           --program ${CMAKE_BINARY_DIR}/bin/${name}-leak-go --variant leak
                           ${scenario_leak} ${ARGN} ${twin_args} --native --heap-profile
                           --flame ${CMAKE_BINARY_DIR}/profiles/${name}-go.svg)
        endif()
        set_tests_properties(${test} PROPERTIES TIMEOUT 60 LABELS "twin;go;leak;profile")
      endif()
    endif()
    # Twin.java is the kit's own server side of RFC 6455: Node.js's ws, an
    # independent peer, checks it as it checks the C library's
    # (apps/tests/peers/ws_client.js: every length encoding, fragments,
    # pings, close codes, 20 clients, SIGTERM's exit 0), on the fixed twin,
    # which echoes on every path.
    if(lang STREQUAL "java")
      set(test interop/node-ws/${name}-fixed-java)
      if(why)
        add_test(NAME ${test} COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${why}")
      else()
        add_test(NAME ${test}
                 COMMAND sh -c "command -v node >/dev/null || { echo 'SKIP: node not found (Debian packages: nodejs node-ws)'; exit 77; }; exec node \"$0\" \"$@\""
                         ${PROJECT_SOURCE_DIR}/apps/tests/peers/ws_client.js -- ${CMAKE_BINARY_DIR}/bin/${name}-fixed-java)
        set_tests_properties(${test} PROPERTIES ENVIRONMENT "NODE_PATH=${LEAKLAB_TWIN_NODE_PATH}")
      endif()
      set_tests_properties(${test} PROPERTIES TIMEOUT 120 LABELS "interop;twin;java" SKIP_RETURN_CODE 77)
    endif()
  endforeach()
  set(${manifest_var} "${m}" PARENT_SCOPE)
endfunction()

# goleak, Go's own test-time leak detector (Debian's golang-uber-goleak-dev):
# the case's go test, cases/NN-slug/go/twin_test.go, run with each variant's
# file in GOPATH mode, offline. It drives the handler and ends with
# goleak.VerifyNone: the leak's must fail with its expected words (never
# any failure), the fix's must pass. A race twin's runs under -race.
function(_leaklab_twin_goleak name why tool)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR}/go)
  if(NOT EXISTS ${dir}/twin_test.go)
    return()
  endif()
  if(NOT why AND NOT IS_DIRECTORY ${LEAKLAB_GO_PATH}/src/go.uber.org/goleak)
    set(why "go.uber.org/goleak not in ${LEAKLAB_GO_PATH} (Debian package golang-uber-goleak-dev)")
    get_property(said GLOBAL PROPERTY LEAKLAB_TWIN_GOLEAK_SAID)
    if(NOT said)
      message(STATUS "leaklab: the Go twins' goleak tests are skipped: ${why}")
      set_property(GLOBAL PROPERTY LEAKLAB_TWIN_GOLEAK_SAID TRUE)
    endif()
  endif()
  get_property(race GLOBAL PROPERTY LEAKLAB_TWIN_${name}_go_RACE)
  get_property(expect GLOBAL PROPERTY LEAKLAB_TWIN_${name}_go_GOLEAK_EXPECT)
  set(race_flag)
  if(race)
    set(race_flag -race)
  endif()
  foreach(variant IN ITEMS leak fixed)
    set(test ${name}/${variant}/goleak)
    # go test vets what it builds first. The fix's test vets the twin as
    # the student reads it; the leak's, a few lines apart, skips it: on
    # a fresh build tree the vet of the standard library's facts is most
    # of a go test's time (9.3 s against 1.3 s with -vet=off, case 01).
    set(vet)
    if(variant STREQUAL "leak")
      set(vet -vet=off)
    endif()
    if(why)
      add_test(NAME ${test} COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${why}")
      set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
    else()
      set(gotest ${CMAKE_COMMAND} -E env GO111MODULE=off GOPROXY=off GOFLAGS=
                 GOPATH=${CMAKE_BINARY_DIR}/gopath:${LEAKLAB_GO_PATH}
                 GOCACHE=${LEAKLAB_GO_CACHE}
                 ${tool} test -count=1 ${vet} ${race_flag} ${variant}.go twin_test.go)
      if(variant STREQUAL "leak")
        add_test(NAME ${test}
                 COMMAND sh ${PROJECT_SOURCE_DIR}/harness/tools/expect-exit 1 "${expect}" ${gotest}
                 WORKING_DIRECTORY ${dir})
      else()
        add_test(NAME ${test} COMMAND ${gotest} WORKING_DIRECTORY ${dir})
      endif()
    endif()
    set_tests_properties(${test} PROPERTIES TIMEOUT 120 LABELS "twin;goleak;${variant}")
  endforeach()
endfunction()

# The Go twins stay gofmt-clean, as the C files stay clang-format-clean
# (style/clang-format). gofmt is looked up when the test runs.
if(NOT TEST style/gofmt)
  add_test(NAME style/gofmt
           COMMAND sh -c "command -v gofmt >/dev/null || { echo 'SKIP: gofmt not found (Debian package golang-go)'; exit 77; }; out=$(gofmt -l \"$0/lib/twin/go\" \"$0\"/cases/*/go); [ -z \"$out\" ] || { echo \"not gofmt-clean (gofmt -w them):\"; echo \"$out\"; exit 1; }"
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(style/gofmt PROPERTIES TIMEOUT 60 LABELS "style;twin" SKIP_RETURN_CODE 77)
endif()
