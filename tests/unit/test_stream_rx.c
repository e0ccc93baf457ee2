// SPDX-License-Identifier: MIT
/*
 * test_stream_rx.c - length-prefixed stream reassembly under any chunking
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/stream_rx.h"

#define MAXF 65550
#define NFRAMES 40
#define BUFSZ (MAXF + 4 + 128 * 1024) /* carry + one read, as in the daemon */

struct sink {
	size_t n;
	size_t len[256];
	uint8_t first[256];
	uint8_t last[256];
};

static void sink_cb(void *opaque, const uint8_t *frame, size_t len)
{
	struct sink *s = opaque;

	cr_assert_lt(s->n, 256);
	s->len[s->n] = len;
	s->first[s->n] = len ? frame[0] : 0;
	s->last[s->n] = len ? frame[len - 1] : 0;
	s->n++;
}

/* A stream of NFRAMES frames with lengths from @lens, payload bytes set. */
static size_t build_stream(uint8_t *out, const size_t *lens, size_t n)
{
	size_t off = 0, i;

	for (i = 0; i < n; i++) {
		out[off++] = (uint8_t)(lens[i] >> 24);
		out[off++] = (uint8_t)(lens[i] >> 16);
		out[off++] = (uint8_t)(lens[i] >> 8);
		out[off++] = (uint8_t)lens[i];
		memset(out + off, (int)(i + 1), lens[i]);
		if (lens[i])
			out[off + lens[i] - 1] = (uint8_t)(0x80 | i);
		off += lens[i];
	}
	return off;
}

/* Feed @stream in chunks of sizes from @next, like the daemon does:
 * restore the carry into a fresh buffer, append the chunk, consume. */
static int feed(struct stream_rx *rx, struct sink *s, const uint8_t *stream,
		size_t total, size_t (*next)(size_t i), uint32_t *bad)
{
	uint8_t *buf = malloc(BUFSZ);
	size_t off = 0, i = 0;
	int rc = 0;

	while (off < total && rc == 0) {
		size_t chunk = next(i++), have;

		if (chunk > total - off)
			chunk = total - off;
		/* Scribble over the buffer: frames must not depend on old
		 * contents. */
		memset(buf, 0xee, BUFSZ);
		have = stream_rx_restore(rx, buf);
		memcpy(buf + have, stream + off, chunk);
		off += chunk;
		rc = stream_rx_consume(rx, buf, have + chunk, MAXF, sink_cb, s,
				       bad);
	}
	free(buf);
	return rc;
}

static size_t chunk_one(size_t i)
{
	(void)i;
	return 1;
}

static size_t chunk_odd(size_t i)
{
	static const size_t sizes[] = { 3, 5, 1, 7, 2, 4096, 6, 65536, 1, 2 };

	return sizes[i % 10];
}

static size_t chunk_big(size_t i)
{
	(void)i;
	return 128 * 1024;
}

static void check_frames(const struct sink *s, const size_t *lens, size_t n)
{
	size_t i;

	cr_assert_eq(s->n, n, "delivered %zu frames, expected %zu", s->n, n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(s->len[i], lens[i], "frame %zu length", i);
		if (lens[i] > 1)
			cr_assert_eq(s->first[i], (uint8_t)(i + 1));
		if (lens[i])
			cr_assert_eq(s->last[i], (uint8_t)(0x80 | i));
	}
}

static void run_chunking(size_t (*next)(size_t))
{
	size_t lens[NFRAMES], i, total;
	uint8_t *stream = malloc(NFRAMES * (MAXF + 4));
	struct stream_rx rx;
	struct sink s = { 0 };
	uint32_t bad = 0;

	for (i = 0; i < NFRAMES; i++)
		lens[i] = (size_t[]){
			14, 60, 1514, 9000, 65550, 0, 5, 64
		}[i % 8];
	total = build_stream(stream, lens, NFRAMES);
	stream_rx_init(&rx);
	cr_assert_eq(feed(&rx, &s, stream, total, next, &bad), 0);
	check_frames(&s, lens, NFRAMES);
	cr_assert_eq(rx.carry_len, 0);
	stream_rx_fini(&rx);
	free(stream);
}

Test(stream_rx, reassembles_one_byte_chunks)
{
	run_chunking(chunk_one);
}

Test(stream_rx, reassembles_odd_chunks)
{
	run_chunking(chunk_odd);
}

Test(stream_rx, reassembles_large_reads)
{
	run_chunking(chunk_big);
}

Test(stream_rx, length_prefix_split_in_two)
{
	size_t lens[] = { 100, 60 };
	uint8_t stream[200];
	size_t total = build_stream(stream, lens, 2);
	uint8_t buf[400];
	struct stream_rx rx;
	struct sink s = { 0 };
	uint32_t bad;
	size_t have;

	stream_rx_init(&rx);
	/* First read ends two bytes into the second header. */
	memcpy(buf, stream, 104 + 2);
	cr_assert_eq(stream_rx_consume(&rx, buf, 106, MAXF, sink_cb, &s, &bad),
		     0);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(rx.carry_len, 2);
	have = stream_rx_restore(&rx, buf);
	cr_assert_eq(have, 2);
	memcpy(buf + have, stream + 106, total - 106);
	cr_assert_eq(stream_rx_consume(&rx, buf, have + total - 106, MAXF,
				       sink_cb, &s, &bad),
		     0);
	check_frames(&s, lens, 2);
	stream_rx_fini(&rx);
}

Test(stream_rx, zero_and_short_lengths_keep_the_stream_in_step)
{
	size_t lens[] = { 0, 5, 13, 14, 0, 60 };
	uint8_t stream[256], buf[256];
	size_t total = build_stream(stream, lens, 6);
	struct stream_rx rx;
	struct sink s = { 0 };
	uint32_t bad;

	stream_rx_init(&rx);
	memcpy(buf, stream, total);
	cr_assert_eq(
		stream_rx_consume(&rx, buf, total, MAXF, sink_cb, &s, &bad), 0);
	check_frames(&s, lens, 6);
	stream_rx_fini(&rx);
}

Test(stream_rx, oversize_length_is_a_protocol_error_after_earlier_frames)
{
	uint8_t buf[64] = { 0, 0, 0, 20 };
	struct stream_rx rx;
	struct sink s = { 0 };
	uint32_t bad = 0;

	/* One good 20-byte frame, then a header claiming 70000 bytes. */
	buf[24] = 0x00;
	buf[25] = 0x01;
	buf[26] = 0x11;
	buf[27] = 0x70;
	stream_rx_init(&rx);
	cr_assert_eq(stream_rx_consume(&rx, buf, 28, MAXF, sink_cb, &s, &bad),
		     -EPROTO);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(bad, 70000);
	stream_rx_fini(&rx);
}

Test(stream_rx, maximum_is_inclusive)
{
	static uint8_t buf[MAXF + 8];
	struct stream_rx rx;
	struct sink s = { 0 };
	uint32_t bad = 0;

	buf[0] = 0;
	buf[1] = (uint8_t)(MAXF >> 16);
	buf[2] = (uint8_t)(MAXF >> 8);
	buf[3] = (uint8_t)MAXF;
	stream_rx_init(&rx);
	cr_assert_eq(
		stream_rx_consume(&rx, buf, MAXF + 4, MAXF, sink_cb, &s, &bad),
		0);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(stream_rx_consume(&rx, buf, MAXF + 4, MAXF - 1, sink_cb,
				       &s, &bad),
		     -EPROTO);
	cr_assert_eq(bad, MAXF);
	stream_rx_fini(&rx);
}

/* Backpressure: the callback sets rx->stop after the second frame. */
struct stop_sink {
	struct sink s;
	struct stream_rx *rx;
	size_t stop_at;
};

static void stop_cb(void *opaque, const uint8_t *frame, size_t len)
{
	struct stop_sink *ss = opaque;

	sink_cb(&ss->s, frame, len);
	if (ss->s.n == ss->stop_at)
		ss->rx->stop = true;
}

Test(stream_rx, stop_keeps_the_rest_complete_frames_included)
{
	size_t lens[] = { 20, 30, 40, 50 };
	uint8_t stream[256], buf[512];
	size_t total = build_stream(stream, lens, 4), have;
	struct stream_rx rx;
	struct stop_sink ss = { .rx = &rx, .stop_at = 2 };
	uint32_t bad;

	stream_rx_init(&rx);
	memcpy(buf, stream, total - 10); /* the last frame is incomplete */
	cr_assert_eq(stream_rx_consume(&rx, buf, total - 10, MAXF, stop_cb, &ss,
				       &bad),
		     0);
	cr_assert_eq(ss.s.n, 2);
	cr_assert_not(rx.stop, "the flag is cleared once acted on");
	cr_assert_eq(rx.carry_len, total - 10 - (4 + 20) - (4 + 30));
	/* Later, with nothing new read, the held frames come out; then the
	 * rest of the stream completes the last one. */
	have = stream_rx_restore(&rx, buf);
	cr_assert_eq(
		stream_rx_consume(&rx, buf, have, MAXF, stop_cb, &ss, &bad), 0);
	cr_assert_eq(ss.s.n, 3);
	have = stream_rx_restore(&rx, buf);
	memcpy(buf + have, stream + total - 10, 10);
	cr_assert_eq(stream_rx_consume(&rx, buf, have + 10, MAXF, stop_cb, &ss,
				       &bad),
		     0);
	check_frames(&ss.s, lens, 4);
	cr_assert_eq(rx.carry_len, 0);
	stream_rx_fini(&rx);
}
