/* ws_handshake.c - not written yet. */
#include <leaklab/error.h>
