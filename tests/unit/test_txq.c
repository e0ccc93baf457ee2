// SPDX-License-Identifier: MIT
/*
 * test_txq.c - bounded transmit queue: bounds, iovecs, partial writes,
 * detaching borrowed frames into the chunked spill store
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/txq.h"

static uint8_t frames[8][100];

static void fill(void)
{
	int i;

	for (i = 0; i < 8; i++)
		memset(frames[i], 'a' + i, sizeof(frames[i]));
}

/* Concatenate what txq_iov() describes, as writev would send it. */
static size_t gather(const struct txq *q, uint8_t *out, bool hdr)
{
	struct iovec iov[64];
	uint8_t h[32][TXQ_HDR_LEN];
	size_t n = txq_iov(q, iov, 64, h, hdr), i, off = 0;

	for (i = 0; i < n; i++) {
		memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return off;
}

Test(txq, bounded_by_frames)
{
	struct txq q;
	int i;

	fill();
	txq_init(&q, 3, 1 << 20);
	for (i = 0; i < 3; i++)
		cr_assert_eq(txq_push(&q, frames[i], 100), 0);
	cr_assert_eq(txq_push(&q, frames[3], 100), -ENOBUFS);
	cr_assert_eq(q.count, 3);
	txq_fini(&q);
}

Test(txq, bounded_by_bytes)
{
	struct txq q;

	fill();
	txq_init(&q, 100, 250);
	cr_assert_eq(txq_push(&q, frames[0], 100), 0);
	cr_assert_eq(txq_push(&q, frames[1], 100), 0);
	cr_assert_eq(txq_push(&q, frames[2], 100), -ENOBUFS);
	cr_assert_eq(txq_push(&q, frames[2], 50), 0);
	cr_assert_eq(q.bytes, 250);
	txq_fini(&q);
}

Test(txq, iov_prefixes_big_endian_lengths)
{
	uint8_t out[1024];
	struct txq q;
	size_t n;

	fill();
	txq_init(&q, 16, 1 << 20);
	txq_push(&q, frames[0], 100);
	txq_push(&q, frames[1], 60);
	n = gather(&q, out, true);
	cr_assert_eq(n, 4 + 100 + 4 + 60);
	cr_assert_eq(memcmp(out, "\0\0\0\x64", 4), 0);
	cr_assert_eq(out[4], 'a');
	cr_assert_eq(memcmp(out + 104, "\0\0\0\x3c", 4), 0);
	cr_assert_eq(out[108], 'b');
	txq_fini(&q);
}

Test(txq, partial_writes_resume_without_tearing_frames)
{
	uint8_t expect[1024], got[1024];
	size_t total, sent = 0, step;
	uint64_t bytes = 0;
	unsigned done = 0;
	struct txq q;
	int i;

	fill();
	txq_init(&q, 16, 1 << 20);
	for (i = 0; i < 5; i++)
		txq_push(&q, frames[i], 100);
	total = gather(&q, expect, true);
	/* The "kernel" takes 1, 2, 3, ... bytes at a time: every split point
	 * inside headers and frames is exercised. */
	for (step = 1; sent < total; step++) {
		size_t n = gather(&q, got, true);

		cr_assert_eq(n, total - sent);
		cr_assert_eq(memcmp(got, expect + sent, n), 0,
			     "resumed stream differs at offset %zu", sent);
		if (step > n)
			step = n;
		done += txq_advance(&q, step, true, &bytes);
		sent += step;
	}
	cr_assert_eq(done, 5);
	cr_assert_eq(bytes, 500);
	cr_assert(txq_empty(&q));
	txq_fini(&q);
}

Test(txq, detach_copies_borrowed_frames)
{
	uint8_t buf[3][20], out[256];
	struct txq q;

	memset(buf, 'x', sizeof(buf));
	txq_init(&q, 16, 1 << 20);
	txq_push(&q, buf[0], 20);
	txq_push(&q, buf[1], 20);
	cr_assert_eq(q.borrowed, 2);
	cr_assert_eq(txq_detach(&q), 0);
	cr_assert_eq(q.borrowed, 0);
	memset(buf, 'y', sizeof(buf)); /* the receive buffer is reused */
	cr_assert_eq(gather(&q, out, false), 40);
	cr_assert_eq(out[0], 'x');
	cr_assert_eq(out[39], 'x');
	txq_fini(&q);
}

Test(txq, detach_keeps_partial_write_offset)
{
	uint8_t buf[50], out[256];
	uint64_t bytes = 0;
	struct txq q;

	memset(buf, 'z', sizeof(buf));
	buf[49] = 'E';
	txq_init(&q, 16, 1 << 20);
	txq_push(&q, buf, 50);
	txq_advance(&q, 10, true, &bytes); /* header + 6 frame bytes gone */
	txq_detach(&q);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(gather(&q, out, true), 44);
	cr_assert_eq(out[43], 'E');
	cr_assert_eq(txq_advance(&q, 44, true, &bytes), 1);
	cr_assert_eq(bytes, 50);
	txq_fini(&q);
}

Test(txq, ring_wraps_and_grows_in_order)
{
	char model[256];
	size_t mhead = 0, mtail = 0;
	uint64_t bytes = 0;
	uint8_t out[8192];
	struct txq q;
	int i, round;

	fill();
	txq_init(&q, 64, 1 << 20);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 7; i++) {
			cr_assert_eq(txq_push(&q, frames[i], 10), 0);
			model[mtail++] = (char)('a' + i);
		}
		txq_advance(&q, 4 * (4 + 10), true, &bytes);
		mhead += 4;
	}
	cr_assert_eq(q.count, mtail - mhead);
	gather(&q, out, false);
	for (i = 0; i < (int)(mtail - mhead); i++)
		cr_assert_eq(out[i * 10], model[mhead + (size_t)i],
			     "entry %d out of order", i);
	cr_assert_eq(txq_clear(&q), mtail - mhead);
	txq_trim(&q);
	cr_assert_null(q.ring);
	txq_fini(&q);
}

#define CHUNK_DATA (TXQ_CHUNK_SIZE - sizeof(struct txq_chunk))

static unsigned chunks(const struct txq *q, size_t *cap)
{
	const struct txq_chunk *c;
	unsigned n = 0;

	*cap = 0;
	for (c = q->spill_head; c; c = c->next) {
		n++;
		*cap += c->cap;
		cr_assert(c->frames > 0, "an empty chunk is still linked");
		cr_assert(c->used <= c->cap);
		if (!c->next)
			cr_assert_eq(c, q->spill_tail);
	}
	if (!n)
		cr_assert_null(q->spill_tail);
	return n;
}

/* A frame whose bytes say which frame it is and where in it they sit. */
static void pattern(uint8_t *f, size_t len, unsigned id)
{
	size_t i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)(id * 131 + i * 7 + (i >> 8));
}

static void expect_frame(const uint8_t *f, size_t len, unsigned id)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (f[i] != (uint8_t)(id * 131 + i * 7 + (i >> 8)))
			cr_assert_fail("frame %u differs at byte %zu of %zu",
				       id, i, len);
}

/* The queue describes exactly frames @ids[0..n) with lengths @lens, the
 * first @skip bytes of the first one already sent. */
static void expect_queue(const struct txq *q, const unsigned *ids,
			 const size_t *lens, unsigned n, size_t skip)
{
	struct iovec iov[64];
	size_t got, i;

	cr_assert_eq(q->count, n);
	got = txq_iov(q, iov, 64, NULL, false);
	cr_assert_eq(got, n < 64 ? n : 64);
	for (i = 0; i < got; i++) {
		size_t off = i ? 0 : skip;

		cr_assert_eq(iov[i].iov_len, lens[i] - off);
		expect_frame((const uint8_t *)iov[i].iov_base - off, lens[i],
			     ids[i]);
	}
}

Test(txq, detach_appends_to_chunks_and_advance_releases_them)
{
	static uint8_t rx[40][1500];
	unsigned ids[200], i, n = 0, before;
	size_t lens[200], cap;
	uint64_t bytes = 0;
	struct txq q;
	int batch;

	txq_init(&q, 4096, 1 << 22);
	/* Three batches of 40 x 1500 bytes: 180,000 bytes, more than two
	 * chunks; each batch reuses the same receive buffer. */
	for (batch = 0; batch < 3; batch++) {
		for (i = 0; i < 40; i++, n++) {
			pattern(rx[i], 1500, n);
			ids[n] = n;
			lens[n] = 1500;
			cr_assert_eq(txq_push(&q, rx[i], 1500), 0);
		}
		cr_assert_eq(q.borrowed, 40);
		cr_assert_eq(txq_detach(&q), 0);
		cr_assert_eq(q.borrowed, 0);
		memset(rx, 0xee, sizeof(rx));
	}
	expect_queue(&q, ids, lens, n, 0);
	cr_assert_eq(chunks(&q, &cap), 3, "120 x 1500 B fill three chunks");
	cr_assert_null(q.spare);
	/* Part of frame 0, then the rest of the first chunk bar one frame:
	 * the chunk stays until its last frame is sent. */
	cr_assert_eq(txq_advance(&q, 700, false, &bytes), 0);
	expect_queue(&q, ids, lens, n, 700);
	before = (unsigned)(CHUNK_DATA / 1500);
	cr_assert_eq(txq_advance(&q, (before - 1) * 1500 - 700, false, &bytes),
		     before - 1);
	cr_assert_eq(chunks(&q, &cap), 3);
	cr_assert_eq(txq_advance(&q, 1500 + 10, false, &bytes), 1);
	cr_assert_eq(chunks(&q, &cap), 2, "first chunk released");
	cr_assert_not_null(q.spare, "and kept as the spare");
	expect_queue(&q, ids + before, lens + before, n - before, 10);
	/* New frames go after the old ones, reusing the spare when the
	 * newest chunk is full. */
	for (i = 0; i < 40; i++, n++) {
		pattern(rx[i], 1500, n);
		ids[n] = n;
		lens[n] = 1500;
		cr_assert_eq(txq_push(&q, rx[i], 1500), 0);
	}
	cr_assert_eq(txq_detach(&q), 0);
	memset(rx, 0, sizeof(rx));
	cr_assert_eq(chunks(&q, &cap), 3);
	cr_assert_null(q.spare, "the spare was taken, not a new chunk");
	expect_queue(&q, ids + before, lens + before, n - before, 10);
	/* Everything out: all chunks go, one is kept, trim frees it. */
	cr_assert_eq(txq_advance(&q, (n - before) * 1500 - 10, false, &bytes),
		     n - before);
	cr_assert_eq(bytes, (uint64_t)n * 1500);
	cr_assert_eq(chunks(&q, &cap), 0);
	cr_assert_not_null(q.spare);
	txq_trim(&q);
	cr_assert_null(q.spare);
	cr_assert_null(q.ring);
	txq_fini(&q);
}

Test(txq, frames_larger_than_a_chunk_get_their_own)
{
	size_t big = CHUNK_DATA + 4000, lens[4] = { 60, big, 60, big };
	unsigned ids[4] = { 0, 1, 2, 3 }, i;
	uint64_t bytes = 0;
	struct txq_chunk *c;
	uint8_t *rx = malloc(2 * big);
	size_t cap;
	struct txq q;

	cr_assert_not_null(rx);
	txq_init(&q, 16, 1 << 20);
	for (i = 0; i < 4; i++) {
		uint8_t *f = rx + (i % 2) * big;

		pattern(f, lens[i], i);
		cr_assert_eq(txq_push(&q, f, lens[i]), 0);
		if (i % 2) {
			cr_assert_eq(txq_detach(&q), 0);
			memset(rx, 0x55, 2 * big);
		}
	}
	expect_queue(&q, ids, lens, 4, 0);
	cr_assert_eq(chunks(&q, &cap), 4);
	c = q.spill_head->next;
	cr_assert_eq(c->cap, big, "exactly the frame's size");
	cr_assert_eq(c->used, big);
	/* Releasing the big chunk keeps it as the spare (the larger one). */
	cr_assert_eq(txq_advance(&q, 60 + big, false, &bytes), 2);
	cr_assert_eq(q.spare, c);
	pattern(rx, big, 4);
	cr_assert_eq(txq_push(&q, rx, big), 0);
	cr_assert_eq(txq_detach(&q), 0);
	cr_assert_eq(q.spill_tail, c, "a frame of the same size reuses it");
	cr_assert_null(q.spare);
	memset(rx, 0, big);
	ids[0] = 2, ids[1] = 3, ids[2] = 4;
	lens[0] = 60, lens[1] = big, lens[2] = big;
	expect_queue(&q, ids, lens, 3, 0);
	cr_assert_eq(txq_clear(&q), 3);
	cr_assert_eq(chunks(&q, &cap), 0);
	txq_fini(&q);
	free(rx);
}

Test(txq, clear_drops_owned_and_borrowed_frames)
{
	uint8_t rx[5][300];
	uint64_t bytes = 0;
	struct txq q;
	size_t cap;
	int i;

	txq_init(&q, 16, 1 << 20);
	for (i = 0; i < 5; i++) {
		pattern(rx[i], sizeof(rx[i]), (unsigned)i);
		cr_assert_eq(txq_push(&q, rx[i], sizeof(rx[i])), 0);
		if (i == 2)
			cr_assert_eq(txq_detach(&q), 0);
	}
	cr_assert_eq(q.borrowed, 2);
	txq_advance(&q, 100, false, &bytes); /* head partly sent */
	cr_assert_eq(txq_clear(&q), 5);
	cr_assert_eq(q.count, 0);
	cr_assert_eq(q.borrowed, 0);
	cr_assert_eq(q.bytes, 0);
	cr_assert_eq(q.head_off, 0);
	cr_assert_eq(chunks(&q, &cap), 0);
	/* The queue works as new afterwards. */
	cr_assert_eq(txq_push(&q, rx[4], sizeof(rx[4])), 0);
	cr_assert_eq(txq_detach(&q), 0);
	memset(rx, 0, sizeof(rx));
	expect_queue(&q, (unsigned[]){ 4 }, (size_t[]){ 300 }, 1, 0);
	txq_fini(&q); /* ASan's leak check covers chunks and the spare */
}

Test(txq, trim_frees_the_spare_always_and_the_rest_when_empty)
{
	uint8_t rx[2][100];
	uint64_t bytes = 0;
	struct txq q;

	txq_init(&q, 16, 1 << 20);
	txq_trim(&q); /* nothing to free */
	cr_assert_eq(txq_push(&q, rx[0], 100), 0);
	cr_assert_eq(txq_detach(&q), 0);
	cr_assert_eq(txq_advance(&q, 100, false, &bytes), 1);
	cr_assert_not_null(q.spare);
	cr_assert_eq(txq_push(&q, rx[1], 100), 0);
	cr_assert_eq(txq_detach(&q), 0);
	cr_assert_null(q.spare);
	cr_assert_eq(txq_push(&q, rx[0], 100), 0);
	txq_trim(&q); /* busy: ring and spill stay */
	cr_assert_not_null(q.ring);
	cr_assert_not_null(q.spill_head);
	cr_assert_eq(txq_detach(&q), 0);
	cr_assert_eq(txq_advance(&q, 200, false, &bytes), 2);
	cr_assert_not_null(q.spare);
	txq_trim(&q);
	cr_assert_null(q.spare);
	cr_assert_null(q.ring);
	cr_assert_null(q.spill_head);
	cr_assert_eq(q.cap, 0);
	txq_fini(&q);
}

/* Random batches as the loop makes them: frames of every size pushed from
 * one receive buffer, a partial write, detach, the buffer overwritten.
 * The bytes sent must be exactly the frames pushed, and the spill store
 * must stay within its bound. */
Test(txq, random_batches_keep_data_and_the_memory_bound)
{
	enum { MAXF = 256, MAXLEN = 70000 };
	static unsigned ids[1 << 16];
	static size_t lens[1 << 16];
	uint8_t *rx = malloc((size_t)MAXLEN * 8), *out = malloc(MAXLEN);
	unsigned head = 0, tail = 0, next = 0, i;
	size_t off = 0, cap, owned;
	uint64_t bytes = 0;
	struct txq q;
	int batch;

	cr_assert(rx && out);
	srand(99);
	txq_init(&q, MAXF, 1 << 20);
	for (batch = 0; batch < 3000; batch++) {
		size_t used = 0, budget;
		int n = rand() % 9;

		for (i = 0; i < (unsigned)n; i++) {
			size_t len = rand() % 8 ? (size_t)(rand() % 1600)
						: (size_t)(rand() % MAXLEN);

			pattern(rx + used, len, next);
			if (txq_push(&q, rx + used, len) < 0)
				continue;
			ids[tail % (1 << 16)] = next++;
			lens[tail++ % (1 << 16)] = len;
			used += len;
		}
		/* The peer takes a random number of bytes, sometimes all. */
		budget = rand() % 4 ? (size_t)rand() % 20000 : (size_t)-1;
		while (budget && !txq_empty(&q)) {
			struct iovec iov;
			unsigned done;
			size_t take;

			txq_iov(&q, &iov, 1, NULL, false);
			take = iov.iov_len < budget ? iov.iov_len : budget;
			memcpy(out + off, iov.iov_base, take);
			off += take;
			budget -= take;
			done = txq_advance(&q, take, false, &bytes);
			if (!done)
				continue;
			cr_assert_eq(off, lens[head % (1 << 16)]);
			expect_frame(out, off, ids[head % (1 << 16)]);
			head++;
			off = 0;
			/* Empty frames behind it complete with it. */
			for (; done > 1; done--)
				cr_assert_eq(lens[head++ % (1 << 16)], 0);
		}
		cr_assert_eq(txq_detach(&q), 0);
		memset(rx, 0xa5, used);
		cr_assert_eq(q.count, tail - head);
		for (owned = 0, i = 0; i < q.count; i++)
			owned += lens[(head + i) % (1 << 16)];
		chunks(&q, &cap);
		cr_assert_leq(cap, 2 * owned + 2 * (size_t)MAXLEN,
			      "spill holds %zu bytes for %zu queued", cap,
			      owned);
		if (batch % 100 == 0)
			txq_trim(&q);
	}
	cr_assert_gt(head, 5000);
	txq_fini(&q);
	free(rx);
	free(out);
}

/* A stream read as it lands in the receive buffer: N frames of @len
 * bytes, each after its big-endian length; returns the stream's size. */
static size_t stream_buf(uint8_t *buf, unsigned n, uint32_t len)
{
	size_t off = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		buf[off] = (uint8_t)(len >> 24);
		buf[off + 1] = (uint8_t)(len >> 16);
		buf[off + 2] = (uint8_t)(len >> 8);
		buf[off + 3] = (uint8_t)len;
		memset(buf + off + TXQ_HDR_LEN, 'A' + (int)i, len);
		off += TXQ_HDR_LEN + len;
	}
	return off;
}

Test(txq, framed_run_is_one_span)
{
	static uint8_t buf[8 * (TXQ_HDR_LEN + 50)], out[sizeof(buf)];
	size_t total = stream_buf(buf, 8, 50), i;
	struct iovec iov[16];
	uint8_t h[8][TXQ_HDR_LEN];
	uint64_t fb = 0;
	struct txq q;

	txq_init(&q, 100, 1 << 20);
	for (i = 0; i < 8; i++)
		cr_assert_eq(
			txq_push_framed(&q, buf + i * 54 + TXQ_HDR_LEN, 50), 0);
	/* Eight frames back to back in the buffer: one iovec, the buffer. */
	cr_assert_eq(txq_iov(&q, iov, 16, h, true), 1);
	cr_assert_eq(iov[0].iov_base, buf);
	cr_assert_eq(iov[0].iov_len, total);
	/* A partial write inside the third frame's header resumes there. */
	cr_assert_eq(txq_advance(&q, 2 * 54 + 2, true, &fb), 2);
	cr_assert_eq(txq_iov(&q, iov, 16, h, true), 1);
	cr_assert_eq(iov[0].iov_base, buf + 2 * 54 + 2);
	cr_assert_eq(gather(&q, out, true), total - (2 * 54 + 2));
	cr_assert_arr_eq(out, buf + 2 * 54 + 2, total - (2 * 54 + 2));
	/* Without headers (datagram writers) each frame is its own span. */
	cr_assert_eq(txq_iov(&q, iov, 16, h, false), 6);
	txq_fini(&q);
}

Test(txq, framed_spans_break_where_memory_does)
{
	static uint8_t a[3 * (TXQ_HDR_LEN + 20)], b[2 * (TXQ_HDR_LEN + 20)];
	uint8_t out[512], want[512];
	struct iovec iov[16];
	uint8_t h[8][TXQ_HDR_LEN];
	size_t n, off = 0;
	struct txq q;

	stream_buf(a, 3, 20);
	stream_buf(b, 2, 20);
	memset(b + TXQ_HDR_LEN, 'x', 20);
	txq_init(&q, 100, 1 << 20);
	/* a[0], a[2] (a[1] went elsewhere), b[0], an unframed frame, b[1] */
	cr_assert_eq(txq_push_framed(&q, a + TXQ_HDR_LEN, 20), 0);
	cr_assert_eq(txq_push_framed(&q, a + 2 * 24 + TXQ_HDR_LEN, 20), 0);
	cr_assert_eq(txq_push_framed(&q, b + TXQ_HDR_LEN, 20), 0);
	fill();
	cr_assert_eq(txq_push(&q, frames[0], 30), 0);
	cr_assert_eq(txq_push_framed(&q, b + 24 + TXQ_HDR_LEN, 20), 0);
	n = txq_iov(&q, iov, 16, h, true);
	cr_assert_eq(n, 6, "a[0] | a[2] | b[0] | hdr | frame | b[1]: got %zu",
		     n);
	memcpy(want + off, a, 24), off += 24;
	memcpy(want + off, a + 48, 24), off += 24;
	memcpy(want + off, b, 24), off += 24;
	want[off] = 0, want[off + 1] = 0, want[off + 2] = 0;
	want[off + 3] = 30, off += 4;
	memcpy(want + off, frames[0], 30), off += 30;
	memcpy(want + off, b + 24, 24), off += 24;
	cr_assert_eq(gather(&q, out, true), off);
	cr_assert_arr_eq(out, want, off);
	/* Copied out of the receive buffer, a frame gets a header again. */
	cr_assert_eq(txq_detach(&q), 0);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	cr_assert_eq(gather(&q, out, true), off);
	cr_assert_arr_eq(out, want, off);
	txq_fini(&q);
}

Test(txq, header_slots_bounded_after_merged_runs)
{
	/* 40 framed frames merge into one iovec; the unframed frames after
	 * them must use header slots 0.., not their entry index (the slot
	 * array has only max_iov / 2 entries). */
	static uint8_t buf[40 * (TXQ_HDR_LEN + 10)];
	uint8_t h[4][TXQ_HDR_LEN];
	struct iovec iov[8];
	struct txq q;
	unsigned i;

	stream_buf(buf, 40, 10);
	fill();
	txq_init(&q, 100, 1 << 20);
	for (i = 0; i < 40; i++)
		cr_assert_eq(
			txq_push_framed(&q, buf + i * 14 + TXQ_HDR_LEN, 10), 0);
	for (i = 0; i < 5; i++)
		cr_assert_eq(txq_push(&q, frames[i], 10), 0);
	/* 1 span + 3 x (header, frame) = 7 of 8 iovecs; a fourth pair
	 * does not fit. */
	cr_assert_eq(txq_iov(&q, iov, 8, h, true), 7);
	cr_assert_eq(iov[1].iov_base, h[0]);
	cr_assert_eq(iov[5].iov_base, h[2]);
	txq_fini(&q);
}
