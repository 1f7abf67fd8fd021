/*
 * leaklab/error.h - the one error enum of libleaklab.
 *
 * Every function that can fail returns 0 on success or one of these
 * negative codes. ll_strerror() turns a code into a short, static English
 * message; it never allocates and never fails.
 */
#ifndef LEAKLAB_ERROR_H
#define LEAKLAB_ERROR_H

enum ll_err {
	LL_OK = 0,
	LL_ENOMEM = -1,	    /* an allocation failed */
	LL_EINVAL = -2,	    /* a bad argument, or a call in the wrong state */
	LL_ECLOSED = -3,    /* the object (queue, connection) is closed */
	LL_ETIMEDOUT = -4,  /* a deadline passed before the operation finished */
	LL_EIO = -5,	    /* a system call failed; errno was set by it */
	LL_EPROTO = -6,	    /* the peer broke the protocol (RFC 6455, HTTP) */
	LL_ETLS = -7,	    /* OpenSSL reported an error */
	LL_ETOOBIG = -8,    /* a size limit was exceeded */
	LL_EAGAIN = -9,	    /* incomplete input: feed more bytes and retry */
	LL_ECANCELED = -10, /* a cancellation token was cancelled */
	LL_EUTF8 = -11,	    /* text that is not valid UTF-8 */
	LL_EBUSY = -12,	    /* a limit on concurrent users was reached */
};

/* A static message for an ll_err code; unknown codes give "unknown error". */
const char *ll_strerror(int err);

#endif
