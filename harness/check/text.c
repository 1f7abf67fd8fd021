/*
 * text.c - writing lines into fixed buffers, cut to fit (text.h).
 */
#include "text.h"

#include <stdio.h>
#include <string.h>

void lc_vformat(char *dst, size_t size, const char *fmt, va_list ap)
{
	if (size > 0)
		vsnprintf(dst, size, fmt, ap);
}

void lc_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lc_vformat(dst, size, fmt, ap);
	va_end(ap);
}

void lc_appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	lc_vformat(buf + len, size - len, fmt, ap);
	va_end(ap);
}

int lc_say(int rc, char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lc_vformat(why, size, fmt, ap);
	va_end(ap);
	return rc;
}
