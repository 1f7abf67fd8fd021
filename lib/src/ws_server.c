/* ws_server.c - not written yet. */
#include <leaklab/error.h>
