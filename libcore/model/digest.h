/*
 * digest.h — SHA-256 (FIPS 180-4) of buffers and files, for the training
 * provenance a model file records (docs/model.md, "Metadata").
 *
 * SHA-256 rather than a faster non-cryptographic hash: the digest a model
 * records for its training files is the one `sha256sum FILE` prints, so
 * anyone can check which data a model was trained on with a stock tool.
 * About 200-300 MB/s here; dm-train digests its two input files once.
 *
 * Pure code on caller memory; sha256_file reads a file (start-up and
 * research code only).
 */
#ifndef DM_LIBCORE_MODEL_DIGEST_H
#define DM_LIBCORE_MODEL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32u
#define SHA256_HEX 65u     /* 64 hex digits and the NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t n_bytes;      /* message bytes so far */
	uint32_t fill;         /* bytes waiting in block */
	uint8_t  block[64];
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Finish: out[SHA256_LEN] gets the digest; *s must be re-initialised to
 * be used again. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);

/* One call: the lowercase hex digest of n bytes into hex[SHA256_HEX]. */
void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX]);

/*
 * The hex digest of the file's bytes into hex[SHA256_HEX].  0, or -errno
 * with "PATH: cannot open|read: reason" in err (errlen bytes, may be
 * NULL).  Reads the file in 1 MB pieces; allocates the buffer.
 */
int sha256_file(const char *path, char hex[SHA256_HEX], char *err, size_t errlen);

#endif /* DM_LIBCORE_MODEL_DIGEST_H */
