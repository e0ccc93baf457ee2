/* SPDX-License-Identifier: MIT */
/*
 * txq.h - bounded per-port transmit queue
 *
 * Entries point at frames still in the loop's receive buffer ("borrowed")
 * until the end of a receive batch; whatever the transport could not write
 * by then is copied ("detached") into the queue's spill store, a FIFO of
 * 64 KiB chunks, so the buffer can be reused without a malloc per frame.
 */
#ifndef SOCKSWITCH_TXQ_H
#define SOCKSWITCH_TXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define TXQ_FRAMES_DEFAULT 4096
#define TXQ_BYTES_DEFAULT (2u * 1024 * 1024)
#define TXQ_HDR_LEN 4 /* stream framing: 32-bit big-endian length */
#define TXQ_CHUNK_SIZE (64u * 1024) /* spill chunk allocation, header incl. */

/**
 * struct txq_ent - one queued frame
 * @data:	the frame: in the receive buffer if the entry is one of the
 *		last @borrowed of the queue, else in the queue's spill store
 * @len:	its length in bytes
 * @framed:	the TXQ_HDR_LEN bytes before @data hold @len, big-endian
 *		(a frame read from a stream, still in the receive buffer):
 *		txq_iov() then sends header and frame as one span, merged
 *		with the previous span when they touch
 */
struct txq_ent {
	const uint8_t *data;
	uint32_t len;
	bool framed;
};

/**
 * struct txq_chunk - one piece of a queue's spill store
 * @next:	the next newer chunk, or NULL
 * @cap:	bytes in @data: TXQ_CHUNK_SIZE less this header, or exactly
 *		the frame's length for a frame larger than that
 * @used:	bytes appended to @data so far
 * @frames:	frames in @data still queued; at 0 the chunk is released
 * @data:	copied frames, appended in queue order
 */
struct txq_chunk {
	struct txq_chunk *next;
	uint32_t cap;
	uint32_t used;
	uint32_t frames;
	uint8_t data[];
};

/**
 * struct txq - ring of queued frames, bounded in frames and bytes
 * @ring:	entries, allocated on first use and grown up to @max_frames
 * @cap:	ring size (a power of two)
 * @head:	index of the oldest entry
 * @count:	entries queued
 * @bytes:	frame bytes queued (without framing headers)
 * @head_off:	bytes of the head entry already written (header included
 *		when the transport writes one): a partial write resumes here
 * @borrowed:	entries that still point into the receive buffer; always
 *		the newest ones (the tail): pushes borrow, txq_detach()
 *		leaves none borrowed
 * @max_frames:	bound on @count
 * @max_bytes:	bound on @bytes
 * @torn:	a partly written frame was lost (out of memory): the stream
 *		can no longer be framed and the port must close
 * @spill_head:	oldest chunk of the spill store (holds the head entry's
 *		copy once detached), or NULL when nothing is copied
 * @spill_tail:	newest chunk, where txq_detach() appends
 * @spare:	one released chunk kept for reuse, or NULL (txq_trim()
 *		frees it)
 * @total:	bytes queued by every queue sharing a budget with this one
 *		(the switch's sw->queued_bytes), kept in step with @bytes;
 *		txq_init() points it at @solo (a queue on its own)
 * @solo:	@total of a queue that shares no budget
 */
struct txq {
	struct txq_ent *ring;
	uint32_t cap;
	uint32_t head;
	uint32_t count;
	size_t bytes;
	size_t head_off;
	uint32_t borrowed;
	uint32_t max_frames;
	size_t max_bytes;
	bool torn;
	struct txq_chunk *spill_head;
	struct txq_chunk *spill_tail;
	struct txq_chunk *spare;
	size_t *total;
	size_t solo;
};

void txq_init(struct txq *q, uint32_t max_frames, size_t max_bytes);
void txq_fini(struct txq *q);
int txq_push(struct txq *q, const uint8_t *data, size_t len);
int txq_push_framed(struct txq *q, const uint8_t *data, size_t len);
size_t txq_iov(const struct txq *q, struct iovec *iov, size_t max_iov,
	       uint8_t (*hdr)[TXQ_HDR_LEN], bool with_hdr);
unsigned txq_advance(struct txq *q, size_t nbytes, bool with_hdr,
		     uint64_t *frame_bytes);
unsigned txq_detach(struct txq *q);
unsigned txq_clear(struct txq *q);
void txq_trim(struct txq *q);
void txq_set_limits(struct txq *q, uint32_t max_frames, size_t max_bytes);

static inline bool txq_empty(const struct txq *q)
{
	return q->count == 0;
}

/**
 * txq_above_high() - queue at least half full, in frames or bytes
 * @q:		the queue
 *
 * Senders into it are throttled from here; the other half is headroom
 * for the reads already under way.
 *
 * Return: true if above the high-water mark
 */
static inline bool txq_above_high(const struct txq *q)
{
	return q->count >= q->max_frames / 2 || q->bytes >= q->max_bytes / 2;
}

/**
 * txq_below_low() - queue at most an eighth full, in frames and bytes
 * @q:		the queue
 *
 * Return: true if below the low-water mark (throttled senders resume)
 */
static inline bool txq_below_low(const struct txq *q)
{
	return q->count <= q->max_frames / 8 && q->bytes <= q->max_bytes / 8;
}

#endif /* SOCKSWITCH_TXQ_H */
