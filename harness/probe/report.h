/*
 * report.h - the probe's outputs: the table (stdout), JSON (--json),
 * JUnit XML (--junit) and the CSV its growth plot reads (--csv).
 */
#ifndef LEAKLAB_PROBE_REPORT_H
#define LEAKLAB_PROBE_REPORT_H

#include <stdio.h>

#include "probe.h"

void pb_report_table(FILE *out, const struct pb_config *cfg, const struct pb_result *res);

/* Each writes path (replaced); returns 0, or -1 with errno set when it could not. */
int pb_report_json(const char *path, const struct pb_config *cfg, const struct pb_result *res);
int pb_report_junit(const char *path, const struct pb_config *cfg, const struct pb_result *res);
int pb_report_csv(const char *path, const struct pb_config *cfg, const struct pb_result *res);

#endif
