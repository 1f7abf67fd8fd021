/*
 * logs.h - the log folders: each check keeps its program's output and
 * Valgrind's reports in a folder of its own under BUILD/logs (or
 * --logs DIR), named LC_LOG_PREFIX + DATE-TIME.PID.XXXXXX so they sort by
 * age; only the LC_LOGS_KEEP newest stay.
 */
#ifndef LEAKLAB_HARNESS_LOGS_H
#define LEAKLAB_HARNESS_LOGS_H

#include <stddef.h>

#define LC_LOG_PREFIX "leaklab-check."

/* Log folders kept in the logs folder: older ones are removed as new ones are made. */
#define LC_LOGS_KEEP 20

/* Removes a log folder and the files in it (it holds no subfolders); failures leave it. */
void lc_logs_remove(const char *path);

/*
 * Makes room for one more log folder in dir: keeps the LC_LOGS_KEEP - 1
 * newest and removes the older ones, except those of a check still
 * running. Failures only leave folders behind.
 */
void lc_logs_prune(const char *dir);

/*
 * The folder for log folders into out: logs_dir, or BUILD/logs (NULL),
 * made if missing, canonical. Returns 0, LL_EIO (errno says why) or
 * LL_ETOOBIG.
 */
int lc_logs_base(const char *logs_dir, char *out, size_t size);

#endif
