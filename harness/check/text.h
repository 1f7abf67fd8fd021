/*
 * text.h - the checker's one way to write a line into a fixed buffer: the
 * reports, the verdict's rows and the reasons a check gives are all cut
 * to fit, never overflowed, and a cut line is fine (the whole story is in
 * the log).
 */
#ifndef LEAKLAB_HARNESS_TEXT_H
#define LEAKLAB_HARNESS_TEXT_H

#include <stdarg.h>
#include <stddef.h>

/* Writes into dst (snprintf whose truncation is intended). */
__attribute__((format(printf, 3, 4))) void lc_format(char *dst, size_t size, const char *fmt, ...);
__attribute__((format(printf, 3, 0))) void lc_vformat(char *dst, size_t size, const char *fmt,
						      va_list ap);

/* Appends to the NUL-terminated line in buf, keeping it terminated when it fills up. */
__attribute__((format(printf, 3, 4))) void lc_appendf(char *buf, size_t size, const char *fmt, ...);

/* Writes why and returns rc: "return lc_say(LL_EINVAL, why, size, ...)". */
__attribute__((format(printf, 4, 5))) int lc_say(int rc, char *why, size_t size, const char *fmt,
						 ...);

#endif
