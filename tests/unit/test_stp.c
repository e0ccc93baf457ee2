// SPDX-License-Identifier: MIT
/*
 * test_stp.c - 802.1D spanning tree in the core, on a simulated network:
 * switches whose ports are cables to each other (a frame flushed on one
 * end is handed to the other end's switch) or guests that record what
 * they get, with the clock injected (no sleeps). Root election, the
 * blocked cable of a loop, one copy of a broadcast, failover within
 * max_age + 2 x forward_delay, edge ports, malformed BPDUs, BPDUs never
 * forwarded with STP on (and flooded with it off), BPDU guard, topology
 * change shortening the MAC ageing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/stp.h"
#include "sockswitch/sw.h"

#define NSW 3
#define NPORTS 6
#define OUTBOX 256

/**
 * struct sim_port - a cable end or a guest
 * @port:	the port
 * @sw:		its switch
 * @peer:	the other end of the cable, or NULL for a guest
 * @cut:	the cable carries nothing (a silent failure)
 * @nout:	frames waiting to cross the cable
 * @out:	their copies
 * @outlen:	their lengths
 * @got:	frames a guest received
 * @got_bpdu:	...of which BPDUs
 * @got_tag:	...of which carried the test's tag byte
 */
struct sim_port {
	struct port port;
	struct sw *sw;
	struct sim_port *peer;
	bool cut;
	unsigned nout;
	uint8_t *out[OUTBOX];
	size_t outlen[OUTBOX];
	unsigned got, got_bpdu, got_tag;
};

static struct sw sws[NSW];
static struct sim_port sp[NSW][NPORTS];
static uint64_t now;
static unsigned events[SW_EV_BPDU_GUARD + 1];
static const uint8_t TAG = 0xa5;

static int sim_flush(struct port *p)
{
	struct sim_port *s = container_of(p, struct sim_port, port);
	struct iovec iov[64];
	size_t n, i, total;

	while (!txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, 64, NULL, false);
		for (i = 0, total = 0; i < n; i++) {
			const uint8_t *f = iov[i].iov_base;

			total += iov[i].iov_len;
			if (!s->peer) {
				s->got++;
				s->got_bpdu += stp_is_bpdu_dst(f);
				s->got_tag +=
					iov[i].iov_len > 14 && f[14] == TAG;
				continue;
			}
			if (s->cut || s->nout == OUTBOX)
				continue;
			s->out[s->nout] = malloc(iov[i].iov_len);
			memcpy(s->out[s->nout], f, iov[i].iov_len);
			s->outlen[s->nout++] = iov[i].iov_len;
		}
		p->st.tx_frames +=
			txq_advance(&p->txq, total, false, &p->st.tx_bytes);
	}
	return 0;
}

static void sim_close(struct port *p)
{
	(void)p;
}

static const struct port_ops sim_ops = {
	.name = "sim",
	.flush = sim_flush,
	.close = sim_close,
};

static void count_event(void *opaque, const struct sw_event_info *e)
{
	(void)opaque;
	events[e->ev]++;
}

/* Hand every frame waiting on a cable to the other end; bounded, so a
 * loop that storms ends the test instead of hanging it. Return: frames
 * carried. */
static unsigned carry(void)
{
	unsigned moved = 0, round, k, i, j;
	bool any = true;

	for (round = 0; any && round < 200; round++) {
		any = false;
		for (k = 0; k < NSW; k++) {
			for (i = 0; i < NPORTS; i++) {
				struct sim_port *s = &sp[k][i];

				for (j = 0; j < s->nout; j++) {
					if (s->peer && !s->peer->cut)
						fwd_input(s->peer->sw,
							  &s->peer->port,
							  s->out[j],
							  s->outlen[j], now);
					sw_flush(s->peer ? s->peer->sw : s->sw);
					free(s->out[j]);
					moved++;
				}
				any |= s->nout > 0;
				s->nout = 0;
			}
		}
	}
	return moved;
}

/* Let @ms pass in 100 ms steps. */
static void run_ms(uint64_t ms)
{
	uint64_t end = now + ms;
	unsigned k;

	while (now < end) {
		now += STP_TICK_MS;
		for (k = 0; k < NSW; k++) {
			sw_stp_tick(&sws[k], now);
			sw_flush(&sws[k]);
		}
		carry();
	}
}

static void cable(unsigned a, unsigned pa, unsigned b, unsigned pb)
{
	sp[a][pa].peer = &sp[b][pb];
	sp[b][pb].peer = &sp[a][pa];
}

static void sim_setup(void)
{
	struct sw_params prm;
	unsigned k, i;

	memset(sp, 0, sizeof(sp));
	memset(events, 0, sizeof(events));
	now = 1000;
	sw_params_default(&prm);
	prm.hash_secret = 3;
	for (k = 0; k < NSW; k++) {
		cr_assert_eq(sw_init(&sws[k], &prm), 0);
		sws[k].event_cb = count_event;
		for (i = 0; i < NPORTS; i++)
			sp[k][i].sw = &sws[k];
	}
}

static void sim_teardown(void)
{
	unsigned k;

	for (k = 0; k < NSW; k++) {
		sw_stp_disable(&sws[k]);
		sw_fini(&sws[k]);
	}
}

/* Port i of switch k: a cable (not an edge) or a guest. */
static void add_port(unsigned k, unsigned i)
{
	sp[k][i].port.stp_nonedge = sp[k][i].peer != NULL;
	cr_assert_eq(sw_port_add(&sws[k], &sp[k][i].port, &sim_ops, i + 1), 0);
}

static void stp_on(unsigned k, uint32_t priority)
{
	struct stp_cfg c;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0x5b, (uint8_t)(k + 1) };

	stp_cfg_default(&c);
	c.priority = priority;
	c.hello_s = 1;
	c.max_age_s = 6;
	c.fwd_delay_s = 4;
	cr_assert_eq(sw_stp_enable(&sws[k], &c, mac, now), 0);
}

static enum stp_state st(unsigned k, unsigned i)
{
	return sp[k][i].port.stp->state;
}

static void send_from_guest(unsigned k, unsigned i, const uint8_t *dst,
			    uint8_t src_last)
{
	uint8_t f[60] = { 0 };

	memcpy(f, dst, 6);
	f[6] = 0x02;
	f[11] = src_last;
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = TAG;
	fwd_input(&sws[k], &sp[k][i].port, f, sizeof(f), now);
	sw_flush(&sws[k]);
	carry();
}

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/*
 * Two switches cabled twice (ports 1 and 2 of each), a guest on port 3
 * of each; switch 0 has the lower priority.
 */
static void two_cabled_twice(void)
{
	unsigned k, i;

	cable(0, 0, 1, 0);
	cable(0, 1, 1, 1);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 3; i++)
			add_port(k, i);
	stp_on(0, 4096);
	stp_on(1, 32768);
}

TestSuite(stp, .init = sim_setup, .fini = sim_teardown);

Test(stp, config_ranges)
{
	struct stp_cfg c;
	const char *why;

	stp_cfg_default(&c);
	cr_assert_eq(stp_cfg_check(&c, &why), 0);
	c.hello_s = 11;
	cr_assert_eq(stp_cfg_check(&c, &why), -EINVAL);
	cr_assert_not_null(strstr(why, "hello_time"));
	stp_cfg_default(&c);
	c.max_age_s = 40;
	c.fwd_delay_s = 15; /* 2 x 14 < 40 */
	cr_assert_eq(stp_cfg_check(&c, &why), -EINVAL);
	cr_assert_not_null(strstr(why, "forward_delay - 1"));
	stp_cfg_default(&c);
	c.priority = 70000;
	cr_assert_eq(stp_cfg_check(&c, &why), -EINVAL);
}

Test(stp, a_loop_converges_to_one_blocked_cable)
{
	struct stp *b;

	two_cabled_twice();
	/* Edge ports forward at once; cables listen first. */
	cr_assert_eq(st(0, 2), STP_FORWARDING);
	cr_assert_eq(st(1, 2), STP_FORWARDING);
	cr_assert(sp[0][2].port.up);
	cr_assert_neq(st(0, 0), STP_FORWARDING);
	run_ms(2 * 4000 + 1000);
	b = sws[1].stp;
	cr_assert_eq(b->root_id, sws[0].stp->bridge_id, "switch 1 sees %llx",
		     (unsigned long long)b->root_id);
	cr_assert_eq(sws[0].stp->root_port, NULL, "switch 0 is the root");
	cr_assert_eq(b->root_port, &sp[1][0].port, "lowest port id wins");
	cr_assert_eq(b->root_cost, STP_PATH_COST_DEFAULT);
	cr_assert_eq(st(0, 0), STP_FORWARDING);
	cr_assert_eq(st(0, 1), STP_FORWARDING);
	cr_assert_eq(st(1, 0), STP_FORWARDING);
	cr_assert_eq(st(1, 1), STP_BLOCKING);
	cr_assert_eq(stp_port_role(&sws[1], &sp[1][1].port), STP_ROLE_BLOCKED);
	cr_assert_eq(stp_port_role(&sws[1], &sp[1][0].port), STP_ROLE_ROOT);
	cr_assert_eq(stp_port_role(&sws[0], &sp[0][1].port),
		     STP_ROLE_DESIGNATED);
	cr_assert(!sp[1][1].port.up, "a blocked port is no destination");

	/* One copy of a broadcast, and it does not come back. */
	send_from_guest(0, 2, BCAST, 0x11);
	cr_assert_eq(sp[1][2].got_tag, 1);
	cr_assert_eq(sp[0][2].got_tag, 0);
	cr_assert_gt(sp[1][1].port.st.drops[PORT_DROP_RX_STP] +
			     sp[1][1].port.st.drops[PORT_DROP_RX_DISABLED],
		     0, "the blocked port dropped the copy it got");
	/* BPDUs are never forwarded: the guests get only their own
	 * switch's, which come from its address. */
	cr_assert_gt(sp[1][2].got_bpdu, 0);
	cr_assert_gt(sws[1].stp->root_port->stp->rx_bpdu, 0);
	cr_assert_gt(events[SW_EV_STP_ROOT], 0);
}

Test(stp, a_silent_cable_failure_fails_over_within_max_age_and_2_fwd_delay)
{
	uint64_t t0;

	two_cabled_twice();
	run_ms(9000);
	cr_assert_eq(st(1, 1), STP_BLOCKING);
	/* Cut the active cable without telling anyone (no carrier). */
	sp[0][0].cut = sp[1][0].cut = true;
	t0 = now;
	while (st(1, 1) != STP_FORWARDING && now - t0 < 30000)
		run_ms(100);
	cr_assert_eq(st(1, 1), STP_FORWARDING);
	cr_assert_leq(now - t0, 6000 + 2 * 4000 + 1000, "took %llu ms",
		      (unsigned long long)(now - t0));
	cr_assert_eq(sws[1].stp->root_port, &sp[1][1].port);
	send_from_guest(1, 2, BCAST, 0x22);
	cr_assert_eq(sp[0][2].got_tag, 1);
	cr_assert_gt(sws[1].stp->tc_count, 0);
}

Test(stp, losing_the_carrier_fails_over_in_2_fwd_delay)
{
	uint64_t t0;

	two_cabled_twice();
	run_ms(9000);
	sp[0][0].cut = sp[1][0].cut = true;
	sw_port_set_carrier(&sws[1], &sp[1][0].port, false, "unplugged");
	sw_port_set_carrier(&sws[0], &sp[0][0].port, false, "unplugged");
	t0 = now;
	while (st(1, 1) != STP_FORWARDING && now - t0 < 30000)
		run_ms(100);
	cr_assert_leq(now - t0, 2 * 4000 + 200, "took %llu ms",
		      (unsigned long long)(now - t0));
	/* While the topology changes, addresses age in forward delay. */
	cr_assert_eq(sws[1].mt.ageing_ms, 4000);
	run_ms(20000);
	cr_assert_eq(sws[1].mt.ageing_ms, sws[1].prm.ageing_ms);
}

Test(stp, a_bpdu_on_an_edge_port_makes_it_a_normal_port)
{
	uint8_t f[64] = { 0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x77 };

	two_cabled_twice();
	run_ms(9000);
	cr_assert(sp[1][2].port.stp->edge);
	/* A config BPDU from a worse bridge (priority 0xffff). */
	f[12] = 0;
	f[13] = 38;
	f[14] = f[15] = 0x42;
	f[16] = 0x03;
	memset(f + 17 + 5, 0xff, 8); /* root */
	memset(f + 17 + 17, 0xff, 8); /* bridge */
	f[17 + 25] = 0x80;
	f[17 + 29] = 20; /* max age 20 s */
	f[17 + 31] = 2;
	f[17 + 33] = 15;
	fwd_input(&sws[1], &sp[1][2].port, f, 60, now);
	sw_flush(&sws[1]);
	cr_assert(!sp[1][2].port.stp->edge);
	cr_assert_eq(sp[1][2].port.stp->rx_bpdu, 1);
	/* Still designated (the switch is better): it keeps forwarding. */
	cr_assert_eq(st(1, 2), STP_FORWARDING);
	cr_assert_eq(sws[1].stp->root_id, sws[0].stp->bridge_id);
}

Test(stp, malformed_bpdus_are_counted_and_change_nothing)
{
	struct port *g;
	uint64_t root;
	uint8_t f[64];
	int i;

	two_cabled_twice();
	run_ms(9000);
	g = &sp[1][0].port; /* the root port: its information matters */
	root = sws[1].stp->root_id;
	for (i = 0; i < 6; i++) {
		memset(f, 0, sizeof(f));
		f[0] = 0x01;
		f[1] = 0x80;
		f[2] = 0xc2;
		f[12] = 0;
		f[13] = 38;
		f[14] = f[15] = 0x42;
		f[16] = 0x03;
		f[17 + 29] = 20;
		f[17 + 31] = 2;
		f[17 + 33] = 15; /* a config BPDU claiming root 0, ... */
		if (i == 0)
			f[14] = 0xaa; /* wrong LLC */
		else if (i == 1)
			f[17] = 1; /* wrong protocol */
		else if (i == 2)
			f[17 + 29] = 200; /* max age 200 s */
		else if (i == 3)
			f[17 + 33] = 1; /* forward delay 1 s */
		else if (i == 4)
			f[17 + 3] = 0x33; /* unknown type */
		else
			f[13] = 10; /* says it is shorter than a config */
		fwd_input(&sws[1], g, f, i == 5 ? 60 : 60, now);
	}
	fwd_input(&sws[1], g, f, 20, now); /* cut short */
	sw_flush(&sws[1]);
	cr_assert_eq(g->stp->rx_bad, 7);
	cr_assert_eq(sws[1].stp->root_id, root, "believed a bad BPDU");
	cr_assert_eq(sws[1].stp->max_age_ms, 6000);
	cr_assert_eq(sp[1][2].got_tag, 0);
}

/* A BPDU claiming this bridge's own id: from a port it has (its own BPDU
 * come back) it is taken, from a port it does not have it is refused. */
Test(stp, a_bpdu_with_our_own_bridge_id)
{
	uint8_t f[60];
	uint64_t id;
	int i;

	two_cabled_twice();
	run_ms(9000);
	id = sws[1].stp->bridge_id;
	for (i = 0; i < 2; i++) {
		memset(f, 0, sizeof(f));
		memcpy(f, "\x01\x80\xc2\x00\x00\x00\x02\x00\x00\x00\x00\x09",
		       12);
		f[13] = 38;
		f[14] = f[15] = 0x42;
		f[16] = 0x03;
		f[17 + 5] = 0; /* root 0: better than anything */
		f[17 + 17] = (uint8_t)(id >> 56);
		f[17 + 18] = (uint8_t)(id >> 48);
		f[17 + 19] = (uint8_t)(id >> 40);
		f[17 + 20] = (uint8_t)(id >> 32);
		f[17 + 21] = (uint8_t)(id >> 24);
		f[17 + 22] = (uint8_t)(id >> 16);
		f[17 + 23] = (uint8_t)(id >> 8);
		f[17 + 24] = (uint8_t)id;
		/* A port id it does not have, then its own port 3's. */
		f[17 + 25] = i ? 0x80 : 0x8f;
		f[17 + 26] = i ? 0x03 : 0xff;
		f[17 + 29] = 20;
		f[17 + 31] = 2;
		f[17 + 33] = 15;
		fwd_input(&sws[1], &sp[1][2].port, f, sizeof(f), now);
		sw_flush(&sws[1]);
		if (i == 0) {
			cr_assert_eq(sp[1][2].port.stp->rx_bad, 1);
			cr_assert_eq(sws[1].stp->root_id, sws[0].stp->bridge_id,
				     "believed a forged BPDU");
		}
	}
	cr_assert_eq(sp[1][2].port.stp->rx_bad, 1);
	cr_assert_eq(sp[1][2].port.stp->rx_bpdu, 1);
}

Test(stp, with_stp_off_bpdus_are_flooded)
{
	uint8_t f[60] = { 0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x66 };
	unsigned i;

	for (i = 0; i < 3; i++)
		add_port(0, i);
	f[14] = TAG;
	fwd_input(&sws[0], &sp[0][0].port, f, sizeof(f), now);
	sw_flush(&sws[0]);
	cr_assert_eq(sp[0][1].got_bpdu, 1);
	cr_assert_eq(sp[0][2].got_bpdu, 1);
}

Test(stp, bpdu_guard_disables_the_port)
{
	uint8_t f[60] = { 0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x66 };
	unsigned i;

	for (i = 0; i < 3; i++)
		add_port(0, i);
	sw_port_set_bpdu_guard(&sws[0], &sp[0][0].port, true);
	fwd_input(&sws[0], &sp[0][0].port, f, sizeof(f), now);
	sw_flush(&sws[0]);
	cr_assert(!sp[0][0].port.enabled);
	cr_assert(!sp[0][0].port.up);
	cr_assert_eq(sp[0][0].port.bpdu_guard_trips, 1);
	cr_assert_eq(events[SW_EV_BPDU_GUARD], 1);
	cr_assert_eq(sp[0][1].got_bpdu, 0, "the guarded BPDU went nowhere");
	sw_port_set_enabled(&sws[0], &sp[0][0].port, true);
	cr_assert(sp[0][0].port.up);
	/* Another port, without a guard, floods it (STP is off). */
	fwd_input(&sws[0], &sp[0][1].port, f, sizeof(f), now);
	sw_flush(&sws[0]);
	cr_assert_eq(sp[0][2].got_bpdu, 1);
}

/* Three switches in a ring: exactly one cable blocks. */
Test(stp, a_ring_of_three_blocks_one_port)
{
	unsigned k, i, blocked = 0;

	cable(0, 0, 1, 0);
	cable(1, 1, 2, 0);
	cable(2, 1, 0, 1);
	for (k = 0; k < 3; k++)
		for (i = 0; i < 3; i++)
			add_port(k, i);
	stp_on(0, 32768);
	stp_on(1, 32768);
	stp_on(2, 32768);
	run_ms(9000);
	for (k = 0; k < 3; k++)
		for (i = 0; i < 2; i++)
			blocked += st(k, i) == STP_BLOCKING;
	cr_assert_eq(blocked, 1);
	cr_assert_eq(sws[1].stp->root_id, sws[0].stp->bridge_id,
		     "equal priorities: the lowest MAC is the root");
	send_from_guest(1, 2, BCAST, 0x33);
	cr_assert_eq(sp[0][2].got_tag, 1);
	cr_assert_eq(sp[2][2].got_tag, 1);
	cr_assert_eq(sp[1][2].got_tag, 0);
}

/* Port 1 and port 4097 would share 802.1D port id 0x8001: the second
 * takes a free one. */
Test(stp, port_ids_are_unique)
{
	static struct sim_port extra;

	add_port(0, 0);
	extra.sw = &sws[0];
	cr_assert_eq(sw_port_add(&sws[0], &extra.port, &sim_ops, 4097), 0);
	stp_on(0, 32768);
	cr_assert_eq(sp[0][0].port.stp->port_id, 0x8001);
	cr_assert_neq(extra.port.stp->port_id, 0x8001);
	cr_assert_eq(extra.port.stp->port_id >> 12, 8);
	sw_port_remove(&sws[0], &extra.port);
}

/* A Linux root may run a forward delay of 2-3 s: its BPDUs are taken
 * (refusing them would leave the port forwarding, a loop), the delay
 * raised to 802.1D's 4 s where it is adopted. */
Test(stp, a_root_with_a_short_forward_delay_is_followed_within_802_1d)
{
	uint8_t f[60];

	cable(0, 0, 1, 0);
	add_port(0, 0);
	add_port(1, 0);
	stp_on(0, 32768);
	memset(f, 0, sizeof(f));
	memcpy(f, "\x01\x80\xc2\x00\x00\x00\x02\x00\x00\x00\x00\x01", 12);
	f[13] = 38;
	f[14] = f[15] = 0x42;
	f[16] = 0x03;
	f[17 + 5] = 0x10; /* root 1000.020000000001: better */
	f[17 + 7] = 0x02;
	f[17 + 12] = 0x01;
	memcpy(f + 17 + 17, f + 17 + 5, 8);
	f[17 + 25] = 0x80;
	f[17 + 26] = 0x01;
	f[17 + 29] = 6;
	f[17 + 31] = 1;
	f[17 + 33] = 3; /* forward delay 3 s */
	fwd_input(&sws[0], &sp[0][0].port, f, sizeof(f), now);
	sw_flush(&sws[0]);
	cr_assert_eq(sp[0][0].port.stp->rx_bad, 0);
	cr_assert_eq(sws[0].stp->root_port, &sp[0][0].port);
	cr_assert_eq(sws[0].stp->fwd_delay_ms, 4000);
	cr_assert_eq(sws[0].stp->max_age_ms, 6000);
}

/* Addresses learned while learning go when the port is disabled. */
Test(stp, a_learning_port_forgets_when_it_goes_down)
{
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
			  0,	0,    0,    0,	  0x44, 0x88, 0xb5 };

	two_cabled_twice();
	run_ms(4000 + 500); /* cables listen 4 s, then learn */
	cr_assert_eq(st(1, 0), STP_LEARNING);
	fwd_input(&sws[1], &sp[1][0].port, f, sizeof(f), now);
	sw_flush(&sws[1]);
	cr_assert_eq(sp[1][0].port.mac_count, 1, "learned while learning");
	sw_port_set_enabled(&sws[1], &sp[1][0].port, false);
	cr_assert_eq(sp[1][0].port.mac_count, 0);
}
