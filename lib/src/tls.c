/*
 * tls.c - OpenSSL 3 contexts for the transports: a server context with a
 * self-signed certificate made in memory, one from PEM files, and a client
 * context. The sessions themselves live in transport.c.
 *
 * Every OpenSSL object made here is either handed to the SSL_CTX (which
 * takes its own reference) or freed before returning, so destroying the
 * context frees everything.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/tls.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct ll_tls_ctx {
	SSL_CTX *ssl_ctx;
};

struct ssl_ctx_st *ll_tls_ctx_openssl(struct ll_tls_ctx *ctx)
{
	return ctx ? ctx->ssl_ctx : NULL;
}

/* The settings both sides share. Returns 0 or LL_ETLS. */
static int configure(SSL_CTX *c)
{
	if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1)
		return LL_ETLS;
	/*
	 * A non-blocking SSL_write may return after one record (partial
	 * write) and is retried with the rest of the buffer, which may then
	 * start at another address.
	 */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * A peer that closes TCP without close_notify is an end of stream,
	 * not an error: WebSocket has its own close handshake (RFC 6455
	 * section 7), so a truncated message is caught one layer up.
	 */
	SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return 0;
}

/* Wraps ssl_ctx (owned from now on) in a new ll_tls_ctx. */
static int wrap(struct ll_tls_ctx **out, SSL_CTX *ssl_ctx)
{
	struct ll_tls_ctx *ctx;

	ctx = ll_calloc(1, sizeof(*ctx));
	if (!ctx) {
		SSL_CTX_free(ssl_ctx);
		return LL_ENOMEM;
	}
	ctx->ssl_ctx = ssl_ctx;
	*out = ctx;
	return 0;
}

/* Adds an X.509 v3 extension given in openssl.cnf syntax. Returns 0 or LL_ETLS. */
static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return LL_ETLS;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : LL_ETLS;
}

/* A random positive 63-bit serial number (RFC 5280 section 4.1.2.2). */
static int set_random_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int rc = LL_ETLS;

	if (!bn)
		return LL_ETLS;
	if (BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

/* A self-signed certificate for key, valid from now for a day, for localhost and 127.0.0.1. */
static X509 *make_cert(EVP_PKEY *key)
{
	X509_NAME *name;
	X509 *x = X509_new();

	if (!x)
		return NULL;
	if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) != 0 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 24L * 60 * 60) || X509_set_pubkey(x, key) != 1)
		goto out_free_x509;
	/* The subject is also the issuer: the name is owned by x. */
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		goto out_free_x509;
	if (add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") != 0 ||
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0)
		goto out_free_x509;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto out_free_x509;
	return x;

out_free_x509:
	X509_free(x);
	return NULL;
}

int ll_tls_server_ctx_create(struct ll_tls_ctx **out)
{
	SSL_CTX *c;
	EVP_PKEY *key;
	X509 *cert;
	int rc = LL_ETLS;

	if (!out)
		return LL_EINVAL;
	*out = NULL;
	ERR_clear_error();
	c = SSL_CTX_new(TLS_server_method());
	if (!c)
		return LL_ETLS;
	if (configure(c) != 0)
		goto out_free_ctx;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key)
		goto out_free_ctx;
	cert = make_cert(key);
	if (!cert)
		goto out_free_key;
	/* The context takes its own references to both. */
	if (SSL_CTX_use_certificate(c, cert) != 1 || SSL_CTX_use_PrivateKey(c, key) != 1 ||
	    SSL_CTX_check_private_key(c) != 1)
		goto out_free_cert;
	X509_free(cert);
	EVP_PKEY_free(key);
	return wrap(out, c);

out_free_cert:
	X509_free(cert);
out_free_key:
	EVP_PKEY_free(key);
out_free_ctx:
	SSL_CTX_free(c);
	return rc;
}

int ll_tls_server_ctx_from_files(struct ll_tls_ctx **out, const char *cert_pem, const char *key_pem)
{
	SSL_CTX *c;

	if (!out || !cert_pem || !key_pem)
		return LL_EINVAL;
	*out = NULL;
	ERR_clear_error();
	c = SSL_CTX_new(TLS_server_method());
	if (!c)
		return LL_ETLS;
	if (configure(c) != 0 || SSL_CTX_use_certificate_chain_file(c, cert_pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key_pem, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		SSL_CTX_free(c);
		return LL_ETLS;
	}
	return wrap(out, c);
}

int ll_tls_client_ctx_create(struct ll_tls_ctx **out, const char *ca_pem)
{
	SSL_CTX *c;

	if (!out)
		return LL_EINVAL;
	*out = NULL;
	ERR_clear_error();
	c = SSL_CTX_new(TLS_client_method());
	if (!c)
		return LL_ETLS;
	if (configure(c) != 0)
		goto out_free_ctx;
	if (ca_pem) {
		/*
		 * Only the chain is verified, not the name: the kit's
		 * servers are all localhost, and the CA file is the kit's own.
		 */
		if (SSL_CTX_load_verify_locations(c, ca_pem, NULL) != 1)
			goto out_free_ctx;
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	}
	return wrap(out, c);

out_free_ctx:
	SSL_CTX_free(c);
	return LL_ETLS;
}

void ll_tls_ctx_destroy(struct ll_tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	ll_free(ctx);
}
