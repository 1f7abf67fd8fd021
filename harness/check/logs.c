/*
 * logs.c - the folders each check keeps its program's output and
 * Valgrind's reports in (logs.h).
 */
#include "logs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leaklab/error.h>

#include "model.h"

/* Removes a log folder and the files in it (it holds no subfolders). */
void lc_logs_remove(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	rmdir(path);
}

static int is_log_folder(const struct dirent *d)
{
	return strncmp(d->d_name, LC_LOG_PREFIX, strlen(LC_LOG_PREFIX)) == 0;
}

/*
 * True while the check that made the folder named
 * leaklab-check.DATE-TIME.PID.XXXXXX may still be running: its PID is
 * alive (a reused PID only keeps a folder a little longer).
 */
static bool log_folder_in_use(const char *name)
{
	const char *p = strchr(name + strlen(LC_LOG_PREFIX), '.');
	long pid;

	if (!p)
		return false;
	pid = strtol(p + 1, NULL, 10);
	if (pid <= 0 || pid == (long)getpid())
		return pid == (long)getpid();
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/*
 * Makes room for one more log folder in dir: keeps the LC_LOGS_KEEP - 1
 * newest (their names sort by the time they were made) and removes the
 * older ones, except those of a check still running. Failures only leave
 * folders behind.
 */
void lc_logs_prune(const char *dir)
{
	struct dirent **names = NULL;
	char path[PATH_MAX];
	int n, i;

	n = scandir(dir, &names, is_log_folder, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		if (i + LC_LOGS_KEEP - 1 < n && !log_folder_in_use(names[i]->d_name) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
			(int)sizeof(path))
			lc_logs_remove(path);
		free(names[i]);
	}
	free(names);
}

/*
 * The folder for log folders: logs_dir, or BUILD/logs beside the
 * BUILD/cases where the manifests are (found from this executable, at
 * BUILD/bin), made if missing; canonical, so the path printed on failure
 * is one a person can paste.
 */
int lc_logs_base(const char *logs_dir, char *out, size_t size)
{
	char exe[PATH_MAX], want[PATH_MAX + 16];
	int err;

	if (logs_dir) {
		if (snprintf(want, sizeof(want), "%s", logs_dir) >= (int)sizeof(want))
			return LL_ETOOBIG;
	} else {
		err = lc_build_path("logs", want, sizeof(want));
		if (err)
			return err;
	}
	if (mkdir(want, 0755) != 0 && errno != EEXIST)
		return LL_EIO;
	if (!realpath(want, exe))
		return LL_EIO;
	if (snprintf(out, size, "%s", exe) >= (int)size)
		return LL_ETOOBIG;
	return 0;
}
