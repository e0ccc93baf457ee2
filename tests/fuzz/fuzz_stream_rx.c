// SPDX-License-Identifier: MIT
/*
 * fuzz_stream_rx.c - stream reassembly under any chunking
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * Input: a 16-bit big-endian max_frame (plus 14), a count N, N chunk sizes,
 * then the byte stream. The stream is fed the way the stream transport
 * reads a socket: each read gets a fresh buffer holding exactly the
 * restored tail plus the chunk, so ASan catches any access past it. Every
 * frame delivered must lie inside that buffer and must be the next frame
 * of the same stream parsed in one piece; delivered lengths plus headers
 * never exceed the bytes fed, and at the end they plus the carried tail
 * account for every byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/frame.h"
#include "sockswitch/stream_rx.h"

#include "fuzz.h"

#define BIG_CHUNK 4096 /* chunk size unit for size bytes >= 0xf0 */

/**
 * struct check - what the frame callback compares against
 * @stream:	the whole stream, for the one-piece reference parse
 * @slen:	its length
 * @exp_off:	offset in @stream of the next frame's header
 * @buf:	buffer of the current read
 * @blen:	bytes in it
 * @max_frame:	limit given to stream_rx_consume()
 * @fed:	stream bytes handed over so far
 */
struct check {
	const uint8_t *stream;
	size_t slen;
	size_t exp_off;
	const uint8_t *buf;
	size_t blen;
	size_t max_frame;
	size_t fed;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void frame_cb(void *opaque, const uint8_t *frame, size_t len)
{
	struct check *c = opaque;
	uint32_t want;

	FUZZ_ASSERT(frame >= c->buf && len <= c->blen &&
			    (size_t)(frame - c->buf) <= c->blen - len,
		    "frame at +%td len %zu outside the %zu-byte buffer",
		    frame - c->buf, len, c->blen);
	FUZZ_ASSERT(len <= c->max_frame, "len %zu > max %zu", len,
		    c->max_frame);
	FUZZ_ASSERT(c->exp_off + STREAM_HDR_LEN + len <= c->fed,
		    "delivered %zu bytes, only %zu fed",
		    c->exp_off + STREAM_HDR_LEN + len, c->fed);
	want = be32(c->stream + c->exp_off);
	FUZZ_ASSERT(len == want, "frame at stream offset %zu: len %zu, want %u",
		    c->exp_off, len, want);
	FUZZ_ASSERT(
		!memcmp(frame, c->stream + c->exp_off + STREAM_HDR_LEN, len),
		"frame at stream offset %zu: wrong bytes", c->exp_off);
	c->exp_off += STREAM_HDR_LEN + len;
}

static size_t chunk_size(uint8_t b)
{
	return b < 0xf0 ? b : (size_t)(b - 0xef) * BIG_CHUNK;
}

/* Feed one chunk as one read; return stream_rx_consume()'s result. */
static int feed(struct stream_rx *rx, struct check *c, size_t chunk)
{
	size_t carry = rx->carry_len, have;
	uint32_t bad = 0;
	uint8_t *buf;
	int rc;

	buf = malloc(carry + chunk ? carry + chunk : 1);
	if (!buf)
		return -1;
	have = stream_rx_restore(rx, buf);
	FUZZ_ASSERT(have == carry, "restored %zu, carried %zu", have, carry);
	memcpy(buf + have, c->stream + c->fed, chunk);
	c->fed += chunk;
	c->buf = buf;
	c->blen = have + chunk;
	rc = stream_rx_consume(rx, buf, have + chunk, c->max_frame, frame_cb, c,
			       &bad);
	if (rc == -EPROTO) {
		FUZZ_ASSERT(c->exp_off + STREAM_HDR_LEN <= c->fed &&
				    bad == be32(c->stream + c->exp_off) &&
				    bad > c->max_frame,
			    "-EPROTO with bad_len %u at stream offset %zu", bad,
			    c->exp_off);
	} else {
		FUZZ_ASSERT(rc == 0, "stream_rx_consume: %d", rc);
		FUZZ_ASSERT(c->exp_off + rx->carry_len == c->fed,
			    "%zu delivered + %zu carried != %zu fed",
			    c->exp_off, rx->carry_len, c->fed);
		FUZZ_ASSERT(c->fed - c->exp_off < STREAM_HDR_LEN ||
				    c->fed - c->exp_off <
					    STREAM_HDR_LEN + be32(c->stream +
								  c->exp_off),
			    "a complete frame was left in the carry");
	}
	free(buf);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sizes;
	struct stream_rx rx;
	struct check c;
	size_t nsizes, i, chunk, rounds;

	if (size < 3)
		return 0;
	memset(&c, 0, sizeof(c));
	c.max_frame = FRAME_MIN_LEN + ((size_t)data[0] << 8 | data[1]);
	nsizes = data[2];
	if (size - 3 < nsizes)
		nsizes = size - 3;
	sizes = data + 3;
	c.stream = sizes + nsizes;
	c.slen = size - 3 - nsizes;
	stream_rx_init(&rx);
	/* Zero-sized reads are allowed (only the tail is consumed again), so
	 * bound the rounds rather than rely on progress. */
	for (i = 0, rounds = 0; rounds < c.slen + 64; i++, rounds++) {
		chunk = nsizes ? chunk_size(sizes[i % nsizes]) : c.slen;
		if (chunk > c.slen - c.fed)
			chunk = c.slen - c.fed;
		if (feed(&rx, &c, chunk) != 0 || c.fed == c.slen)
			break;
	}
	stream_rx_fini(&rx);
	return 0;
}
