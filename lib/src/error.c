/* error.c - messages for the ll_err codes. */
#include <leaklab/error.h>

const char *ll_strerror(int err)
{
	switch (err) {
	case LL_OK: return "success";
	case LL_ENOMEM: return "out of memory";
	case LL_EINVAL: return "invalid argument";
	case LL_ECLOSED: return "closed";
	case LL_ETIMEDOUT: return "timed out";
	case LL_EIO: return "input/output error";
	case LL_EPROTO: return "protocol error";
	case LL_ETLS: return "TLS error";
	case LL_ETOOBIG: return "too big";
	case LL_EAGAIN: return "incomplete, need more input";
	case LL_ECANCELED: return "canceled";
	case LL_EUTF8: return "invalid UTF-8";
	case LL_EBUSY: return "busy";
	}
	return "unknown error";
}
