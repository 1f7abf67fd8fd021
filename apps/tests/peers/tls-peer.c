/*
 * tls-peer - the library's TLS client (ll_transport_tls) against a TLS
 * server it did not write: OpenSSL's own `openssl s_server -rev`, which
 * answers every line with the line reversed.
 *
 *   tls-peer HOST PORT CA_PEM             exchange lines, verifying the chain
 *   tls-peer --expect-reject HOST PORT CA_PEM
 *                                         the handshake must fail (CA_PEM did
 *                                         not sign the server's certificate)
 *
 * The rejecting run proves that verification is really on: a client that
 * skipped it would pass the first form against any server.
 */
#include <leaklab/error.h>
#include <leaklab/transport.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TIMEOUT_MS = 10000 };

/* Says what went wrong; the caller then leaves through its cleanup label. */
__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tls-peer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Reads one '\n'-terminated line into buf (at most cap bytes, newline
 * included). Returns its length, or 0 when the stream ended, the line did
 * not fit, or a read failed (said on stderr). Reads a byte at a time: the
 * lines are short, and nothing after the newline may be swallowed.
 */
static size_t read_line(struct ll_transport *t, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = ll_transport_read(t, buf + n, 1, TIMEOUT_MS);

		if (r <= 0) {
			complain("read after %zu bytes: %s", n,
				 r == 0 ? "end of stream" : ll_strerror((int)r));
			return 0;
		}
		if (buf[n++] == '\n')
			return n;
	}
	complain("a line longer than %zu bytes", cap);
	return 0;
}

/*
 * Sends a line of len bytes (newline excluded) and checks that s_server
 * -rev sends it back reversed, followed by a newline.
 */
static int exchange(struct ll_transport *t, const char *line, size_t len, char *reply)
{
	size_t i, got;
	int r;

	if ((r = ll_transport_write(t, line, len, TIMEOUT_MS)) != 0 ||
	    (r = ll_transport_write(t, "\n", 1, TIMEOUT_MS)) != 0) {
		complain("write of %zu bytes: %s", len, ll_strerror(r));
		return -1;
	}
	got = read_line(t, reply, len + 1);
	if (got == 0)
		return -1;
	if (got != len + 1) {
		complain("sent %zu bytes, got a line of %zu back", len, got - 1);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (reply[i] != line[len - 1 - i]) {
			complain("the %zu-byte line came back wrong at byte %zu", len, i);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	/*
	 * s_server reads a line with BIO_gets into its 16 KiB buffer, so the
	 * longest line stays below that; 8000 bytes still spans several TLS
	 * records' worth of reads on our side.
	 */
	static const size_t lengths[] = {1, 13, 1000, 8000};
	struct ll_tls_ctx *ctx = NULL;
	struct ll_transport *t = NULL;
	char *line = NULL, *reply = NULL;
	bool expect_reject = false;
	int fd, r, status = 1;
	size_t i, j;

	if (argc == 5 && strcmp(argv[1], "--expect-reject") == 0) {
		expect_reject = true;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: tls-peer [--expect-reject] HOST PORT CA_PEM\n");
		return 2;
	}
	r = ll_tls_client_ctx_create(&ctx, argv[3]);
	if (r) {
		complain("client context from %s: %s", argv[3], ll_strerror(r));
		return 1;
	}
	fd = ll_tcp_connect(argv[1], (unsigned)atoi(argv[2]), TIMEOUT_MS);
	if (fd < 0) {
		complain("connect: %s", ll_strerror(fd));
		goto out_free_ctx;
	}
	/* ll_transport_tls owns fd from here on, also when it fails. */
	r = ll_transport_tls(&t, fd, ctx, false, TIMEOUT_MS);
	if (expect_reject) {
		if (r == LL_ETLS) {
			printf("ok: a certificate the CA did not sign is refused\n");
			status = 0;
		} else {
			complain("handshake with an unknown CA gave '%s', expected a TLS error",
				 r ? ll_strerror(r) : "success");
		}
		goto out_destroy_transport;
	}
	if (r) {
		complain("TLS handshake: %s", ll_strerror(r));
		goto out_free_ctx;
	}
	if (!ll_transport_is_tls(t)) {
		complain("the transport does not say it is TLS");
		goto out_destroy_transport;
	}
	printf("ok: TLS handshake, certificate chain verified\n");

	line = malloc(lengths[3]);
	reply = malloc(lengths[3] + 1);
	if (!line || !reply) {
		complain("out of memory");
		goto out_free_bufs;
	}
	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		/* Printable and not a palindrome, so a reversal is visible. */
		for (j = 0; j < lengths[i]; j++)
			line[j] = (char)('a' + (j * 7 + j / 26) % 26);
		if (exchange(t, line, lengths[i], reply) != 0)
			goto out_free_bufs;
		printf("ok: %zu-byte line reversed by s_server\n", lengths[i]);
	}
	status = 0;
out_free_bufs:
	free(reply);
	free(line);
out_destroy_transport:
	/* Sends close_notify, so s_server sees an orderly end and exits. */
	ll_transport_destroy(t);
out_free_ctx:
	ll_tls_ctx_destroy(ctx);
	return status;
}
