/* probe.c - not written yet. */
#include <leaklab/error.h>
