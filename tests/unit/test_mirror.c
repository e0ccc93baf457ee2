// SPDX-License-Identifier: MIT
/*
 * test_mirror.c - mirror sessions (SPAN) in the core: which frames are
 * copied (rx, tx, both; dropped ones too), never the monitor's own nor a
 * frame it gets anyway, copies are not mirrored again, a monitor that
 * does not read drops copies (tx_mirror) without holding the source
 * up, the bounds and errors of sw_mirror_add(), and sessions end with
 * their ports; every queued frame is still counted
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

#define NM 10 /* A, B, C (the monitor), D, and more for the bounds */
#define A 0
#define B 1
#define C 2
#define D 3

/**
 * struct mport - a port that reads what it is sent, or nothing
 * @port:	the port
 * @deaf:	the peer never reads
 * @got:	frames it read
 * @tags:	the tag byte of each of the first 64
 */
struct mport {
	struct port port;
	bool deaf;
	unsigned got;
	uint8_t tags[64];
};

static struct sw sw;
static struct mport mp[NM];
static unsigned removed_events;

static int mport_flush(struct port *p)
{
	struct mport *m = container_of(p, struct mport, port);
	struct iovec iov[1];
	unsigned n;

	while (!m->deaf && !txq_empty(&p->txq)) {
		txq_iov(&p->txq, iov, 1, NULL, false);
		if (m->got < sizeof(m->tags) && iov[0].iov_len > 14)
			m->tags[m->got] =
				((const uint8_t *)iov[0].iov_base)[14];
		n = txq_advance(&p->txq, iov[0].iov_len, false,
				&p->st.tx_bytes);
		m->got += n;
		p->st.tx_frames += n;
	}
	return 0;
}

static void mport_close(struct port *p)
{
	(void)p;
}

static const struct port_ops mport_ops = {
	.name = "mirror",
	.flush = mport_flush,
	.close = mport_close,
};

static void event_cb(void *opaque, const struct sw_event_info *e)
{
	(void)opaque;
	if (e->ev != SW_EV_MIRROR_REMOVED)
		return;
	/* Reported while the port is still attached, before its removal. */
	cr_assert_eq(sw_port_by_id(&sw, e->port->id), e->port);
	cr_assert(e->port == e->from || e->port == e->to);
	removed_events++;
}

/* Port @i's frames come from 02:00:00:00:00:i+1. */
static void send_tag(int in, int to, uint8_t tag)
{
	uint8_t f[60] = { 0 };

	if (to < 0)
		memset(f, 0xff, 6);
	else
		f[0] = 0x02, f[5] = (uint8_t)(to + 1);
	f[6] = 0x02;
	f[11] = (uint8_t)(in + 1);
	f[14] = tag;
	fwd_input(&sw, &mp[in].port, f, sizeof(f), 1000);
	sw_flush(&sw);
}

static void setup_n(uint32_t txq_frames)
{
	struct sw_params prm;
	int i;

	sw_params_default(&prm);
	prm.txq_frames = txq_frames;
	prm.hash_secret = 1;
	cr_assert_eq(sw_init(&sw, &prm), 0);
	sw.event_cb = event_cb;
	memset(mp, 0, sizeof(mp));
	removed_events = 0;
	for (i = 0; i < NM; i++)
		cr_assert_eq(sw_port_add(&sw, &mp[i].port, &mport_ops, 0), 0);
	for (i = 0; i < NM; i++) /* every address learned */
		send_tag(i, -1, 0);
	for (i = 0; i < NM; i++)
		mp[i].got = 0;
}

static void setup(void)
{
	setup_n(TXQ_FRAMES_DEFAULT);
}

/* Every frame queued is sent, dropped or still queued. */
static void check_counted(void)
{
	int i;

	for (i = 0; i < NM; i++) {
		const struct port *p = &mp[i].port;

		if (!p->ops)
			continue;
		cr_assert_eq(
			p->st.tx_queued,
			p->st.tx_frames + p->st.drops[PORT_DROP_TX_CLOSED] +
				p->st.drops[PORT_DROP_TX_NOMEM] + p->txq.count,
			"port %d: queued frames not all counted", i);
		cr_assert_eq(p->st.rx_frames,
			     p->st.rx_forwarded + port_rx_drops(p));
	}
}

static void teardown(void)
{
	int i;

	check_counted();
	for (i = 0; i < NM; i++)
		if (mp[i].port.ops)
			sw_port_remove(&sw, &mp[i].port);
	cr_assert_eq(sw.nmirrors, 0);
	sw_fini(&sw);
}

/* Frames port @i read since the last call. */
static unsigned took(int i)
{
	unsigned n = mp[i].got;

	mp[i].got = 0;
	return n;
}

Test(mirror, both_copies_what_the_source_receives_and_sends_once, .init = setup,
     .fini = teardown)
{
	cr_assert_eq(
		sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_BOTH),
		0);
	send_tag(A, B, 1); /* A receives */
	cr_assert_eq(took(B), 1);
	cr_assert_eq(took(C), 1);
	cr_assert_eq(mp[C].tags[0], 1);
	send_tag(B, A, 2); /* A sends */
	cr_assert_eq(took(A), 1);
	cr_assert_eq(took(C), 1);
	cr_assert_eq(mp[C].tags[0], 2);
	send_tag(D, B, 3); /* not A's */
	cr_assert_eq(took(C), 0);
	cr_assert_eq(mp[C].port.st.mirror_tx, 2);
	/* The monitor's own frames never come back; frames it gets anyway
	 * (sent to it, floods either way) arrive once. */
	send_tag(C, A, 4);
	cr_assert_eq(took(A), 1);
	cr_assert_eq(took(C), 0);
	send_tag(A, C, 5);
	cr_assert_eq(took(C), 1);
	send_tag(A, -1, 6);
	cr_assert_eq(took(C), 1);
	send_tag(B, -1, 7);
	cr_assert_eq(took(C), 1);
	cr_assert_eq(took(A), 1);
	cr_assert_eq(mp[C].port.st.mirror_tx, 2);
	cr_assert_eq(sw_mirror_remove(&sw, &mp[A].port, &mp[C].port), 0);
	send_tag(A, B, 8);
	cr_assert_eq(took(C), 0);
	cr_assert_eq(mp[A].port.mirror_rx + mp[A].port.mirror_tx, 0);
}

Test(mirror, rx_and_tx_alone, .init = setup, .fini = teardown)
{
	cr_assert_eq(sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_RX),
		     0);
	cr_assert_eq(sw_mirror_add(&sw, &mp[B].port, &mp[D].port, SW_MIRROR_TX),
		     0);
	send_tag(A, B, 1); /* A rx: C; B tx: D */
	cr_assert_eq(took(C), 1);
	cr_assert_eq(took(D), 1);
	send_tag(B, A, 2); /* A tx, B rx: nobody */
	cr_assert_eq(took(C), 0);
	cr_assert_eq(took(D), 0);
}

Test(mirror, received_frames_dropped_are_copied_too, .init = setup,
     .fini = teardown)
{
	cr_assert_eq(sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_RX),
		     0);
	send_tag(A, A, 1); /* its destination is behind A: rx_local */
	cr_assert_eq(mp[A].port.st.drops[PORT_DROP_RX_LOCAL], 1);
	cr_assert_eq(took(C), 1);
	sw_port_set_enabled(&sw, &mp[C].port, false);
	send_tag(A, B, 2); /* a monitor that is down gets nothing */
	cr_assert_eq(took(C), 0);
	cr_assert_eq(mp[C].port.st.drops[PORT_DROP_TX_MIRROR], 0);
}

Test(mirror, copies_are_not_mirrored_again, .init = setup, .fini = teardown)
{
	cr_assert_eq(
		sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_BOTH),
		0);
	cr_assert_eq(
		sw_mirror_add(&sw, &mp[C].port, &mp[A].port, SW_MIRROR_BOTH),
		0);
	send_tag(B, A, 1); /* A tx -> copy on C, not copied back to A */
	cr_assert_eq(took(A), 1);
	cr_assert_eq(took(C), 1);
	send_tag(B, C, 2); /* C tx -> copy on A, not copied back to C */
	cr_assert_eq(took(C), 1);
	cr_assert_eq(took(A), 1);
	cr_assert_eq(mp[A].port.st.mirror_tx + mp[C].port.st.mirror_tx, 2);
}

Test(mirror, a_monitor_that_never_reads_drops_copies_not_the_source)
{
	int i;

	setup_n(16);
	mp[C].deaf = true;
	cr_assert_eq(sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_RX),
		     0);
	for (i = 0; i < 100; i++)
		send_tag(A, B, (uint8_t)i);
	cr_assert_eq(took(B), 100);
	cr_assert_eq(mp[C].port.txq.count, 16);
	cr_assert_eq(mp[C].port.st.mirror_tx, 16);
	cr_assert_eq(mp[C].port.st.drops[PORT_DROP_TX_MIRROR], 84);
	cr_assert_eq(port_tx_drops(&mp[C].port), 84);
	cr_assert_eq(mp[A].port.st.throttled, 0);
	teardown();
}

Test(mirror, copies_bypass_impairments_and_tx_copies_are_taken_once,
     .init = setup, .fini = teardown)
{
	struct impair_cfg cfg = { .delay_ms = 50, .seed = 1 };

	cr_assert_eq(sw_port_impair(&sw, &mp[A].port, &cfg), 0);
	cr_assert_eq(sw_port_impair(&sw, &mp[C].port, &cfg), 0);
	cr_assert_eq(sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_TX),
		     0);
	send_tag(B, A, 1); /* held by A's impairment, copied now */
	cr_assert_eq(took(A), 0);
	cr_assert_eq(took(C), 1);
	sw_impair_release(&sw, 2000);
	sw_flush(&sw);
	cr_assert_eq(took(A), 1);
	cr_assert_eq(took(C), 0);
}

Test(mirror, bounds_and_errors, .init = setup, .fini = teardown)
{
	struct port *a = &mp[A].port;
	int i, j, n;

	cr_assert_eq(sw_mirror_add(&sw, a, a, SW_MIRROR_BOTH), -EINVAL);
	cr_assert_eq(sw_mirror_add(&sw, a, &mp[B].port, 0), -EINVAL);
	cr_assert_eq(sw_mirror_add(&sw, a, &mp[B].port, 4), -EINVAL);
	cr_assert_eq(sw_mirror_remove(&sw, a, &mp[B].port), -ENOENT);
	for (i = 1; i <= SW_MIRROR_PER_SOURCE; i++)
		cr_assert_eq(sw_mirror_add(&sw, a, &mp[i].port, SW_MIRROR_RX),
			     0);
	cr_assert_eq(sw_mirror_add(&sw, a, &mp[1].port, SW_MIRROR_TX), -EEXIST);
	cr_assert_eq(sw_mirror_add(&sw, a, &mp[NM - 1].port, SW_MIRROR_TX),
		     -EMLINK);
	cr_assert_eq(a->mirror_rx, SW_MIRROR_PER_SOURCE);
	n = SW_MIRROR_PER_SOURCE;
	for (i = 1; i < NM && n < SW_MIRROR_MAX; i++)
		for (j = 0; j < NM && n < SW_MIRROR_MAX; j++)
			if (j != i &&
			    (j + NM - i) % NM <= SW_MIRROR_PER_SOURCE) {
				cr_assert_eq(sw_mirror_add(&sw, &mp[i].port,
							   &mp[j].port,
							   SW_MIRROR_TX),
					     0, "session %d", n);
				n++;
			}
	cr_assert_eq(sw.nmirrors, SW_MIRROR_MAX);
	cr_assert_eq(
		sw_mirror_add(&sw, &mp[NM - 1].port, &mp[0].port, SW_MIRROR_TX),
		-ENOSPC);
}

Test(mirror, sessions_end_with_either_port, .init = setup, .fini = teardown)
{
	cr_assert_eq(
		sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_BOTH),
		0);
	cr_assert_eq(sw_mirror_add(&sw, &mp[B].port, &mp[A].port, SW_MIRROR_RX),
		     0);
	cr_assert_eq(sw_mirror_add(&sw, &mp[B].port, &mp[D].port, SW_MIRROR_TX),
		     0);
	sw_port_remove(&sw, &mp[A].port);
	mp[A].port.ops = NULL; /* teardown skips it */
	cr_assert_eq(removed_events, 2);
	cr_assert_eq(sw.nmirrors, 1);
	cr_assert_eq(sw.mirrors[0].dst, &mp[D].port);
	cr_assert_eq(mp[B].port.mirror_rx, 0);
	cr_assert_eq(mp[B].port.mirror_tx, 1);
}

static void set_access(int i, uint16_t vid)
{
	struct vlan_cfg c;

	vlan_cfg_access(&c, vid);
	cr_assert_eq(sw_port_set_vlan(&sw, &mp[i].port, &c), 0);
}

/* With VLAN modes a flood reaches only the ports of its VLAN: a monitor
 * outside the VLAN gets its copy, one inside it gets the flood once. */
Test(mirror, vlan_floods_are_copied_to_a_monitor_outside_the_vlan,
     .init = setup, .fini = teardown)
{
	set_access(A, 10);
	set_access(B, 10);
	set_access(C, 20);
	set_access(D, 10);
	send_tag(A, -1, 0); /* learned in VLAN 10 */
	send_tag(B, -1, 0);
	took(A), took(B), took(C), took(D);
	cr_assert_eq(
		sw_mirror_add(&sw, &mp[A].port, &mp[C].port, SW_MIRROR_BOTH),
		0);
	send_tag(A, -1, 1); /* a flood of VLAN 10: C is in VLAN 20 */
	cr_assert_eq(took(B), 1);
	cr_assert_eq(took(C), 1, "a monitor outside the VLAN gets a copy");
	cr_assert_eq(mp[C].tags[0], 1);
	send_tag(A, B, 2); /* known unicast */
	cr_assert_eq(took(B), 1);
	cr_assert_eq(took(C), 1);
	send_tag(B, A, 3); /* A sends */
	cr_assert_eq(took(A), 1);
	cr_assert_eq(took(C), 1);
	cr_assert_eq(mp[C].port.st.mirror_tx, 3);
	set_access(C, 10); /* now the flood reaches C: no copy besides */
	send_tag(A, -1, 4);
	cr_assert_eq(took(C), 1, "a monitor in the VLAN gets the flood once");
	cr_assert_eq(mp[C].port.st.mirror_tx, 3);
}
