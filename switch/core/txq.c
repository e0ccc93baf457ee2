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
 *
 * Borrowed entries are always the newest q->borrowed ones: txq_push()
 * appends a borrowed entry, and txq_detach() copies (or drops) every one
 * of them. So the copied ("owned") entries are the oldest, and they were
 * copied in queue order: txq_detach() appends each frame to the newest
 * chunk of the queue's spill store (a FIFO of TXQ_CHUNK_SIZE chunks; a
 * frame that does not fit in one gets a chunk of exactly its size), and
 * frames only leave owned from the head (txq_advance(), txq_clear()), so
 * the head entry, if owned, always lives in the oldest chunk. Each chunk
 * counts its queued frames and is released when the last one leaves.
 * One released chunk is kept as a spare, so a port whose queue stays
 * about the same length does no malloc at all; txq_trim() frees the
 * spare, and with an empty queue everything else (idle ports own no
 * buffers). The only entries dropped from the tail (txq_detach() out of
 * memory) are still borrowed, so they never touch the spill store.
 *
 * Memory: the frame and byte bounds count frames as before. On top of the
 * queued bytes, the spill store holds the unused end of the newest chunk
 * and the already sent start of the oldest one (less than one chunk
 * each), the end of each chunk that a frame did not fit in (less than
 * that frame; a few per cent of a chunk for frames up to a few KiB, at
 * worst as much as the frames themselves when each is just over half a
 * chunk), and one spare.
 */
#include <assert.h>
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
	q->total = &q->solo;
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

/* @q->bytes, and the shared total with it, change by @add - @sub. */
static void txq_bytes_move(struct txq *q, size_t add, size_t sub)
{
	q->bytes = q->bytes + add - sub;
	*q->total = *q->total + add - sub;
}

static struct txq_ent *txq_at(const struct txq *q, uint32_t k)
{
	return &q->ring[(q->head + k) & (q->cap - 1)];
}

#define TXQ_CHUNK_DATA ((uint32_t)(TXQ_CHUNK_SIZE - sizeof(struct txq_chunk)))

/* Keep @c as the spare if it is larger than the one kept, else free it. */
static void txq_chunk_put(struct txq *q, struct txq_chunk *c)
{
	if (q->spare && q->spare->cap >= c->cap) {
		free(c);
		return;
	}
	free(q->spare);
	q->spare = c;
}

/* An empty chunk that holds at least @len bytes: the spare, or new. */
static struct txq_chunk *txq_chunk_get(struct txq *q, uint32_t len)
{
	uint32_t cap = len > TXQ_CHUNK_DATA ? len : TXQ_CHUNK_DATA;
	struct txq_chunk *c = q->spare;

	if (c && c->cap >= cap) {
		q->spare = NULL;
	} else {
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
	}
	c->next = NULL;
	c->used = 0;
	c->frames = 0;
	return c;
}

/* Room for a copy of a @len-byte frame at the end of the spill store. */
static uint8_t *txq_spill(struct txq *q, uint32_t len)
{
	struct txq_chunk *c = q->spill_tail;
	uint8_t *at;

	if (!c || c->cap - c->used < len) {
		c = txq_chunk_get(q, len);
		if (!c)
			return NULL;
		if (q->spill_tail)
			q->spill_tail->next = c;
		else
			q->spill_head = c;
		q->spill_tail = c;
	}
	at = c->data + c->used;
	c->used += len;
	c->frames++;
	return at;
}

/* The head entry leaves the queue (the caller then moves head on). */
static void txq_release_head(struct txq *q)
{
	struct txq_chunk *c = q->spill_head;

	txq_at(q, 0)->data = NULL;
	if (q->count == q->borrowed) { /* borrowed entries are the tail */
		q->borrowed--;
		return;
	}
	assert(c && c->frames);
	if (--c->frames)
		return;
	q->spill_head = c->next;
	if (!q->spill_head)
		q->spill_tail = NULL;
	txq_chunk_put(q, c);
}

/** txq_fini() - drop everything and free the ring and the spill store */
void txq_fini(struct txq *q)
{
	txq_clear(q);
	free(q->ring);
	q->ring = NULL;
	q->cap = 0;
	free(q->spare);
	q->spare = NULL;
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
static int txq_push_ent(struct txq *q, const uint8_t *data, size_t len,
			bool framed)
{
	struct txq_ent *e;

	if (q->count >= q->max_frames || q->bytes + len > q->max_bytes)
		return -ENOBUFS;
	if (q->count == q->cap && txq_grow(q) < 0)
		return -ENOMEM;
	e = txq_at(q, q->count);
	e->data = data;
	e->len = (uint32_t)len;
	e->framed = framed;
	q->count++;
	txq_bytes_move(q, len, 0);
	q->borrowed++;
	return 0;
}

int txq_push(struct txq *q, const uint8_t *data, size_t len)
{
	return txq_push_ent(q, data, len, false);
}

/**
 * txq_push_framed() - queue a borrowed frame that has its stream header
 * @q:		the queue
 * @data:	the frame, as for txq_push(); the TXQ_HDR_LEN bytes before
 *		it are its length, big-endian, and stay untouched as long
 *		as the frame
 * @len:	its length
 *
 * Stream input is laid out like stream output, so a stream writer can
 * send such frames straight from the receive buffer, runs of them in
 * one iovec (see txq_iov()).
 *
 * Return: as txq_push()
 */
int txq_push_framed(struct txq *q, const uint8_t *data, size_t len)
{
	return txq_push_ent(q, data, len, true);
}

static const uint8_t *iov_end(const struct iovec *v)
{
	return (const uint8_t *)v->iov_base + v->iov_len;
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
 * With @with_hdr, a framed entry (txq_push_framed()) is one span, header
 * included, that extends the previous span when the two touch: a run of
 * frames read from one stream and bound for one port goes out as one
 * iovec, straight from the receive buffer.
 *
 * Return: number of iovec entries filled
 */
size_t txq_iov(const struct txq *q, struct iovec *iov, size_t max_iov,
	       uint8_t (*hdr)[TXQ_HDR_LEN], bool with_hdr)
{
	size_t n = 0, h = 0, skip = q->head_off, per = with_hdr ? 2 : 1;
	uint32_t k;

	for (k = 0; k < q->count && n + per <= max_iov; k++) {
		const struct txq_ent *e = txq_at(q, k);

		if (with_hdr && e->framed) {
			const uint8_t *at = e->data - TXQ_HDR_LEN + skip;
			size_t len = TXQ_HDR_LEN + e->len - skip;

			skip = 0;
			if (n && iov_end(&iov[n - 1]) == at) {
				iov[n - 1].iov_len += len;
			} else {
				iov[n].iov_base = (void *)(uintptr_t)at;
				iov[n++].iov_len = len;
			}
			continue;
		}
		if (with_hdr) {
			txq_put_hdr(hdr[h], e->len);
			if (skip < TXQ_HDR_LEN) {
				iov[n].iov_base = hdr[h] + skip;
				iov[n++].iov_len = TXQ_HDR_LEN - skip;
				skip = 0;
			} else {
				skip -= TXQ_HDR_LEN;
			}
			h++;
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
		txq_bytes_move(q, 0, e->len);
		txq_release_head(q);
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
 * Only the newest q->borrowed entries are looked at; their frames are
 * appended to the spill store in queue order. If memory runs out, the
 * frames from the first one that could not be copied to the tail are
 * dropped (and @torn is set if that includes a partly written frame).
 *
 * Return: number of frames dropped (the caller counts them)
 */
unsigned txq_detach(struct txq *q)
{
	uint32_t k, dropped;

	if (!q->borrowed)
		return 0;
	assert(q->borrowed <= q->count);
	for (k = q->count - q->borrowed; k < q->count; k++) {
		struct txq_ent *e = txq_at(q, k);
		uint8_t *copy = txq_spill(q, e->len);

		if (!copy)
			break;
		memcpy(copy, e->data, e->len);
		e->data = copy;
		e->framed = false;
	}
	dropped = q->count - k;
	q->borrowed = 0;
	if (!dropped)
		return 0;
	if (k == 0 && q->head_off)
		q->torn = true;
	for (; k < q->count; k++) {
		struct txq_ent *e = txq_at(q, k);

		txq_bytes_move(q, 0, e->len);
		e->data = NULL;
	}
	q->count -= dropped;
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
		txq_release_head(q);
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
	}
	txq_bytes_move(q, 0, q->bytes);
	q->head_off = 0;
	return n;
}

/**
 * txq_trim() - give back memory a quiet queue does not need
 * @q:		the queue
 *
 * Frees the spare spill chunk, and the ring too when the queue is empty
 * (an empty queue has no spill chunks), so idle ports stay small.
 */
void txq_trim(struct txq *q)
{
	free(q->spare);
	q->spare = NULL;
	if (q->count || !q->ring)
		return;
	assert(!q->spill_head && !q->borrowed);
	free(q->ring);
	q->ring = NULL;
	q->cap = 0;
	q->head = 0;
}
