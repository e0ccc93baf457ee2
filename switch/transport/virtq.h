/* SPDX-License-Identifier: MIT */
/*
 * virtq.h - split virtqueues in a vhost-user guest's memory: address
 * translation, descriptor chains and the used ring, checked against the
 * mapped regions. No I/O, no clock: the vhost-user transport
 * (vhost_user.c) maps the memory and signals; the fuzz target drives this
 * directly.
 */
#ifndef SWD_VIRTQ_H
#define SWD_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQ_REGIONS_MAX 8 /* VHOST_MEMORY_BASELINE_NREGIONS */
#define VQ_NUM_MAX 32768 /* the largest ring virtio allows */
#define VQ_SEG_MAX 64 /* segments of one chain we follow */

/**
 * struct vq_region - one region of the guest's memory, mapped
 * @gpa:	guest physical address of its first byte
 * @uva:	the frontend's own address of it (rings are given in these)
 * @size:	bytes
 * @host:	where it is mapped here
 */
struct vq_region {
	uint64_t gpa;
	uint64_t uva;
	uint64_t size;
	uint8_t *host;
};

/**
 * struct vq_mem - the guest's memory table (SET_MEM_TABLE)
 * @n:		regions in use
 * @r:		the regions
 */
struct vq_mem {
	unsigned n;
	struct vq_region r[VQ_REGIONS_MAX];
};

void *vq_mem_gpa(const struct vq_mem *m, uint64_t gpa, uint64_t len);
void *vq_mem_uva(const struct vq_mem *m, uint64_t uva, uint64_t len);

/**
 * struct vq_seg - one buffer of a chain, translated
 * @p:		its first byte here
 * @len:	its length
 */
struct vq_seg {
	uint8_t *p;
	uint32_t len;
};

/**
 * struct vq_chain - a descriptor chain taken from the avail ring
 * @head:	index of its first descriptor (goes back in the used ring)
 * @nseg:	segments in @seg
 * @len:	bytes in all of them
 * @seg:	the segments, in order
 */
struct vq_chain {
	uint16_t head;
	unsigned nseg;
	uint32_t len;
	struct vq_seg seg[VQ_SEG_MAX];
};

/**
 * struct virtq - one split virtqueue as the device side sees it
 * @num:	ring size (a power of two), 0 until set
 * @desc:	descriptor table, in the mapped memory
 * @avail:	driver ring: u16 flags, u16 idx, u16 ring[num]
 * @used:	device ring: u16 flags, u16 idx, {u32 id, u32 len}[num]
 * @last_avail:	next avail entry to take (SET_VRING_BASE, GET_VRING_BASE)
 * @used_idx:	next used entry to fill; published by virtq_publish()
 * @published:	@used_idx as last published
 */
struct virtq {
	uint32_t num;
	volatile uint8_t *desc;
	volatile uint8_t *avail;
	volatile uint8_t *used;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t published;
};

/**
 * enum vq_err - why a chain was refused
 * @VQ_OK:		taken
 * @VQ_EMPTY:		nothing available
 * @VQ_BAD_IDX:		the avail index ran more than a ring ahead, or
 *			a head is out of the table: the ring is broken
 * @VQ_BAD_DESC:	a descriptor outside the guest's memory, of the
 *			wrong direction, indirect, looping or too long a
 *			chain: the chain is handed back unused
 */
enum vq_err {
	VQ_OK = 0,
	VQ_EMPTY,
	VQ_BAD_IDX,
	VQ_BAD_DESC,
};

int virtq_setup(struct virtq *q, const struct vq_mem *m, uint32_t num,
		uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva);
uint16_t virtq_avail(const struct virtq *q);
enum vq_err virtq_pop(struct virtq *q, const struct vq_mem *m, bool writable,
		      struct vq_chain *c);
void virtq_unpop(struct virtq *q, unsigned n);
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
bool virtq_publish(struct virtq *q);
void virtq_notify_off(struct virtq *q, bool off);
uint32_t virtq_copy_out(const struct vq_chain *c, uint32_t off,
			const uint8_t *src, uint32_t len);
uint32_t virtq_copy_in(const struct vq_chain *c, uint32_t off, uint8_t *dst,
		       uint32_t len);

#endif /* SWD_VIRTQ_H */
