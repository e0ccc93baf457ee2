// SPDX-License-Identifier: MIT
/*
 * txq.c - bounded per-port transmit queue
 *
 * DOC: Theory of Operation
 * fwd_input() pushes pointers to frames that still live in the loop's
 * receive buffer. At the end of a receive batch the transport writes as
 * many as the peer takes with one writev() built by txq_iov() (straight
 * from the receive buffer, no copy), and txq_detach() copies whatever is
 * left so the buffer can be reused. A partial write is remembered as an
 * offset into the head entry, so a frame is never torn or interleaved
 * with another. The queue is bounded in frames and bytes; a push beyond
 * either bound fails and the caller counts the drop. The ring starts
 * empty and grows by doubling up to the frame bound; txq_trim() gives it
 * back when the queue is idle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/txq.h"

#define TXQ_RING_MIN 16

/**
 * txq_init() - set up an empty queue
 * @q:		the queue
 * @max_frames:	bound on queued frames
 * @max_bytes:	bound on queued frame bytes
 */
void txq_init(struct txq *q, uint32_t max_frames, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	txq_set_limits(q, max_frames, max_bytes);
}

/**
 * txq_set_limits() - change the bounds; frames already queued stay
 * @q:		the queue
 * @max_frames:	bound on queued frames (at least 1)
 * @max_bytes:	bound on queued frame bytes
 */
void txq_set_limits(struct txq *q, uint32_t max_frames, size_t max_bytes)
{
	q->max_frames = max_frames ? max_frames : 1;
	q->max_bytes = max_bytes;
}

static struct txq_ent *txq_at(const struct txq *q, uint32_t k)
{
	return &q->ring[(q->head + k) & (q->cap - 1)];
}

static void txq_ent_release(struct txq *q, struct txq_ent *e)
{
	if (e->owned)
		free((void *)(uintptr_t)e->data);
	else
		q->borrowed--;
	e->data = NULL;
}

/** txq_fini() - drop everything and free the ring */
void txq_fini(struct txq *q)
{
	txq_clear(q);
	free(q->ring);
	q->ring = NULL;
	q->cap = 0;
}

static int txq_grow(struct txq *q)
{
	uint32_t ncap = q->cap ? q->cap * 2 : TXQ_RING_MIN, k;
	struct txq_ent *nr = malloc(sizeof(*nr) * ncap);

	if (!nr)
		return -ENOMEM;
	for (k = 0; k < q->count; k++)
		nr[k] = *txq_at(q, k);
	free(q->ring);
	q->ring = nr;
	q->cap = ncap;
	q->head = 0;
	return 0;
}

/**
 * txq_push() - queue a borrowed frame
 * @q:		the queue
 * @data:	the frame; must stay valid until txq_detach()
 * @len:	its length
 *
 * Return: 0 on success, -ENOBUFS if a bound would be exceeded, -ENOMEM
 */
int txq_push(struct txq *q, const uint8_t *data, size_t len)
{
	struct txq_ent *e;

	if (q->count >= q->max_frames || q->bytes + len > q->max_bytes)
		return -ENOBUFS;
	if (q->count == q->cap && txq_grow(q) < 0)
		return -ENOMEM;
	e = txq_at(q, q->count);
	e->data = data;
	e->len = (uint32_t)len;
	e->owned = false;
	q->count++;
	q->bytes += len;
	q->borrowed++;
	return 0;
}

static void txq_put_hdr(uint8_t hdr[TXQ_HDR_LEN], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

/**
 * txq_iov() - describe queued data for one writev()/sendmsg()
 * @q:		the queue
 * @iov:	output vector
 * @max_iov:	its size (at least 2 when @with_hdr)
 * @hdr:	storage for length headers, @max_iov / 2 entries; unused
 *		when @with_hdr is false
 * @with_hdr:	prefix each frame with its 32-bit big-endian length
 *
 * The head entry starts after the bytes already written (head_off).
 *
 * Return: number of iovec entries filled
 */
size_t txq_iov(const struct txq *q, struct iovec *iov, size_t max_iov,
	       uint8_t (*hdr)[TXQ_HDR_LEN], bool with_hdr)
{
	size_t n = 0, skip = q->head_off, per = with_hdr ? 2 : 1;
	uint32_t k;

	for (k = 0; k < q->count && n + per <= max_iov; k++) {
		const struct txq_ent *e = txq_at(q, k);

		if (with_hdr) {
			txq_put_hdr(hdr[k], e->len);
			if (skip < TXQ_HDR_LEN) {
				iov[n].iov_base = hdr[k] + skip;
				iov[n++].iov_len = TXQ_HDR_LEN - skip;
				skip = 0;
			} else {
				skip -= TXQ_HDR_LEN;
			}
		}
		iov[n].iov_base = (void *)(uintptr_t)(e->data + skip);
		iov[n++].iov_len = e->len - skip;
		skip = 0;
	}
	return n;
}

/**
 * txq_advance() - account for @nbytes written out
 * @q:		the queue
 * @nbytes:	bytes the kernel took, as laid out by txq_iov()
 * @with_hdr:	same as given to txq_iov()
 * @frame_bytes: incremented by the length of each completed frame
 *
 * Return: number of frames completed
 */
unsigned txq_advance(struct txq *q, size_t nbytes, bool with_hdr,
		     uint64_t *frame_bytes)
{
	size_t total = q->head_off + nbytes;
	unsigned done = 0;

	while (q->count) {
		struct txq_ent *e = txq_at(q, 0);
		size_t sz = e->len + (with_hdr ? TXQ_HDR_LEN : 0);

		if (total < sz)
			break;
		total -= sz;
		*frame_bytes += e->len;
		q->bytes -= e->len;
		txq_ent_release(q, e);
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
		done++;
	}
	q->head_off = q->count ? total : 0;
	return done;
}

/**
 * txq_detach() - copy every borrowed frame so the receive buffer is free
 * @q:		the queue
 *
 * If memory runs out, the frames from the first one that could not be
 * copied to the tail are dropped (and @torn is set if that includes a
 * partly written frame).
 *
 * Return: number of frames dropped (the caller counts them)
 */
unsigned txq_detach(struct txq *q)
{
	uint32_t k, dropped = 0;

	if (!q->borrowed)
		return 0;
	for (k = 0; k < q->count; k++) {
		struct txq_ent *e = txq_at(q, k);
		uint8_t *copy;

		if (e->owned)
			continue;
		copy = malloc(e->len ? e->len : 1);
		if (!copy)
			break;
		memcpy(copy, e->data, e->len);
		e->data = copy;
		e->owned = true;
		q->borrowed--;
	}
	if (k == q->count)
		return 0;
	if (k == 0 && q->head_off)
		q->torn = true;
	while (q->count > k) {
		struct txq_ent *e = txq_at(q, q->count - 1);

		q->bytes -= e->len;
		txq_ent_release(q, e);
		q->count--;
		dropped++;
	}
	if (!q->count)
		q->head_off = 0;
	return dropped;
}

/**
 * txq_clear() - drop every queued frame
 * @q:		the queue
 *
 * Return: number of frames dropped
 */
unsigned txq_clear(struct txq *q)
{
	unsigned n = q->count;

	while (q->count) {
		txq_ent_release(q, txq_at(q, 0));
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
	}
	q->bytes = 0;
	q->head_off = 0;
	return n;
}

/**
 * txq_trim() - free the ring of an empty queue (idle ports stay small)
 * @q:		the queue
 */
void txq_trim(struct txq *q)
{
	if (q->count || !q->ring)
		return;
	free(q->ring);
	q->ring = NULL;
	q->cap = 0;
	q->head = 0;
}
