// SPDX-License-Identifier: MIT
/*
 * test_txq.c - bounded transmit queue: bounds, iovecs, partial writes,
 * detaching borrowed frames
 */
#include <errno.h>
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
