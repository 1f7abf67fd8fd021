/* ws_client.c - not written yet. */
#include <leaklab/error.h>
