// SPDX-License-Identifier: MIT
/*
 * virtq.c - split virtqueues, the device side, over a guest's mapped memory
 *
 * DOC: Theory of Operation
 * A split virtqueue (virtio 1.x, section 2.7) is three areas in the guest's
 * memory: the descriptor table (16 bytes each: address, length, flags,
 * next), the avail ring the driver fills with chain heads, and the used
 * ring the device fills with {head, bytes written}. Everything in them is
 * written by the guest and may change under us, so each field is read
 * once into a local, and every address and length is checked against the
 * memory table before a byte is touched: a buffer must lie whole within
 * one region, a head or a next index within the table, a chain must not
 * be longer than the ring (a loop) nor have more than VQ_SEG_MAX segments,
 * and its direction must be the queue's (device-readable on TX,
 * device-writable on RX). Indirect descriptors are not offered and are
 * refused. A bad chain goes back unused (length 0) and the queue goes on;
 * an avail index more than a ring ahead, or a head outside the table, means
 * the ring itself is broken and the caller ends the port.
 *
 * Ordering: the avail index is read with acquire before the entries it
 * covers; used entries are written first and the used index published
 * with release; a full fence separates publishing from reading the
 * driver's "no interrupt" flag, and clearing our "no notify" flag from
 * looking at the avail index again (the race virtio's notification
 * suppression has by design).
 */
#include <errno.h>
#include <string.h>

#include "virtq.h"

#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2
#define VQ_DESC_F_INDIRECT 4
#define VQ_USED_F_NO_NOTIFY 1
#define VQ_AVAIL_F_NO_INTERRUPT 1

static inline uint16_t ld16(const volatile uint8_t *p)
{
	return __atomic_load_n(
		(const volatile uint16_t *)(const volatile void *)p,
		__ATOMIC_RELAXED);
}

static inline uint16_t ld16_acquire(const volatile uint8_t *p)
{
	return __atomic_load_n(
		(const volatile uint16_t *)(const volatile void *)p,
		__ATOMIC_ACQUIRE);
}

static inline void st16(volatile uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((volatile uint16_t *)(volatile void *)p, v, order);
}

static inline void st32(volatile uint8_t *p, uint32_t v)
{
	__atomic_store_n((volatile uint32_t *)(volatile void *)p, v,
			 __ATOMIC_RELAXED);
}

static void *region_find(const struct vq_mem *m, uint64_t a, uint64_t len,
			 bool by_uva)
{
	unsigned i;

	for (i = 0; i < m->n && i < VQ_REGIONS_MAX; i++) {
		const struct vq_region *r = &m->r[i];
		uint64_t base = by_uva ? r->uva : r->gpa, off;

		if (a < base)
			continue;
		off = a - base;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

/**
 * vq_mem_gpa() - where a guest-physical buffer is mapped here
 * @m:		the memory table
 * @gpa:	its guest physical address
 * @len:	its length; the whole of it must lie in one region
 *
 * Return: the pointer, or NULL if any byte is outside the table
 */
void *vq_mem_gpa(const struct vq_mem *m, uint64_t gpa, uint64_t len)
{
	return region_find(m, gpa, len, false);
}

/**
 * vq_mem_uva() - where an area given in the frontend's own addresses
 *		  (vring addresses) is mapped here
 * @m:		the memory table
 * @uva:	the frontend's address
 * @len:	its length, within one region
 *
 * Return: the pointer, or NULL
 */
void *vq_mem_uva(const struct vq_mem *m, uint64_t uva, uint64_t len)
{
	return region_find(m, uva, len, true);
}

/**
 * virtq_setup() - place a queue's three areas
 * @q:		the queue; @last_avail is kept (SET_VRING_BASE sets it)
 * @m:		the memory table they must lie in
 * @num:	ring size: a power of two, 1..VQ_NUM_MAX
 * @desc_uva:	descriptor table, frontend address (16-byte aligned)
 * @avail_uva:	avail ring (2-byte aligned)
 * @used_uva:	used ring (4-byte aligned)
 *
 * Return: 0, -EINVAL for a bad size or alignment, -EFAULT if an area is
 *	   not within the memory table
 */
int virtq_setup(struct virtq *q, const struct vq_mem *m, uint32_t num,
		uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva)
{
	uint8_t *desc, *avail, *used;

	if (num == 0 || num > VQ_NUM_MAX || (num & (num - 1)))
		return -EINVAL;
	if ((desc_uva & 15) || (avail_uva & 1) || (used_uva & 3))
		return -EINVAL;
	desc = vq_mem_uva(m, desc_uva, 16ull * num);
	avail = vq_mem_uva(m, avail_uva, 6ull + 2ull * num);
	used = vq_mem_uva(m, used_uva, 6ull + 8ull * num);
	if (!desc || !avail || !used)
		return -EFAULT;
	q->num = num;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->used_idx = q->published = ld16(used + 2);
	return 0;
}

/**
 * virtq_avail() - chains the driver has made available and we have not
 *		   taken
 * @q:		a set-up queue
 *
 * Return: how many; more than @q->num means the ring is broken
 */
uint16_t virtq_avail(const struct virtq *q)
{
	return (uint16_t)(ld16_acquire(q->avail + 2) - q->last_avail);
}

/**
 * virtq_pop() - take the next chain from the avail ring
 * @q:		a set-up queue
 * @m:		the memory table
 * @writable:	the queue's direction: true for RX (device writes)
 * @c:		filled with the chain's segments; on VQ_BAD_DESC @c->head
 *		is still the chain to hand back (virtq_push(q, head, 0))
 *
 * Return: VQ_OK, VQ_EMPTY, VQ_BAD_IDX (nothing taken) or VQ_BAD_DESC
 *	   (taken)
 */
enum vq_err virtq_pop(struct virtq *q, const struct vq_mem *m, bool writable,
		      struct vq_chain *c)
{
	uint16_t avail = virtq_avail(q), head, i;
	uint32_t steps = 0;
	uint64_t total = 0;

	c->nseg = 0;
	c->len = 0;
	if (avail == 0)
		return VQ_EMPTY;
	if (avail > q->num)
		return VQ_BAD_IDX;
	head = ld16(q->avail + 4 + 2u * (q->last_avail & (q->num - 1)));
	if (head >= q->num)
		return VQ_BAD_IDX;
	q->last_avail++;
	c->head = head;
	i = head;
	for (;;) {
		uint8_t d[16];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		uint8_t *p;

		if (++steps > q->num || c->nseg >= VQ_SEG_MAX)
			return VQ_BAD_DESC;
		memcpy(d, (const void *)(uintptr_t)(q->desc + 16u * i),
		       sizeof(d));
		memcpy(&addr, d, 8);
		memcpy(&len, d + 8, 4);
		memcpy(&flags, d + 12, 2);
		memcpy(&next, d + 14, 2);
		if (flags & VQ_DESC_F_INDIRECT)
			return VQ_BAD_DESC;
		if (!!(flags & VQ_DESC_F_WRITE) != writable)
			return VQ_BAD_DESC;
		if (len) {
			p = vq_mem_gpa(m, addr, len);
			if (!p)
				return VQ_BAD_DESC;
			total += len;
			if (total > UINT32_MAX)
				return VQ_BAD_DESC;
			c->seg[c->nseg].p = p;
			c->seg[c->nseg].len = len;
			c->nseg++;
		}
		if (!(flags & VQ_DESC_F_NEXT))
			break;
		if (next >= q->num)
			return VQ_BAD_DESC;
		i = next;
	}
	c->len = (uint32_t)total;
	return VQ_OK;
}

/**
 * virtq_unpop() - give back the last @n chains taken, unused (they will
 *		   be taken again)
 * @q:		the queue
 * @n:		how many
 */
void virtq_unpop(struct virtq *q, unsigned n)
{
	q->last_avail = (uint16_t)(q->last_avail - n);
}

/**
 * virtq_push() - put a chain in the used ring (seen once published)
 * @q:		the queue
 * @head:	the chain's head
 * @len:	bytes the device wrote into it (0 on TX)
 */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	volatile uint8_t *e = q->used + 4 + 8u * (q->used_idx & (q->num - 1));

	st32(e, head);
	st32(e + 4, len);
	q->used_idx++;
}

/**
 * virtq_publish() - make the pushed entries visible to the driver
 * @q:		the queue
 *
 * Return: true if something was published and the driver wants an
 *	   interrupt for it (no VRING_AVAIL_F_NO_INTERRUPT): write the call
 *	   eventfd
 */
bool virtq_publish(struct virtq *q)
{
	if (q->used_idx == q->published)
		return false;
	st16(q->used + 2, q->used_idx, __ATOMIC_RELEASE);
	q->published = q->used_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(ld16(q->avail) & VQ_AVAIL_F_NO_INTERRUPT);
}

/**
 * virtq_notify_off() - ask the driver not to kick (@off), or to kick again
 * @q:		the queue
 * @off:	true while we are busy with the queue anyway
 *
 * After turning kicks back on, look at virtq_avail() once more: a chain
 * made available just before the driver saw the flag comes with no kick.
 */
void virtq_notify_off(struct virtq *q, bool off)
{
	st16(q->used, off ? VQ_USED_F_NO_NOTIFY : 0, __ATOMIC_RELAXED);
	if (!off)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Copy between a chain and a flat buffer: into the chain when @out. */
static uint32_t chain_copy(const struct vq_chain *c, uint32_t off, uint8_t *buf,
			   uint32_t len, bool out)
{
	uint32_t done = 0;
	unsigned i;

	for (i = 0; i < c->nseg && done < len; i++) {
		uint32_t n;

		if (off >= c->seg[i].len) {
			off -= c->seg[i].len;
			continue;
		}
		n = c->seg[i].len - off;
		if (n > len - done)
			n = len - done;
		if (out)
			memcpy(c->seg[i].p + off, buf + done, n);
		else
			memcpy(buf + done, c->seg[i].p + off, n);
		done += n;
		off = 0;
	}
	return done;
}

/**
 * virtq_copy_out() - write into a chain's buffers
 * @c:		a writable chain
 * @off:	where in the chain to start
 * @src:	bytes to write
 * @len:	how many
 *
 * Return: bytes written (less than @len when the chain is full)
 */
uint32_t virtq_copy_out(const struct vq_chain *c, uint32_t off,
			const uint8_t *src, uint32_t len)
{
	return chain_copy(c, off, (uint8_t *)(uintptr_t)src, len, true);
}

/**
 * virtq_copy_in() - read from a chain's buffers
 * @c:		a chain
 * @off:	where in the chain to start
 * @dst:	where to copy to
 * @len:	bytes wanted
 *
 * Return: bytes copied (less than @len at the chain's end)
 */
uint32_t virtq_copy_in(const struct vq_chain *c, uint32_t off, uint8_t *dst,
		       uint32_t len)
{
	return chain_copy(c, off, dst, len, false);
}
