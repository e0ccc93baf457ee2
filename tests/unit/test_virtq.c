// SPDX-License-Identifier: MIT
/*
 * test_virtq.c - split virtqueues as the vhost-user transport reads them
 *
 * A guest memory of two regions is laid out by hand: descriptor table,
 * avail and used rings in the first, buffers in the second. Each test
 * writes what a driver (or a hostile guest) would and checks what
 * virtq_pop() makes of it, and what the used ring shows after
 * virtq_push() and virtq_publish().
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "transport/virtq.h"

#define REGION 8192u
#define GPA0 0x10000000ull
#define GPA1 0x20000000ull
#define UVA0 0x7f0000000000ull
#define AVAIL 4096u
#define USED 5120u
#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

static uint8_t mem[2 * REGION] __attribute__((aligned(16)));
static struct vq_mem m;
static struct virtq q;

static void lay_out(uint32_t num)
{
	memset(mem, 0, sizeof(mem));
	memset(&q, 0, sizeof(q));
	m.n = 2;
	m.r[0] = (struct vq_region){ GPA0, UVA0, REGION, mem };
	m.r[1] =
		(struct vq_region){ GPA1, UVA0 + REGION, REGION, mem + REGION };
	cr_assert_eq(virtq_setup(&q, &m, num, UVA0, UVA0 + AVAIL, UVA0 + USED),
		     0);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	memcpy(mem + 16 * i, &addr, 8);
	memcpy(mem + 16 * i + 8, &len, 4);
	memcpy(mem + 16 * i + 12, &flags, 2);
	memcpy(mem + 16 * i + 14, &next, 2);
}

static void avail(const uint16_t *heads, unsigned n, uint16_t from)
{
	unsigned i;
	uint16_t idx = (uint16_t)(from + n);

	for (i = 0; i < n; i++)
		memcpy(mem + AVAIL + 4 + 2 * ((from + i) % q.num), &heads[i],
		       2);
	memcpy(mem + AVAIL + 2, &idx, 2);
}

static uint16_t get16(unsigned off)
{
	uint16_t v;

	memcpy(&v, mem + off, 2);
	return v;
}

static uint32_t get32(unsigned off)
{
	uint32_t v;

	memcpy(&v, mem + off, 4);
	return v;
}

Test(virtq, three_layouts_of_a_frame)
{
	struct vq_chain c;
	uint16_t heads[] = { 0, 1, 3 };
	uint8_t out[72];

	lay_out(8);
	desc(0, GPA1, 72, 0, 0);
	desc(1, GPA1 + 100, 12, F_NEXT, 2);
	desc(2, GPA1 + 200, 60, 0, 0);
	desc(3, GPA1 + 300, 12, F_NEXT, 4);
	desc(4, GPA1 + 400, 30, F_NEXT, 5);
	desc(5, GPA1 + 500, 30, 0, 0);
	memset(mem + REGION + 400, 'a', 30);
	memset(mem + REGION + 500, 'b', 30);
	avail(heads, 3, 0);
	cr_assert_eq(virtq_avail(&q), 3);

	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_OK);
	cr_assert_eq(c.head, 0);
	cr_assert_eq(c.nseg, 1);
	cr_assert_eq(c.len, 72);
	cr_assert_eq(c.seg[0].p, mem + REGION);

	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_OK);
	cr_assert_eq(c.head, 1);
	cr_assert_eq(c.nseg, 2);
	cr_assert_eq(c.len, 72);
	cr_assert_eq(c.seg[1].p, mem + REGION + 200);

	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_OK);
	cr_assert_eq(c.head, 3);
	cr_assert_eq(c.nseg, 3);
	cr_assert_eq(virtq_copy_in(&c, 12, out, 60), 60);
	cr_assert_eq(out[0], 'a');
	cr_assert_eq(out[29], 'a');
	cr_assert_eq(out[30], 'b');
	cr_assert_eq(out[59], 'b');
	cr_assert_eq(virtq_copy_in(&c, 72, out, 1), 0);

	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_EMPTY);

	/* used entries are seen only once published */
	virtq_push(&q, 0, 0);
	virtq_push(&q, 1, 0);
	virtq_push(&q, 3, 0);
	cr_assert_eq(get16(USED + 2), 0);
	cr_assert(virtq_publish(&q), "the driver wants an interrupt");
	cr_assert_eq(get16(USED + 2), 3);
	cr_assert_eq(get32(USED + 4 + 16), 3);
	cr_assert_not(virtq_publish(&q), "nothing new to publish");
}

Test(virtq, no_interrupt_and_no_notify_flags)
{
	struct vq_chain c;
	uint16_t head = 0, one = 1;

	lay_out(4);
	desc(0, GPA1, 64, 0, 0);
	avail(&head, 1, 0);
	memcpy(mem + AVAIL, &one, 2); /* VRING_AVAIL_F_NO_INTERRUPT */
	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_OK);
	virtq_push(&q, c.head, 0);
	cr_assert_not(virtq_publish(&q), "the driver asked for no interrupt");
	cr_assert_eq(get16(USED + 2), 1);
	virtq_notify_off(&q, true);
	cr_assert_eq(get16(USED), 1);
	virtq_notify_off(&q, false);
	cr_assert_eq(get16(USED), 0);
}

Test(virtq, receive_chain_filled_and_direction_checked)
{
	struct vq_chain c;
	uint16_t heads[] = { 0, 2 };
	uint8_t frame[100];

	lay_out(4);
	desc(0, GPA1, 64, F_WRITE | F_NEXT, 1);
	desc(1, GPA1 + 1000, 64, F_WRITE, 0);
	desc(2, GPA1 + 2000, 64, 0, 0); /* read-only on the receive queue */
	avail(heads, 2, 0);
	memset(frame, 0xab, sizeof(frame));
	cr_assert_eq(virtq_pop(&q, &m, true, &c), VQ_OK);
	cr_assert_eq(c.len, 128);
	cr_assert_eq(virtq_copy_out(&c, 12, frame, 100), 100);
	cr_assert_eq(mem[REGION + 12], 0xab);
	cr_assert_eq(mem[REGION + 63], 0xab);
	cr_assert_eq(mem[REGION + 1000 + 47], 0xab);
	cr_assert_eq(mem[REGION + 1000 + 48], 0);
	cr_assert_eq(virtq_copy_out(&c, 100, frame, 100), 28, "chain full");
	cr_assert_eq(virtq_pop(&q, &m, true, &c), VQ_BAD_DESC);
	cr_assert_eq(c.head, 2, "a bad chain is still handed back");
}

Test(virtq, hostile_chains_refused)
{
	struct vq_chain c;
	uint16_t heads[] = { 0, 2, 3, 4, 5, 7 };

	lay_out(8);
	desc(0, GPA1, 12, F_NEXT, 1);
	desc(1, GPA1 + 64, 60, F_NEXT, 0); /* loops back to 0 */
	desc(2, GPA1 + REGION - 16, 64, 0, 0); /* runs past its region */
	desc(3, 0x30000000, 64, 0, 0); /* in no region */
	desc(4, GPA1, 64, F_INDIRECT, 0);
	desc(5, GPA1, 12, F_NEXT, 9); /* next outside the table */
	desc(7, GPA1, 64, F_WRITE, 0); /* device-writable on transmit */
	avail(heads, 6, 0);
	for (unsigned i = 0; i < 6; i++) {
		cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_BAD_DESC,
			     "chain %u", i);
		cr_assert_eq(c.head, heads[i]);
	}
	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_EMPTY);
}

Test(virtq, long_chain_bounded)
{
	struct vq_chain c;
	uint16_t head = 0;
	unsigned i;

	lay_out(128);
	for (i = 0; i < 100; i++)
		desc(i, GPA1 + i, 1, i < 99 ? F_NEXT : 0, (uint16_t)(i + 1));
	avail(&head, 1, 0);
	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_BAD_DESC,
		     "more than VQ_SEG_MAX segments");
}

Test(virtq, broken_ring)
{
	struct vq_chain c;
	uint16_t head = 9, idx = 100;

	lay_out(8);
	desc(0, GPA1, 64, 0, 0);
	avail(&head, 1, 0);
	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_BAD_IDX,
		     "head outside the table");
	cr_assert_eq(q.last_avail, 0, "nothing taken");
	memcpy(mem + AVAIL + 2, &idx, 2);
	cr_assert_eq(virtq_pop(&q, &m, false, &c), VQ_BAD_IDX,
		     "avail index a ring ahead");
}

Test(virtq, wraps_and_unpop)
{
	struct vq_chain c;
	uint16_t heads[] = { 1, 2, 3 };

	lay_out(4);
	q.last_avail = 65534; /* SET_VRING_BASE near the wrap */
	desc(1, GPA1, 64, F_WRITE, 0);
	desc(2, GPA1 + 64, 64, F_WRITE, 0);
	desc(3, GPA1 + 128, 64, F_WRITE, 0);
	avail(heads, 3, 65534);
	cr_assert_eq(virtq_avail(&q), 3);
	cr_assert_eq(virtq_pop(&q, &m, true, &c), VQ_OK);
	cr_assert_eq(c.head, 1);
	cr_assert_eq(virtq_pop(&q, &m, true, &c), VQ_OK);
	cr_assert_eq(c.head, 2);
	virtq_unpop(&q, 2);
	cr_assert_eq(virtq_pop(&q, &m, true, &c), VQ_OK);
	cr_assert_eq(c.head, 1, "given back, taken again");
	cr_assert_eq(q.last_avail, 65535);
}

Test(virtq, setup_checks_areas)
{
	lay_out(8);
	cr_assert_eq(virtq_setup(&q, &m, 6, UVA0, UVA0 + AVAIL, UVA0 + USED),
		     -EINVAL);
	cr_assert_eq(
		virtq_setup(&q, &m, 65536, UVA0, UVA0 + AVAIL, UVA0 + USED),
		-EINVAL);
	cr_assert_eq(
		virtq_setup(&q, &m, 8, UVA0 + 8, UVA0 + AVAIL, UVA0 + USED),
		-EINVAL, "descriptor table not 16-byte aligned");
	cr_assert_eq(virtq_setup(&q, &m, 8, UVA0, UVA0 + AVAIL,
				 UVA0 + 2 * REGION - 8),
		     -EFAULT, "used ring past the memory");
	cr_assert_eq(virtq_setup(&q, &m, 512, UVA0 + REGION - 4096,
				 UVA0 + AVAIL, UVA0 + USED),
		     -EFAULT, "descriptor table across two regions");
	cr_assert_null(vq_mem_gpa(&m, GPA0 + REGION - 1, 2));
	cr_assert_eq(vq_mem_gpa(&m, GPA1 + REGION - 2, 2),
		     mem + 2 * REGION - 2);
}
