/* ws_frame.c - not written yet. */
#include <leaklab/error.h>
