/*
 * gorace.h - reading the report of Go's race detector (a program built
 * with `go build -race`) as drd.c reads DRD's: every race counted, the
 * first named with its access, its stack and its first frame in the
 * program's own file.
 *
 * The detector writes each race to the program's stderr (the harness's
 * program.log) as it finds it, between lines of '=' signs:
 *
 *   WARNING: DATA RACE
 *   Write at 0x00c000132098 by goroutine 9:
 *     github.com/gorilla/websocket.(*Conn).beginMessage()
 *         /usr/share/gocode/src/github.com/gorilla/websocket/conn.go:479 +0x1a4
 *     main.(*writer).send()
 *         /src/cases/14-racy-writes/go/leak.go:54 +0x64
 *   ...
 *   Previous write at 0x00c000132098 by goroutine 8:
 *   ...
 *
 * and at exit "Found N data race(s)", then the program exits with status
 * 66 (GORACE's exitcode) in place of the 0 it asked for.
 */
#ifndef LEAKLAB_HARNESS_GORACE_H
#define LEAKLAB_HARNESS_GORACE_H

#include <stddef.h>

#include "harness.h"

/* The exit status of a program whose race detector reported a race. */
#define LC_GORACE_EXIT 66

/*
 * Reads the race reports in text into *d (zeroed first; is_drd stays
 * false). own_file is the base name of the program's own source (or
 * NULL): a frame whose file has the same stem ("leak.go" for "leak.c")
 * is first_race_at. parsed is true when text holds a report;
 * finished when it holds the exit summary ("Found N data race(s)").
 * races counts the reports (the detector reports each pair of accesses
 * once). Returns 0; never fails.
 */
int lc_gorace_parse(const char *text, const char *own_file, struct lc_drd *d);

/*
 * The same from a file (the program's log); returns 0, or LL_EIO when it
 * cannot be read, LL_ENOMEM.
 */
int lc_gorace_parse_file(const char *path, const char *own_file, struct lc_drd *d);

#endif
