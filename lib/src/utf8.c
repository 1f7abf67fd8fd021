/* utf8.c - not written yet. */
#include <leaklab/error.h>
