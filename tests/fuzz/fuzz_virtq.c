// SPDX-License-Identifier: MIT
/*
 * fuzz_virtq.c - descriptor chains and rings as a hostile guest writes them
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * Input: byte 0 picks the ring size (1 << (b % 9)), bytes 1-8 the guest
 * physical addresses of the two memory regions (32-bit little-endian
 * each), byte 9 which of them the avail index starts from, the rest fills
 * the guest's memory: a 16 KiB heap block, so ASan sees any byte read or
 * written outside it. The descriptor table, avail and used rings sit at
 * fixed places in the first region; everything in them (indexes, heads,
 * addresses, lengths, flags, next) comes from the input. Both directions
 * are run: chains are taken until the ring is empty or broken, every
 * segment must lie inside the memory, the chain's length must be the sum
 * of its segments and at most VQ_SEG_MAX of them, and the chains are
 * copied from (TX) or filled (RX), pushed and published as the transport
 * does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/virtq.h"

#include "fuzz.h"

#define MEM_SIZE (16u * 1024)
#define REGION (MEM_SIZE / 2)
#define DESC_OFF 0u
#define AVAIL_OFF 4096u
#define USED_OFF 5120u
#define UVA_BASE 0x7f0000000000ull

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

FUZZ_NO_COVERAGE static void check_chain(const struct vq_chain *c,
					 const uint8_t *mem)
{
	uint64_t sum = 0;
	unsigned i;

	FUZZ_ASSERT(c->nseg <= VQ_SEG_MAX, "%u segments", c->nseg);
	for (i = 0; i < c->nseg; i++) {
		FUZZ_ASSERT(c->seg[i].p >= mem && c->seg[i].p + c->seg[i].len <=
							  mem + MEM_SIZE,
			    "segment %u outside the memory", i);
		sum += c->seg[i].len;
	}
	FUZZ_ASSERT(sum == c->len, "length %u, segments sum %llu", c->len,
		    (unsigned long long)sum);
}

static void run(struct virtq *q, const struct vq_mem *m, bool writable,
		const uint8_t *mem)
{
	static uint8_t scratch[4096];
	struct vq_chain c;
	unsigned steps;

	for (steps = 0; steps < 2 * q->num + 2; steps++) {
		enum vq_err r = virtq_pop(q, m, writable, &c);

		if (r == VQ_EMPTY || r == VQ_BAD_IDX)
			break;
		if (r == VQ_OK) {
			uint32_t n = c.len < sizeof(scratch) ? c.len
							     : sizeof(scratch);

			check_chain(&c, mem);
			if (writable) {
				memset(scratch, 0x5a, n);
				FUZZ_ASSERT(virtq_copy_out(&c, 0, scratch, n) ==
						    n,
					    "short copy out");
			} else {
				FUZZ_ASSERT(virtq_copy_in(&c, 0, scratch, n) ==
						    n,
					    "short copy in");
			}
			/* past the end: nothing, and no crash */
			FUZZ_ASSERT(virtq_copy_in(&c, c.len, scratch, 1) == 0,
				    "copy past the chain");
			virtq_push(q, c.head, writable ? n : 0);
		} else {
			virtq_push(q, c.head, 0);
		}
	}
	virtq_publish(q);
	virtq_notify_off(q, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vq_mem m = { 0 };
	struct virtq q = { 0 };
	uint8_t *mem;
	uint32_t num;
	size_t i;

	if (size < 10)
		return 0;
	num = 1u << (data[0] % 9);
	mem = malloc(MEM_SIZE);
	if (!mem)
		return 0;
	for (i = 0; i < MEM_SIZE; i++)
		mem[i] = size > 10 ? data[10 + i % (size - 10)] : 0;
	m.n = 2;
	m.r[0] = (struct vq_region){ .gpa = get32(data + 1),
				     .uva = UVA_BASE,
				     .size = REGION,
				     .host = mem };
	m.r[1] = (struct vq_region){ .gpa = get32(data + 5),
				     .uva = UVA_BASE + REGION,
				     .size = REGION,
				     .host = mem + REGION };
	/* Areas outside the table, or misaligned, are refused. */
	FUZZ_ASSERT(virtq_setup(&q, &m, num, UVA_BASE + MEM_SIZE, 0, 0) < 0,
		    "descriptor table outside the memory taken");
	FUZZ_ASSERT(virtq_setup(&q, &m, num, UVA_BASE + 8, UVA_BASE + AVAIL_OFF,
				UVA_BASE + USED_OFF) < 0,
		    "misaligned descriptor table taken");
	FUZZ_ASSERT(virtq_setup(&q, &m, 3, UVA_BASE, UVA_BASE + AVAIL_OFF,
				UVA_BASE + USED_OFF) < 0,
		    "ring size 3 taken");
	FUZZ_ASSERT(virtq_setup(&q, &m, num, UVA_BASE + DESC_OFF,
				UVA_BASE + AVAIL_OFF, UVA_BASE + USED_OFF) == 0,
		    "ring of %u refused", num);
	q.last_avail = data[9] & 1 ? get32(data + 1) & 0xffff : 0;
	run(&q, &m, false, mem);
	q.last_avail = 0;
	run(&q, &m, true, mem);
	/* A translation is inside the memory or NULL. */
	for (i = 0; i + 12 <= size && i < 64; i += 12) {
		uint64_t a = get32(data + i) | (uint64_t)get32(data + i + 4)
						       << 32;
		uint8_t *p = vq_mem_gpa(&m, a, get32(data + i + 8) & 0xffff);

		FUZZ_ASSERT(!p || (p >= mem && p < mem + MEM_SIZE),
			    "translation outside the memory");
	}
	free(mem);
	return 0;
}
