/*
 * fuzz_seg.c — attaching a segment (shm/seg.c: seg_attach) whose header
 * and contents are the fuzzed bytes, then what an attacher does next
 * (looking rings and agents up by name).
 *
 * seg_attach takes a POSIX shared-memory name, so the bytes are written
 * to /dev/shm/<a name of this process> and removed after each input.
 * This file is the only place that knows that: when attach takes a memory
 * buffer, only fz_seg_attach below changes.
 *
 * Input: [mode byte: bit 0 take the header as it is (else its magic,
 * version, layout words, size and owner are made right, so the fuzzer
 * reaches the ring table), bit 1 read-only] [the segment's bytes, padded
 * with zeros to a whole header].
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "shm/seg.h"

#define FZ_APP_LAYOUT 0x5a5a46555a5a5a5aull

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Attach the n bytes of m as a segment: 0 and *s, or seg_attach's error. */
static int fz_seg_attach(struct seg *s, const uint8_t *m, size_t n, int readonly)
{
	static char name[SEG_NAME_MAX];
	int fd, rc;

	if (!name[0])
		snprintf(name, sizeof(name), "/dmfuzz-seg-%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < n;) {
		ssize_t k = write(fd, m + off, n - off);
		if (k <= 0)
			abort();
		off += (size_t)k;
	}
	close(fd);
	rc = seg_attach(s, name, readonly, FZ_APP_LAYOUT);
	shm_unlink(name);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static uint8_t buf[1 << 20] __attribute__((aligned(64)));
	struct seg s;

	if (n < 1 || n - 1 > sizeof(buf))
		return 0;
	size_t len = n - 1 < sizeof(struct seg_hdr) ? sizeof(struct seg_hdr) : n - 1;
	memset(buf, 0, len);
	memcpy(buf, d + 1, n - 1);
	if (!(d[0] & 1)) {
		struct seg_hdr *h = (struct seg_hdr *)(void *)buf;
		h->magic = SEG_MAGIC;
		h->version = SEG_VERSION;
		h->hdr_size = sizeof(*h);
		h->layout_hash = seg_layout_hash();
		h->app_layout = FZ_APP_LAYOUT;
		h->total_size = len;
		h->owner_uid = getuid();
	}
	if (fz_seg_attach(&s, buf, len, (d[0] >> 1) & 1) == 0) {
		(void)seg_ring_find(&s, "p2c");
		(void)seg_agent_find(&s, "data");
		seg_close(&s);
	}
	return 0;
}
