// SPDX-License-Identifier: MIT
/*
 * test_budget.c - the switch-wide queue budget: the total of all queues
 * never passes it, ports that do not read lose their own frames first
 * (dynamic threshold) while a port that reads gets everything, frames
 * held by an impairment count, a lowered budget keeps what is queued,
 * and every frame is still counted somewhere
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/sw.h"

#define NB 8 /* port 0 sends, 1..6 never read, 7 reads */
#define LEN 1000
#define BUDGET (64u * 1024)

/**
 * struct bport - a port that reads everything, or nothing
 * @port:	the port
 * @deaf:	the peer never reads
 * @got:	frames it read
 */
struct bport {
	struct port port;
	bool deaf;
	unsigned got;
};

static int bport_flush(struct port *p)
{
	struct bport *b = container_of(p, struct bport, port);
	struct iovec iov[32];
	size_t n, i, sum;

	while (!b->deaf && !txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, 32, NULL, false);
		for (i = 0, sum = 0; i < n; i++)
			sum += iov[i].iov_len;
		b->got += txq_advance(&p->txq, sum, false, &p->st.tx_bytes);
	}
	return 0;
}

static void bport_close(struct port *p)
{
	(void)p;
}

static const struct port_ops bport_ops = {
	.name = "budget",
	.flush = bport_flush,
	.close = bport_close,
};

static struct sw sw;
static struct bport bp[NB];

static void setup_budget(size_t budget)
{
	struct sw_params prm;
	int i;

	sw_params_default(&prm);
	prm.max_frame = 1518;
	prm.txq_bytes = 32u * 1024; /* 6 x 32 KiB would pass the budget */
	prm.queue_budget = budget;
	prm.hash_secret = 1;
	cr_assert_eq(sw_init(&sw, &prm), 0);
	memset(bp, 0, sizeof(bp));
	for (i = 0; i < NB; i++) {
		cr_assert_eq(sw_port_add(&sw, &bp[i].port, &bport_ops, 0), 0);
		bp[i].deaf = i >= 1 && i <= 6;
	}
}

static void teardown(void)
{
	int i;

	for (i = 0; i < NB; i++)
		if (bp[i].port.ops)
			sw_port_remove(&sw, &bp[i].port);
	sw_fini(&sw);
}

/* A broadcast of @len bytes from port @in, then the end of the batch. */
static void broadcast(int in, size_t len, uint64_t now)
{
	uint8_t f[1518] = { 0 };

	memset(f, 0xff, 6);
	f[6] = 0x02;
	f[11] = (uint8_t)(in + 1);
	fwd_input(&sw, &bp[in].port, f, len, now);
	sw_flush(&sw);
}

static size_t queues_sum(void)
{
	size_t n = 0;
	int i;

	for (i = 0; i < NB; i++)
		n += bp[i].port.txq.bytes;
	return n;
}

Test(budget, stalled_ports_share_it_and_the_reader_gets_everything,
     .fini = teardown)
{
	uint64_t refused = 0;
	int i, k;

	setup_budget(BUDGET);
	for (i = 0; i < 1000; i++) {
		broadcast(0, LEN, (uint64_t)i);
		cr_assert_leq(sw.queued_bytes, BUDGET, "total over the budget");
		cr_assert_eq(sw.queued_bytes, queues_sum());
	}
	cr_assert_eq(bp[7].got, 1000, "the port that reads lost frames");
	cr_assert_eq(bp[7].port.st.drops[PORT_DROP_TX_BUDGET], 0);
	for (k = 1; k <= 6; k++) {
		const struct port *p = &bp[k].port;

		/* Six ports that never read settle near budget / 7 each
		 * (within a frame), far below their own 32 KiB bound. */
		cr_assert_leq(p->txq.bytes, BUDGET / 7 + LEN);
		cr_assert_geq(p->txq.bytes, BUDGET / 7 - 2 * LEN);
		cr_assert_eq(p->st.drops[PORT_DROP_TX_QUEUE_FULL], 0);
		cr_assert_eq(p->st.tx_queued + p->st.drops[PORT_DROP_TX_BUDGET],
			     1000, "every frame queued or counted");
		refused += p->st.drops[PORT_DROP_TX_BUDGET];
	}
	cr_assert_gt(refused, 0);
	cr_assert_eq(strcmp(port_drop_name[PORT_DROP_TX_BUDGET], "tx_budget"),
		     0);
	cr_assert_eq(port_tx_drops(&bp[1].port),
		     bp[1].port.st.drops[PORT_DROP_TX_BUDGET]);
}

Test(budget, without_one_only_the_per_port_bound_holds, .fini = teardown)
{
	int i, k;

	setup_budget(0);
	for (i = 0; i < 1000; i++)
		broadcast(0, LEN, (uint64_t)i);
	for (k = 1; k <= 6; k++) {
		cr_assert_eq(bp[k].port.st.drops[PORT_DROP_TX_BUDGET], 0);
		cr_assert_gt(bp[k].port.txq.bytes, 31u * 1024);
	}
	cr_assert_eq(sw.queued_bytes, queues_sum(), "counted all the same");
}

Test(budget, drained_and_removed_queues_give_their_bytes_back, .fini = teardown)
{
	int i;

	setup_budget(BUDGET);
	for (i = 0; i < 200; i++)
		broadcast(0, LEN, (uint64_t)i);
	cr_assert_gt(sw.queued_bytes, BUDGET / 2);
	bp[1].deaf = bp[2].deaf = false;
	bport_flush(&bp[1].port);
	bport_flush(&bp[2].port);
	cr_assert_eq(sw.queued_bytes, queues_sum());
	for (i = 3; i <= 6; i++)
		sw_port_remove(&sw, &bp[i].port);
	for (i = 3; i <= 6; i++)
		bp[i].port.ops = NULL; /* teardown: already removed */
	cr_assert_eq(sw.queued_bytes, 0);
	broadcast(0, LEN, 300);
	cr_assert_eq(sw.queued_bytes, 0, "readers only: nothing stays queued");
}

Test(budget, a_lowered_budget_keeps_what_is_queued_and_refuses_more,
     .fini = teardown)
{
	struct sw_params prm;
	size_t before;
	int i;

	setup_budget(BUDGET);
	for (i = 0; i < 200; i++)
		broadcast(0, LEN, (uint64_t)i);
	before = sw.queued_bytes;
	prm = sw.prm;
	prm.queue_budget = 16u * 1024;
	cr_assert_eq(sw_set_params(&sw, &prm), 0);
	cr_assert_eq(sw.queued_bytes, before, "nothing queued was dropped");
	broadcast(0, LEN, 201);
	cr_assert_eq(sw.queued_bytes, before, "over the budget: no more");
	/* The hard bound holds for everyone, the reader too, until the
	 * queues that do not read drain or close. */
	cr_assert_eq(bp[7].got, 200);
	cr_assert_eq(bp[7].port.st.drops[PORT_DROP_TX_BUDGET], 1);
	prm.queue_budget = 100; /* below max_frame: refused, nothing changes */
	cr_assert_eq(sw_set_params(&sw, &prm), -EINVAL);
	cr_assert_eq(sw.prm.queue_budget, 16u * 1024);
}

Test(budget, frames_held_by_an_impairment_count, .fini = teardown)
{
	struct impair_cfg cfg = { .delay_ms = 1000, .seed = 3 };
	int i;

	setup_budget(BUDGET);
	for (i = 1; i <= 6; i++)
		bp[i].deaf = false;
	cr_assert_eq(sw_port_impair(&sw, &bp[7].port, &cfg), 0);
	for (i = 0; i < 200; i++)
		broadcast(0, LEN, 10);
	/* Port 7 holds its frames for a second; alone, it may fill what is
	 * left of the budget, which is half of it. */
	cr_assert_eq(sw.queued_bytes, bp[7].port.impair->bytes);
	cr_assert_leq(sw.queued_bytes, BUDGET / 2 + LEN);
	cr_assert_gt(bp[7].port.st.drops[PORT_DROP_TX_BUDGET], 0);
	sw_impair_release(&sw, 2000);
	sw_flush(&sw);
	cr_assert_eq(sw.queued_bytes, 0, "released frames were sent");
	cr_assert_eq(bp[7].got + bp[7].port.st.drops[PORT_DROP_TX_BUDGET], 200);
}
