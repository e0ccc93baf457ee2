// SPDX-License-Identifier: MIT
/*
 * test_fwd.c - the forwarding core on mock ports: flood sets, learning,
 * hub mode, queue-full drops, port removal, backpressure (throttling)
 * the conservation invariant, and the port events (every change of up,
 * with its cause)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/sw.h"

#define NP 4

/**
 * struct mock_port - a port whose transport records what it is given
 * @port:	the port
 * @stalled:	the peer does not read: flush writes nothing
 * @frames:	frames written
 * @last:	first byte after the source MAC of the last frame (a tag)
 * @paused:	reading is paused (pause_ops only)
 * @pauses:	ops->rx_pause calls
 */
struct mock_port {
	struct port port;
	bool stalled;
	unsigned frames;
	uint8_t last;
	bool paused;
	unsigned pauses;
};

static int mock_flush(struct port *p)
{
	struct mock_port *m = container_of(p, struct mock_port, port);
	struct iovec iov[64];
	size_t n, i, total = 0;

	while (!m->stalled && !txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, 64, NULL, false);
		for (i = 0, total = 0; i < n; i++) {
			total += iov[i].iov_len;
			if (iov[i].iov_len > 14)
				m->last =
					((const uint8_t *)iov[i].iov_base)[14];
		}
		m->frames +=
			txq_advance(&p->txq, total, false, &p->st.tx_bytes);
		p->st.tx_frames = m->frames;
	}
	return 0;
}

static void mock_close(struct port *p)
{
	(void)p;
}

static const struct port_ops mock_ops = {
	.name = "mock",
	.flush = mock_flush,
	.close = mock_close,
};

static void mock_rx_pause(struct port *p, bool pause)
{
	struct mock_port *m = container_of(p, struct mock_port, port);

	cr_assert(!pause || !m->paused, "paused twice");
	cr_assert(!p->closing, "a closing port is never resumed");
	m->paused = pause;
	m->pauses++;
}

/* A transport with its own receive descriptor: it can be throttled. */
static const struct port_ops pause_ops = {
	.name = "mockpause",
	.flush = mock_flush,
	.close = mock_close,
	.rx_pause = mock_rx_pause,
};

static struct sw sw;
static struct mock_port mp[NP];

static void setup_with(bool hub, uint32_t table, uint32_t qframes)
{
	struct sw_params prm;
	int i;

	sw_params_default(&prm);
	prm.hub = hub;
	prm.mac_table_size = table;
	prm.txq_frames = qframes;
	prm.hash_secret = 7;
	cr_assert_eq(sw_init(&sw, &prm), 0);
	memset(mp, 0, sizeof(mp));
	for (i = 0; i < NP; i++)
		cr_assert_eq(sw_port_add(&sw, &mp[i].port, &mock_ops, 0), 0);
}

static void setup(void)
{
	setup_with(false, 64, 512);
}

static void teardown(void)
{
	int i;

	for (i = 0; i < NP; i++)
		if (mp[i].port.up || mp[i].port.txq.ring)
			sw_port_remove(&sw, &mp[i].port);
	sw_fini(&sw);
}

/* Send a 60-byte frame from host @src (on port @in) to host @dst; host n
 * has MAC 02:00:00:00:00:n, and 0xff means broadcast. */
static void send_frame(int in, uint8_t dst, uint8_t src, uint8_t tag,
		       uint64_t now)
{
	uint8_t f[60] = { 0 };

	memset(f, dst == 0xff ? 0xff : 0, 6);
	if (dst != 0xff) {
		f[0] = 0x02;
		f[5] = dst;
	}
	f[6] = 0x02;
	f[11] = src;
	f[12] = 0x08;
	f[14] = tag;
	fwd_input(&sw, &mp[in].port, f, sizeof(f), now);
	sw_flush(&sw); /* f goes out of scope: queues must have copied it */
}

static unsigned got(int i)
{
	return mp[i].frames;
}

Test(fwd, broadcast_reaches_every_other_port_never_the_sender, .init = setup,
     .fini = teardown)
{
	send_frame(0, 0xff, 1, 1, 0);
	cr_assert_eq(got(0), 0);
	cr_assert_eq(got(1), 1);
	cr_assert_eq(got(2), 1);
	cr_assert_eq(got(3), 1);
	cr_assert_eq(mp[0].port.st.rx_broadcast, 1);
}

Test(fwd, unknown_unicast_is_flooded_known_unicast_goes_to_one_port,
     .init = setup, .fini = teardown)
{
	send_frame(2, 9, 3, 1, 0); /* host 9 unknown: flood */
	cr_assert_eq(got(0) + got(1) + got(3), 3);
	send_frame(1, 3, 2, 2, 1); /* host 3 learned on port 2 */
	cr_assert_eq(got(2), 1);
	cr_assert_eq(mp[2].last, 2);
	cr_assert_eq(got(0), 1, "known unicast must not be flooded");
	cr_assert_eq(got(3), 1);
}

Test(fwd, multicast_is_flooded_and_not_learned, .init = setup, .fini = teardown)
{
	uint8_t f[60] = { 0x01, 0x00, 0x5e, 0, 0, 1, 0x03, 0, 0, 0, 0, 5, 8 };

	fwd_input(&sw, &mp[0].port, f, sizeof(f), 0);
	sw_flush(&sw);
	cr_assert_eq(got(1) + got(2) + got(3), 3);
	cr_assert_eq(mp[0].port.st.rx_multicast, 1);
	cr_assert_eq(sw.mt.count, 0, "multicast source must not be learned");
}

Test(fwd, frame_to_a_host_on_the_same_port_is_dropped_as_local, .init = setup,
     .fini = teardown)
{
	send_frame(0, 0xff, 1, 1, 0);
	send_frame(0, 0xff, 2, 1, 0); /* hosts 1 and 2 both behind port 0 */
	send_frame(0, 2, 1, 3, 0);
	cr_assert_eq(got(0), 0);
	cr_assert_eq(got(1), 2);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_LOCAL], 1);
}

Test(fwd, hub_mode_floods_known_unicast)
{
	setup_with(true, 64, 512);
	send_frame(0, 0xff, 1, 1, 0);
	send_frame(1, 1, 2, 2, 0);
	cr_assert_eq(got(0), 1);
	cr_assert_eq(got(2), 2);
	cr_assert_eq(got(3), 2);
	cr_assert_eq(sw.mt.count, 0);
	teardown();
}

Test(fwd, full_table_evicts_the_oldest_and_learns_the_new_address)
{
	setup_with(false, 2, 512);
	send_frame(0, 0xff, 1, 1, 0);
	send_frame(1, 0xff, 2, 1, 10);
	send_frame(2, 0xff, 3, 1, 20); /* table full: host 1 evicted */
	cr_assert_eq(mp[2].port.st.mac_table_full, 1);
	cr_assert_eq(mp[2].port.st.mac_new, 1, "host 3 is learned");
	cr_assert_eq(mp[0].port.st.mac_evicted, 1);
	cr_assert_eq(sw.mt.count, 2);
	send_frame(1, 3, 2, 7, 30); /* so frames to host 3 go to it alone */
	cr_assert_eq(got(0), 2);
	cr_assert_eq(got(2), 3);
	cr_assert_eq(got(3), 3);
	send_frame(2, 1, 3, 8, 40); /* and frames to host 1 are flooded */
	cr_assert_eq(got(0), 3);
	cr_assert_eq(got(1), 3);
	cr_assert_eq(got(3), 4);
	teardown();
}

/**
 * struct mac_log - MAC events seen by the test's event_cb
 * @n:		how many
 * @ev:		each event
 * @from:	its @from port
 * @to:		its @to port
 * @mac5:	last byte of its address (the host number)
 */
struct mac_log {
	unsigned n;
	enum sw_event ev[16];
	const struct port *from[16];
	const struct port *to[16];
	uint8_t mac5[16];
};

static void log_mac_events(void *opaque, const struct sw_event_info *e)
{
	struct mac_log *l = opaque;

	if (!sw_event_is_mac(e->ev))
		return;
	cr_assert_lt(l->n, 16, "too many events");
	l->ev[l->n] = e->ev;
	l->from[l->n] = e->from;
	l->to[l->n] = e->to;
	l->mac5[l->n] = e->mac[5];
	l->n++;
}

Test(fwd, eviction_is_counted_and_reported, .fini = teardown)
{
	static const enum sw_event want[] = {
		SW_EV_MAC_NEW,	   SW_EV_MAC_NEW,     SW_EV_MAC_TABLE_FULL,
		SW_EV_MAC_EVICTED, SW_EV_MAC_NEW,     SW_EV_MAC_EVICTED,
		SW_EV_MAC_NEW,	   SW_EV_MAC_EVICTED, SW_EV_MAC_NEW,
	};
	struct mac_log l = { 0 };
	unsigned i;

	setup_with(false, 2, 512); /* share: 1 */
	sw.event_cb = log_mac_events;
	sw.event_opaque = &l;
	send_frame(0, 0xff, 1, 1, 0);
	send_frame(1, 0xff, 2, 1, 10);
	send_frame(2, 0xff, 3, 1, 20); /* full: evicts host 1 of port 0 */
	send_frame(3, 0xff, 4, 1, 30); /* full again: no second FULL */
	send_frame(3, 0xff, 5, 1, 40); /* port 3 at its share: evicts 4 */
	cr_assert_eq(l.n, sizeof(want) / sizeof(want[0]), "%u events", l.n);
	for (i = 0; i < l.n; i++)
		cr_assert_eq(l.ev[i], want[i], "event %u is %d", i, l.ev[i]);
	cr_assert_eq(l.mac5[2], 3, "FULL names the address learned");
	cr_assert_eq(l.to[2], &mp[2].port);
	cr_assert_eq(l.mac5[3], 1);
	cr_assert_eq(l.from[3], &mp[0].port);
	cr_assert_eq(l.to[3], &mp[2].port);
	cr_assert_eq(l.mac5[5], 2);
	cr_assert_eq(l.from[5], &mp[1].port);
	cr_assert_eq(l.mac5[7], 4, "its own oldest");
	cr_assert_eq(l.from[7], &mp[3].port);
	cr_assert_eq(l.to[7], &mp[3].port);
	cr_assert_eq(mp[0].port.st.mac_evicted, 1);
	cr_assert_eq(mp[1].port.st.mac_evicted, 1);
	cr_assert_eq(mp[3].port.st.mac_evicted, 1);
	cr_assert_eq(mp[2].port.st.mac_table_full, 1);
	cr_assert_eq(mp[3].port.st.mac_table_full, 1);
	/* Ageing makes room: the next full table is reported again. */
	sw_expire(&sw, 40 + sw.prm.ageing_ms - 5);
	cr_assert_lt(sw.mt.count, sw.mt.max);
	l.n = 0;
	send_frame(0, 0xff, 6, 1, 40 + sw.prm.ageing_ms - 4);
	send_frame(1, 0xff, 7, 1, 40 + sw.prm.ageing_ms - 3);
	cr_assert_eq(l.ev[0], SW_EV_MAC_NEW);
	cr_assert_eq(l.ev[1], SW_EV_MAC_TABLE_FULL);
	sw.event_cb = NULL;
}

Test(fwd, a_sprayer_churns_within_its_share, .fini = teardown)
{
	uint32_t i;

	setup_with(false, 64, 512); /* share: 32 */
	send_frame(1, 0xff, 200, 1, 0);
	for (i = 0; i < 200; i++) /* 200 sources, one frame each */
		send_frame(0, 0xff, (uint8_t)i, 1, 1 + i);
	cr_assert_eq(mp[0].port.mac_count, 32);
	cr_assert_eq(mp[0].port.st.mac_evicted, 200 - 32);
	cr_assert_eq(sw.mt.count, 33, "the rest of the table stays free");
	/* A new guest is learned at once, and reached without a flood. */
	send_frame(2, 0xff, 201, 1, 2000);
	send_frame(1, 201, 200, 9, 2001);
	cr_assert_eq(mp[2].last, 9);
	cr_assert_eq(got(3), 200 + 2, "the unicast is not flooded");
	cr_assert_eq(mp[1].port.st.mac_evicted, 0);
}

Test(fwd, resizing_the_table_keeps_port_counts_exact, .fini = teardown)
{
	struct sw_params prm = sw.prm;
	uint32_t i, sum = 0;

	setup_with(false, 64, 512);
	prm = sw.prm;
	for (i = 1; i <= 40; i++)
		send_frame((int)(i % 4), 0xff, (uint8_t)i, 1, i);
	prm.mac_table_size = 8; /* share: 4 */
	cr_assert_eq(sw_set_params(&sw, &prm), 0);
	cr_assert_eq(sw.mt.count, 8);
	for (i = 0; i < NP; i++) {
		cr_assert_leq(mp[i].port.mac_count, 4);
		sum += mp[i].port.mac_count;
	}
	cr_assert_eq(sum, sw.mt.count);
	prm.mac_port_share = 1;
	cr_assert_eq(sw_set_params(&sw, &prm), 0);
	cr_assert_eq(sw.mt.port_share, 1);
	send_frame(0, 0xff, 100, 1, 100);
	cr_assert_eq(mp[0].port.mac_count, 1);
}

Test(fwd, reset_switch_is_as_new_and_refuses_while_ports_are_attached,
     .init = setup, .fini = teardown)
{
	struct impair_cfg ic = { .delay_ms = 50, .seed = 1 };
	struct sw_params prm;
	int i;

	cr_assert_eq(sw_port_impair(&sw, &mp[2].port, &ic), 0);
	send_frame(0, 0xff, 1, 0, 1000);
	send_frame(1, 1, 2, 0, 1000); /* learned, and held for port 2 */
	cr_assert_eq(sw.mt.count, 2);
	cr_assert_eq(sw.nimpaired, 1);
	sw_params_default(&prm);
	prm.mac_table_size = 4;
	cr_assert_eq(sw_reset(&sw, &prm), -EBUSY, "ports are attached");
	cr_assert_eq(sw.mt.count, 2, "a refused reset changes nothing");
	for (i = 0; i < NP; i++)
		sw_port_remove(&sw, &mp[i].port);
	prm.max_frame = 5;
	cr_assert_eq(sw_reset(&sw, &prm), -EINVAL);
	prm.max_frame = 1514;
	cr_assert_eq(sw_reset(&sw, &prm), 0);
	cr_assert(!sw.nports && !sw.npending && !sw.nflood && !sw.nimpaired &&
		  !sw.nthrottled && !sw.mt.count && !sw.now_ms &&
		  !sw.event_cb && sw.mt.max == 4);
	memset(mp, 0, sizeof(mp));
	for (i = 0; i < NP; i++)
		cr_assert_eq(sw_port_add(&sw, &mp[i].port, &mock_ops, 0), 0);
	cr_assert_eq(mp[0].port.id, 1, "port numbers start again at 1");
	send_frame(0, 0xff, 1, 0, 1);
	cr_assert(got(1) == 1 && got(2) == 1 && got(3) == 1,
		  "not impaired any more: a flood reaches every other port");
	send_frame(1, 1, 2, 0, 1);
	cr_assert_eq(got(0), 1, "learned in the new table");
}

Test(fwd, mac_move_is_counted_after_hold_down, .init = setup, .fini = teardown)
{
	send_frame(0, 0xff, 1, 1, 0);
	send_frame(3, 0xff, 1, 1, 1000); /* within 3 s: held */
	cr_assert_eq(mp[3].port.st.mac_held, 1);
	send_frame(2, 1, 5, 9, 1001);
	cr_assert_eq(mp[0].last, 9, "still on port 0 during hold-down");
	send_frame(3, 0xff, 1, 1, 4000);
	cr_assert_eq(mp[3].port.st.mac_moves, 1);
	send_frame(2, 1, 5, 10, 4001);
	cr_assert_eq(mp[3].last, 10);
}

Test(fwd, sources_beyond_a_ports_mac_limit_are_dropped_and_counted,
     .init = setup, .fini = teardown)
{
	mp[0].port.mac_limit = 2;
	send_frame(0, 0xff, 1, 1, 0);
	send_frame(0, 0xff, 2, 2, 1);
	cr_assert_eq(got(1), 2);
	send_frame(0, 0xff, 3, 3, 2); /* a third source: dropped */
	cr_assert_eq(got(1), 2);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_MAC_LIMIT], 1);
	cr_assert_eq(port_rx_drops(&mp[0].port), 1);
	send_frame(0, 4, 1, 4, 3); /* a known source still forwards */
	cr_assert_eq(got(1), 3);
	cr_assert_eq(mp[0].port.st.rx_frames,
		     mp[0].port.st.rx_forwarded + port_rx_drops(&mp[0].port));
	cr_assert_eq(mp[0].port.mac_count, 2);
}

Test(fwd, stalled_port_drops_only_its_own_frames, .fini = teardown)
{
	int i;

	setup_with(false, 64, 8);
	mp[3].stalled = true;
	for (i = 0; i < 100; i++)
		send_frame(0, 0xff, 1, (uint8_t)i, (uint64_t)i);
	cr_assert_eq(got(1), 100);
	cr_assert_eq(got(2), 100);
	cr_assert_eq(got(3), 0);
	cr_assert_eq(mp[3].port.txq.count, 8, "queue stays at its bound");
	cr_assert_eq(mp[3].port.st.drops[PORT_DROP_TX_QUEUE_FULL], 92);
	/* Once it reads again, it gets the 8 queued (copied) frames. */
	mp[3].stalled = false;
	mock_flush(&mp[3].port);
	cr_assert_eq(got(3), 8);
	cr_assert_eq(mp[3].last, 7);
}

Test(fwd, removed_port_forgets_its_macs_and_queued_frames, .fini = teardown)
{
	setup_with(false, 64, 8);
	mp[1].stalled = true;
	send_frame(1, 0xff, 2, 1, 0);
	send_frame(0, 0xff, 1, 1, 0);
	cr_assert_eq(sw.mt.count, 2);
	sw_port_remove(&sw, &mp[1].port);
	cr_assert_eq(sw.mt.count, 1);
	cr_assert_eq(mp[1].port.st.drops[PORT_DROP_TX_CLOSED], 1);
	send_frame(0, 2, 1, 5, 1); /* host 2 unknown again: flooded */
	cr_assert_eq(got(2), 3);
	cr_assert_eq(sw.nports, 3);
}

Test(fwd, disabled_port_neither_sends_nor_receives, .init = setup,
     .fini = teardown)
{
	sw_port_set_enabled(&sw, &mp[2].port, false);
	send_frame(0, 0xff, 1, 1, 0);
	cr_assert_eq(got(2), 0);
	send_frame(2, 0xff, 3, 1, 0);
	cr_assert_eq(mp[2].port.st.drops[PORT_DROP_RX_DISABLED], 1);
	cr_assert_eq(got(1), 1);
}

Test(fwd, runt_and_oversize_are_dropped_and_counted, .init = setup,
     .fini = teardown)
{
	uint8_t f[70000] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2 };

	fwd_input(&sw, &mp[0].port, f, 13, 0);
	fwd_input(&sw, &mp[0].port, f, 0, 0);
	fwd_input(&sw, &mp[0].port, f, FRAME_MAX_LEN_DEFAULT + 1, 0);
	fwd_input(&sw, &mp[0].port, f, FRAME_MAX_LEN_DEFAULT, 0);
	sw_flush(&sw);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_RUNT], 2);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_OVERSIZE], 1);
	cr_assert_eq(got(1), 1);
}

/* Backpressure: ports 0..2 can pause reading, port 3 cannot. Host n+1 is
 * learned on port n; port 2's peer does not read; queues hold 8 frames. */
static void setup_throttle(void)
{
	int i;

	setup_with(false, 64, 8);
	for (i = 0; i < 3; i++)
		mp[i].port.ops = &pause_ops;
	for (i = 0; i < NP; i++)
		send_frame(i, 0xff, (uint8_t)(i + 1), 0, 0);
	for (i = 0; i < NP; i++)
		mp[i].frames = 0;
	mp[2].stalled = true;
}

/* @n unicast frames from port @in to host @dst, one batch, then flush. */
static void send_burst(int in, uint8_t dst, int n, uint64_t now)
{
	uint8_t f[60] = { 0x02, 0, 0, 0, 0, dst, 0x02, 0, 0, 0, 0, 0, 8 };
	int i;

	f[11] = (uint8_t)(in + 1);
	for (i = 0; i < n; i++)
		fwd_input(&sw, &mp[in].port, f, sizeof(f), now);
	sw_flush(&sw);
}

Test(fwd, full_unicast_destination_throttles_its_sender_until_it_drains,
     .init = setup_throttle, .fini = teardown)
{
	send_burst(0, 3, 3, 10);
	cr_assert_eq(mp[0].port.throttle_on, 0, "below the high-water mark");
	send_burst(0, 3, 1, 10); /* 4 of 8 queued: high water */
	cr_assert_eq(mp[0].port.throttle_on, mp[2].port.id);
	cr_assert_eq(mp[0].port.st.throttled, 1);
	cr_assert_not(mp[0].paused, "the core only marks; the update pauses");
	cr_assert_eq(sw_throttle_update(&sw, 11), 1);
	cr_assert(mp[0].paused);
	send_burst(0, 3, 2, 12); /* reads already under way use the headroom */
	cr_assert_eq(mp[0].port.st.throttled, 1, "one throttle event");
	cr_assert_eq(mp[2].port.txq.count, 6);
	cr_assert_eq(mp[2].port.st.drops[PORT_DROP_TX_QUEUE_FULL], 0);
	cr_assert_eq(sw_throttle_update(&sw, 13), 1, "still full");
	mp[2].stalled = false; /* the receiver reads again: it drains */
	mock_flush(&mp[2].port);
	cr_assert_eq(sw_throttle_update(&sw, 14), 0);
	cr_assert_not(mp[0].paused);
	cr_assert_eq(mp[0].pauses, 2);
	cr_assert_eq(got(2), 6, "every frame arrived");
	cr_assert_eq(mp[0].port.st.throttle_timeouts, 0);
}

Test(fwd, destination_draining_within_the_batch_pauses_nobody,
     .init = setup_throttle, .fini = teardown)
{
	mp[2].stalled = false;
	send_burst(0, 3, 6, 10);
	cr_assert_eq(mp[0].port.st.throttled, 1);
	cr_assert_eq(sw_throttle_update(&sw, 10), 0);
	cr_assert_eq(mp[0].pauses, 1, "no pause, only a restart");
	cr_assert_not(mp[0].paused);
	cr_assert_eq(mp[0].port.throttle_on, 0);
}

Test(fwd, floods_and_unpausable_senders_are_never_throttled,
     .init = setup_throttle, .fini = teardown)
{
	int i;

	for (i = 0; i < 20; i++)
		send_frame(0, 0xff, 1, (uint8_t)i, 10);
	cr_assert_eq(mp[0].port.throttle_on, 0);
	cr_assert_gt(mp[2].port.st.drops[PORT_DROP_TX_QUEUE_FULL], 0);
	send_burst(3, 3, 20, 10); /* port 3 has no rx_pause */
	cr_assert_eq(mp[3].port.throttle_on, 0);
	cr_assert_eq(sw.nthrottled, 0);
	cr_assert_eq(got(1), 20);
}

Test(fwd, throttle_is_bounded_then_the_stuck_destination_drops,
     .init = setup_throttle, .fini = teardown)
{
	uint64_t t0 = 1000, bound = sw.prm.throttle_ms;

	send_burst(0, 3, 5, t0);
	cr_assert_eq(sw_throttle_update(&sw, t0), 1);
	cr_assert(mp[0].paused);
	cr_assert_eq(sw_throttle_update(&sw, t0 + bound - 1), 1);
	cr_assert_eq(sw_throttle_update(&sw, t0 + bound), 0);
	cr_assert_not(mp[0].paused);
	cr_assert_eq(mp[0].port.st.throttle_timeouts, 1);
	cr_assert(mp[2].port.tx_stalled);
	/* Now frames to the stuck port drop, and nobody is throttled on it. */
	send_burst(0, 3, 10, t0 + bound);
	send_burst(1, 3, 10, t0 + bound);
	cr_assert_eq(sw.nthrottled, 0);
	cr_assert_eq(mp[0].port.st.throttled, 1);
	cr_assert_eq(mp[1].port.st.throttled, 0);
	cr_assert_eq(mp[2].port.st.drops[PORT_DROP_TX_QUEUE_FULL], 17);
	/* The sender's frames to others flow. */
	send_burst(0, 2, 3, t0 + bound);
	cr_assert_eq(got(1), 3);
	/* Once the port drains, it can throttle senders again. */
	mp[2].stalled = false;
	mock_flush(&mp[2].port);
	mp[2].stalled = true;
	send_burst(1, 3, 4, t0 + bound + 1);
	cr_assert_not(mp[2].port.tx_stalled);
	cr_assert_eq(mp[1].port.st.throttled, 1);
}

Test(fwd, throttle_ends_when_the_destination_goes_away, .init = setup_throttle,
     .fini = teardown)
{
	struct mock_port extra = { 0 };
	uint32_t id = mp[2].port.id;

	send_burst(0, 3, 4, 10);
	send_burst(1, 3, 1, 10);
	cr_assert_eq(sw_throttle_update(&sw, 10), 2);
	sw_port_remove(&sw, &mp[2].port);
	/* A new port may take the same id: it has an empty queue. */
	cr_assert_eq(sw_port_add(&sw, &extra.port, &mock_ops, id), 0);
	cr_assert_eq(sw_port_by_id(&sw, id), &extra.port);
	cr_assert_eq(sw_throttle_update(&sw, 11), 0);
	cr_assert_not(mp[0].paused);
	cr_assert_not(mp[1].paused);
	cr_assert_eq(mp[0].port.st.throttle_timeouts, 0);
	sw_port_remove(&sw, &extra.port);
}

Test(fwd, closing_or_removed_throttled_port_is_let_go_without_resuming,
     .init = setup_throttle, .fini = teardown)
{
	send_burst(0, 3, 4, 10);
	send_burst(1, 3, 4, 10);
	cr_assert_eq(sw_throttle_update(&sw, 10), 2);
	sw_port_set_closing(&sw, &mp[0].port); /* as swd_port_close() does */
	cr_assert_eq(sw_throttle_update(&sw, 11), 1);
	cr_assert_eq(mp[0].pauses, 1, "not resumed while closing");
	sw_port_remove(&sw, &mp[1].port);
	cr_assert_eq(sw.nthrottled, 0);
	cr_assert_eq(sw_throttle_update(&sw, 12), 0);
	cr_assert_eq(mp[1].pauses, 1);
	mp[0].port.closing = false;
}

/* Sum over ports of frames put on (or refused by) a transmit queue. */
static uint64_t deliveries(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < NP; i++)
		n += mp[i].port.st.tx_queued +
		     mp[i].port.st.drops[PORT_DROP_TX_QUEUE_FULL] +
		     mp[i].port.st.drops[PORT_DROP_TX_NOMEM];
	return n;
}

/* Random traffic, random stalls and removals: every received frame is
 * forwarded (and then queued or dropped per destination) or dropped with
 * a reason; every queued frame is sent, still queued or counted lost. */
Test(fwd, conservation_invariant_under_random_traffic, .fini = teardown)
{
	uint64_t expected_deliveries = 0, rx = 0, fwded = 0, rxdrop = 0;
	uint64_t queued = 0, qfull = 0, sent = 0, lost = 0, left = 0;
	uint64_t throttled = 0;
	int step, i;

	setup_with(false, 16, 6);
	mp[0].port.ops = mp[2].port.ops = &pause_ops;
	srand(4242);
	for (step = 0; step < 5000; step++) {
		int in = rand() % NP, live = 0;
		uint8_t f[80] = { 0 };
		size_t len = (size_t)(rand() % 80);

		f[0] = rand() % 4 ? 0x02 : 0xff;
		f[5] = (uint8_t)(rand() % 10);
		f[6] = rand() % 8 ? 0x02 : 0x01;
		f[11] = (uint8_t)(rand() % 10);
		uint64_t before, after, fw0;

		mp[rand() % NP].stalled = rand() % 3 == 0;
		if (!mp[in].port.up)
			continue;
		for (i = 0; i < NP; i++)
			live += mp[i].port.up && i != in;
		before = deliveries();
		fw0 = mp[in].port.st.rx_forwarded;
		fwd_input(&sw, &mp[in].port, f, len, (uint64_t)step);
		after = deliveries();
		/* Per frame: no destination if dropped at ingress, else
		 * exactly one (known unicast) or every other live port. */
		if (mp[in].port.st.rx_forwarded == fw0)
			cr_assert_eq(after, before);
		else
			cr_assert(after - before == 1 ||
					  after - before == (uint64_t)live,
				  "frame went to %lu ports, %d live others",
				  (unsigned long)(after - before), live);
		expected_deliveries += after - before;
		if (step % 7 == 0) {
			sw_flush(&sw);
			sw_throttle_update(&sw, (uint64_t)step);
		}
		if (step == 2500)
			sw_port_remove(&sw, &mp[1].port);
	}
	sw_flush(&sw);
	for (i = 0; i < NP; i++) {
		const struct port_stats *st = &mp[i].port.st;

		rx += st->rx_frames;
		fwded += st->rx_forwarded;
		rxdrop += port_rx_drops(&mp[i].port);
		queued += st->tx_queued;
		qfull += st->drops[PORT_DROP_TX_QUEUE_FULL];
		sent += st->tx_frames;
		lost += st->drops[PORT_DROP_TX_CLOSED] +
			st->drops[PORT_DROP_TX_NOMEM];
		left += mp[i].port.txq.count;
		throttled += st->throttled;
	}
	cr_assert_eq(queued + qfull, expected_deliveries);
	cr_assert_gt(throttled, 0, "some senders should have been throttled");
	cr_assert_gt(rx, 1000);
	cr_assert_eq(rx, fwded + rxdrop,
		     "rx %lu != forwarded %lu + dropped %lu", (unsigned long)rx,
		     (unsigned long)fwded, (unsigned long)rxdrop);
	cr_assert_eq(queued, sent + lost + left);
	cr_assert_gt(qfull, 0, "the test must exercise full queues");
	cr_assert_gt(rxdrop, 0, "the test must exercise rx drops");
	cr_assert_gt(queued + qfull, fwded, "flooding must fan out");
}

#define FP 12

/**
 * struct flood_model - what the test expects of one of FP ports
 * @attached:	added and not removed since
 * @enabled:	last sw_port_set_enabled()
 * @carrier:	last sw_port_set_carrier()
 * @closing:	sw_port_set_closing() since it was added
 */
struct flood_model {
	bool attached;
	bool enabled;
	bool carrier;
	bool closing;
};

static bool model_up(const struct flood_model *m)
{
	return m->attached && m->enabled && m->carrier && !m->closing;
}

static bool flood_listed(const struct port *p)
{
	uint32_t k;

	for (k = 0; k < sw.nflood; k++)
		if (sw.flood[k] == p)
			return true;
	return false;
}

/* sw->flood must be exactly the ports the model says are up. */
static void check_flood_list(const struct mock_port *fp,
			     const struct flood_model *m)
{
	uint32_t nup = 0, k;
	int i;

	for (i = 0; i < FP; i++) {
		const struct port *p = &fp[i].port;

		cr_assert_eq(p->up, model_up(&m[i]), "port %d: up %d", i,
			     p->up);
		if (!model_up(&m[i])) {
			cr_assert_not(flood_listed(p),
				      "port %d down but listed", i);
			continue;
		}
		nup++;
		cr_assert(p->fidx >= 0 && (uint32_t)p->fidx < sw.nflood &&
				  sw.flood[p->fidx] == p,
			  "port %d up but not at its fidx %d", i, p->fidx);
	}
	cr_assert_eq(sw.nflood, nup);
	for (k = 0; k < sw.nflood; k++)
		cr_assert_eq(sw.flood[k]->fidx, (int32_t)k);
}

/* A broadcast from @in reaches exactly the other up ports (or, if @in is
 * down, nobody, and counts as rx_disabled). */
static void check_broadcast(struct mock_port *fp, const struct flood_model *m,
			    int in, uint8_t tag)
{
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
	uint64_t before[FP], dis = fp[in].port.st.drops[PORT_DROP_RX_DISABLED];
	int i;

	f[11] = (uint8_t)in;
	f[12] = 0x08;
	f[14] = tag;
	for (i = 0; i < FP; i++)
		before[i] = fp[i].frames;
	fwd_input(&sw, &fp[in].port, f, sizeof(f), 0);
	sw_flush(&sw);
	for (i = 0; i < FP; i++) {
		bool want = i != in && model_up(&m[in]) && model_up(&m[i]);

		cr_assert_eq(fp[i].frames - before[i], want ? 1u : 0u,
			     "broadcast from %d: port %d got %u", in, i,
			     fp[i].frames - (unsigned)before[i]);
		if (want)
			cr_assert_eq(fp[i].last, tag);
	}
	cr_assert_eq(fp[in].port.st.drops[PORT_DROP_RX_DISABLED] - dis,
		     model_up(&m[in]) ? 0u : 1u);
}

Test(fwd, flood_list_is_exactly_the_up_ports_after_random_changes)
{
	static struct mock_port fp[FP];
	struct flood_model m[FP];
	struct sw_params prm;
	int step, i, k;

	sw_params_default(&prm);
	prm.max_ports = FP;
	cr_assert_eq(sw_init(&sw, &prm), 0);
	memset(fp, 0, sizeof(fp));
	memset(m, 0, sizeof(m));
	srand(7177);
	for (step = 0; step < 20000; step++) {
		k = rand() % FP;
		switch (rand() % 6) {
		case 0:
			if (m[k].attached) {
				sw_port_remove(&sw, &fp[k].port);
				m[k].attached = false;
				break;
			}
			cr_assert_eq(
				sw_port_add(&sw, &fp[k].port, &mock_ops, 0), 0);
			m[k] = (struct flood_model){ true, true, true, false };
			break;
		case 1:
			if (!m[k].attached)
				break;
			m[k].enabled = rand() % 2;
			sw_port_set_enabled(&sw, &fp[k].port, m[k].enabled);
			break;
		case 2:
			if (!m[k].attached)
				break;
			m[k].carrier = rand() % 2;
			sw_port_set_carrier(&sw, &fp[k].port, m[k].carrier,
					    NULL);
			break;
		case 3:
			if (!m[k].attached || rand() % 4)
				break;
			m[k].closing = true;
			sw_port_set_closing(&sw, &fp[k].port);
			break;
		default:
			if (m[k].attached)
				check_broadcast(fp, m, k, (uint8_t)step);
			break;
		}
		check_flood_list(fp, m);
	}
	for (i = 0; i < FP; i++)
		if (m[i].attached)
			sw_port_remove(&sw, &fp[i].port);
	cr_assert_eq(sw.nflood, 0);
	sw_fini(&sw);
}

/**
 * struct ev_log - port events the core reported, in order
 * @n:		how many
 * @ev:		what
 * @cause:	why
 * @port:	which port
 * @why:	the text given with it ("" for none)
 */
struct ev_log {
	unsigned n;
	enum sw_event ev[16];
	enum sw_cause cause[16];
	const struct port *port[16];
	char why[16][32];
};

static void log_port_events(void *opaque, const struct sw_event_info *e)
{
	struct ev_log *l = opaque;

	if (e->ev < SW_EV_PORT_UP)
		return;
	cr_assert_lt(l->n, 16, "too many events");
	cr_assert_eq(e->port->up, e->ev == SW_EV_PORT_UP,
		     "event %d reported before p->up changed", e->ev);
	l->ev[l->n] = e->ev;
	l->cause[l->n] = e->cause;
	l->port[l->n] = e->port;
	snprintf(l->why[l->n], sizeof(l->why[0]), "%s", e->why ? e->why : "");
	l->n++;
}

static void expect_event(const struct ev_log *l, unsigned i, enum sw_event ev,
			 enum sw_cause cause, const struct port *p,
			 const char *why)
{
	cr_assert_gt(l->n, i, "event %u missing (%u reported)", i, l->n);
	cr_assert_eq(l->ev[i], ev, "event %u is %d, not %d", i, l->ev[i], ev);
	cr_assert_eq(l->cause[i], cause, "event %u: cause %d, not %d", i,
		     l->cause[i], cause);
	cr_assert_eq(l->port[i], p, "event %u: another port", i);
	cr_assert_str_eq(l->why[i], why, "event %u: text", i);
}

/* Every change of p->up is reported once, with the setter that caused it;
 * setters that change nothing report nothing; removal comes last. */
Test(fwd, every_change_of_up_is_reported_once_with_its_cause, .init = setup,
     .fini = teardown)
{
	struct ev_log l = { 0 };
	struct mock_port extra = { 0 };
	struct port *p = &mp[1].port;

	sw.event_cb = log_port_events;
	sw.event_opaque = &l;
	sw_port_set_enabled(&sw, p, false);
	sw_port_set_carrier(&sw, p, false, "gone"); /* down already */
	sw_port_set_enabled(&sw, p, true); /* still no carrier */
	sw_port_set_carrier(&sw, p, true, NULL);
	sw_port_set_carrier(&sw, p, true, NULL); /* no change */
	sw_port_set_carrier(&sw, p, false, "peer's socket is gone");
	sw_port_set_carrier(&sw, p, true, NULL);
	snprintf(p->close_reason, sizeof(p->close_reason), "bye");
	sw_port_set_closing(&sw, p);
	sw_port_remove(&sw, p);
	expect_event(&l, 0, SW_EV_PORT_DOWN, SW_CAUSE_DISABLED, p, "");
	expect_event(&l, 1, SW_EV_PORT_UP, SW_CAUSE_CARRIER, p, "");
	expect_event(&l, 2, SW_EV_PORT_DOWN, SW_CAUSE_NO_CARRIER, p,
		     "peer's socket is gone");
	expect_event(&l, 3, SW_EV_PORT_UP, SW_CAUSE_CARRIER, p, "");
	expect_event(&l, 4, SW_EV_PORT_DOWN, SW_CAUSE_CLOSING, p, "bye");
	expect_event(&l, 5, SW_EV_PORT_REMOVED, SW_CAUSE_REMOVED, p, "bye");
	cr_assert_eq(l.n, 6, "%u events", l.n);

	/* Added with a carrier: up at once. Added without (a handshake still
	 * to finish): nothing until the carrier comes; removed before it
	 * comes: only the removal. */
	l.n = 0;
	cr_assert_eq(sw_port_add(&sw, &extra.port, &mock_ops, 0), 0);
	expect_event(&l, 0, SW_EV_PORT_UP, SW_CAUSE_ADDED, &extra.port, "");
	sw_port_remove(&sw, &extra.port);
	cr_assert_eq(l.n, 3, "up, down, removed");
	expect_event(&l, 1, SW_EV_PORT_DOWN, SW_CAUSE_REMOVED, &extra.port, "");
	l.n = 0;
	extra.port.no_carrier = true;
	cr_assert_eq(sw_port_add(&sw, &extra.port, &mock_ops, 0), 0);
	cr_assert_eq(l.n, 0, "a port added without carrier is not announced");
	cr_assert(!extra.port.up);
	sw_port_set_carrier(&sw, &extra.port, true, NULL);
	expect_event(&l, 0, SW_EV_PORT_UP, SW_CAUSE_CARRIER, &extra.port, "");
	sw_port_set_carrier(&sw, &extra.port, false, NULL);
	sw_port_remove(&sw, &extra.port);
	expect_event(&l, 2, SW_EV_PORT_REMOVED, SW_CAUSE_REMOVED, &extra.port,
		     "");
	cr_assert_eq(l.n, 3);
	cr_assert(!extra.port.no_carrier, "a removed port starts afresh");
	sw.event_cb = NULL;
}

/* A port that loses its carrier or starts closing forgets what was learned
 * on it at once: frames to those hosts flood (so the guest is reached as
 * soon as it is back) instead of being dropped as rx_dest_down. */
Test(fwd, a_port_that_goes_down_forgets_its_addresses, .init = setup,
     .fini = teardown)
{
	send_frame(1, 0xff, 11, 1, 0); /* host 11 learned on port 1 */
	send_frame(2, 0xff, 12, 2, 0); /* host 12 learned on port 2 */
	cr_assert_eq(sw.mt.count, 2);
	sw_port_set_carrier(&sw, &mp[1].port, false, "gone");
	cr_assert_eq(sw.mt.count, 1, "port 1's address is forgotten");
	send_frame(0, 11, 10, 3, 10);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_DEST_DOWN], 0,
		     "not dropped as to a port that is down");
	cr_assert_eq(got(2), 1 + 1, "flooded: ports 2 and 3 get it");
	cr_assert_eq(got(3), 2 + 1);
	sw_port_set_carrier(&sw, &mp[1].port, true, NULL);
	send_frame(0, 11, 10, 4, 20);
	cr_assert_eq(got(1), 1 + 1, "port 1 is back: the flood reaches it");

	send_frame(2, 10, 12, 5, 30); /* 12 on port 2 again */
	snprintf(mp[2].port.close_reason, sizeof(mp[2].port.close_reason),
		 "bye");
	sw_port_set_closing(&sw, &mp[2].port);
	send_frame(0, 12, 10, 6, 40);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_DEST_DOWN], 0);
	cr_assert_eq(got(2), 3, "a closing port gets nothing more");
	cr_assert_eq(got(1), 3, "host 12 is unknown again: flooded");
}
