/* ws_conn.c - not written yet. */
#include <leaklab/error.h>
