// SPDX-License-Identifier: MIT
/*
 * test_storm.c - storm control (core/storm.c): a port's flooded frames
 * (broadcast, multicast, unknown unicast) are bounded per second, the
 * excess is counted as rx_storm, the bucket refills with time, known
 * unicast is never limited, sources are still learned, and every frame
 * is still counted once
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

#define NS 3

/**
 * struct sport - a port that reads everything it is sent
 * @port:	the port
 * @got:	frames it read
 */
struct sport {
	struct port port;
	unsigned got;
};

static struct sw sw;
static struct sport sp[NS];

static int sport_flush(struct port *p)
{
	struct sport *m = container_of(p, struct sport, port);
	struct iovec iov[16];
	size_t n, i, total;

	while (!txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, 16, NULL, false);
		for (i = 0, total = 0; i < n; i++)
			total += iov[i].iov_len;
		m->got += txq_advance(&p->txq, total, false, &p->st.tx_bytes);
	}
	return 0;
}

static void sport_close(struct port *p)
{
	(void)p;
}

static const struct port_ops sport_ops = {
	.name = "storm",
	.flush = sport_flush,
	.close = sport_close,
};

static void setup_hub(bool hub)
{
	struct sw_params prm;
	int i;

	sw_params_default(&prm);
	prm.hub = hub;
	prm.mac_table_size = 64;
	prm.hash_secret = 7;
	cr_assert_eq(sw_init(&sw, &prm), 0);
	memset(sp, 0, sizeof(sp));
	for (i = 0; i < NS; i++)
		cr_assert_eq(sw_port_add(&sw, &sp[i].port, &sport_ops, 0), 0);
}

static void setup(void)
{
	setup_hub(false);
}

static void teardown(void)
{
	int i;

	for (i = 0; i < NS; i++)
		sw_port_remove(&sw, &sp[i].port);
	sw_fini(&sw);
}

/* A 60-byte frame on port @in from host @src to @dst: 0xff is broadcast,
 * 0xfe a multicast group, else host n (MAC 02:00:00:00:00:n). */
static void send(int in, uint8_t dst, uint8_t src, uint64_t now)
{
	uint8_t f[60] = { 0 };

	if (dst == 0xff) {
		memset(f, 0xff, 6);
	} else if (dst == 0xfe) {
		f[0] = 0x01;
		f[1] = 0x00;
		f[2] = 0x5e;
		f[5] = 1;
	} else {
		f[0] = 0x02;
		f[5] = dst;
	}
	f[6] = 0x02;
	f[11] = src;
	f[12] = 0x08;
	fwd_input(&sw, &sp[in].port, f, sizeof(f), now);
	sw_flush(&sw);
}

static void send_n(int in, uint8_t dst, uint8_t src, unsigned n, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n; i++)
		send(in, dst, src, now);
}

static uint64_t storm(int i)
{
	return sp[i].port.st.drops[PORT_DROP_RX_STORM];
}

/* Every frame received is forwarded or dropped, exactly once. */
static void assert_conserved(int i)
{
	const struct port *p = &sp[i].port;

	cr_assert_eq(p->st.rx_frames, p->st.rx_forwarded + port_rx_drops(p));
}

Test(storm, n_broadcasts_a_second_pass_the_rest_count_rx_storm, .init = setup,
     .fini = teardown)
{
	cr_assert_eq(sw_port_set_storm_limit(&sw, &sp[0].port, 10), 0);
	send_n(0, 0xff, 1, 25, 5);
	cr_assert_eq(sp[1].got, 10);
	cr_assert_eq(sp[2].got, 10);
	cr_assert_eq(storm(0), 15);
	cr_assert_eq(port_rx_drops(&sp[0].port), 15);
	cr_assert_eq(sp[0].port.st.rx_broadcast, 25, "still counted as seen");
	assert_conserved(0);
}

Test(storm, multicast_and_unknown_unicast_take_from_the_same_bucket,
     .init = setup, .fini = teardown)
{
	sw_port_set_storm_limit(&sw, &sp[0].port, 4);
	send(0, 0xfe, 1, 0); /* multicast */
	send(0, 9, 1, 0); /* host 9 unknown: would be flooded */
	send(0, 0xff, 1, 0);
	send(0, 0xfe, 1, 0);
	cr_assert_eq(sp[1].got, 4);
	send(0, 0xfe, 1, 0);
	send(0, 9, 1, 0);
	send(0, 0xff, 1, 0);
	cr_assert_eq(sp[1].got, 4);
	cr_assert_eq(storm(0), 3);
	assert_conserved(0);
}

Test(storm, the_bucket_refills_with_time_up_to_one_second, .init = setup,
     .fini = teardown)
{
	sw_port_set_storm_limit(&sw, &sp[0].port, 100);
	send_n(0, 0xff, 1, 150, 1000);
	cr_assert_eq(sp[1].got, 100);
	send_n(0, 0xff, 1, 150, 1100); /* 100 ms: 10 frames */
	cr_assert_eq(sp[1].got, 110);
	send_n(0, 0xff, 1, 3, 1105); /* 5 ms: half a frame, nothing */
	cr_assert_eq(sp[1].got, 110);
	send(0, 0xff, 1, 1110); /* 10 ms in all: one frame, none lost */
	cr_assert_eq(sp[1].got, 111);
	send_n(0, 0xff, 1, 300, 60000); /* a long pause: one second's worth */
	cr_assert_eq(sp[1].got, 211);
	cr_assert_eq(storm(0), 50 + 140 + 3 + 200);
	assert_conserved(0);
}

Test(storm, a_steady_rate_at_the_limit_loses_nothing, .init = setup,
     .fini = teardown)
{
	uint64_t t;

	sw_port_set_storm_limit(&sw, &sp[0].port, 1000);
	send_n(0, 0xff, 1, 1000, 0); /* the burst: the bucket is empty */
	for (t = 1; t <= 2000; t++) /* then one a millisecond */
		send(0, 0xff, 1, t);
	cr_assert_eq(sp[1].got, 3000);
	cr_assert_eq(storm(0), 0);
}

Test(storm, known_unicast_is_never_limited, .init = setup, .fini = teardown)
{
	sw_port_set_storm_limit(&sw, &sp[0].port, 1);
	send(1, 0xff, 2, 0); /* host 2 learned on port 1 (no limit there) */
	send_n(0, 2, 1, 500, 0);
	cr_assert_eq(sp[1].got, 500);
	cr_assert_eq(sp[2].got, 1, "only port 1's broadcast");
	cr_assert_eq(storm(0), 0);
	/* The one-frame bucket is still full: the first flood passes. */
	send_n(0, 0xff, 1, 2, 0);
	cr_assert_eq(sp[2].got, 2);
	cr_assert_eq(storm(0), 1);
	assert_conserved(0);
}

Test(storm, a_host_that_only_broadcasts_is_still_learned, .init = setup,
     .fini = teardown)
{
	sw_port_set_storm_limit(&sw, &sp[0].port, 1);
	send(0, 0xff, 1, 0);
	send(0, 0xff, 3, 0); /* dropped, but host 3 is learned */
	cr_assert_eq(storm(0), 1);
	cr_assert_eq(sp[0].port.st.mac_new, 2);
	cr_assert_eq(sp[0].port.mac_count, 2);
	send(1, 3, 2, 0); /* so a reply to host 3 is not flooded */
	cr_assert_eq(sp[0].got, 1);
	cr_assert_eq(sp[2].got, 1, "only the first broadcast");
}

Test(storm, every_frame_counts_in_hub_mode, .fini = teardown)
{
	setup_hub(true);
	sw_port_set_storm_limit(&sw, &sp[0].port, 2);
	send(1, 0xff, 2, 0);
	send_n(0, 2, 1, 5, 0); /* a hub floods all: all are limited */
	cr_assert_eq(sp[1].got, 2);
	cr_assert_eq(storm(0), 3);
	assert_conserved(0);
}

Test(storm, the_limit_applies_to_a_vlan_port_too, .init = setup,
     .fini = teardown)
{
	struct vlan_cfg c;

	vlan_cfg_access(&c, 5);
	cr_assert_eq(sw_port_set_vlan(&sw, &sp[0].port, &c), 0);
	cr_assert_eq(sw_port_set_vlan(&sw, &sp[1].port, &c), 0);
	sw_port_set_storm_limit(&sw, &sp[0].port, 3);
	send_n(0, 0xff, 1, 7, 0);
	cr_assert_eq(sp[1].got, 3);
	cr_assert_eq(sp[2].got, 3, "no mode: every VLAN");
	cr_assert_eq(storm(0), 4);
	assert_conserved(0);
}

Test(storm, setting_the_limit, .init = setup, .fini = teardown)
{
	struct port *p = &sp[0].port;

	cr_assert_eq(sw_port_set_storm_limit(&sw, p, SW_STORM_FPS_MAX + 1),
		     -EINVAL);
	cr_assert_eq(p->storm_fps, 0);
	cr_assert_eq(sw_port_set_storm_limit(&sw, p, 2), 0);
	send_n(0, 0xff, 1, 2, 0);
	cr_assert_eq(storm(0), 0);
	/* The same limit again (a reload that keeps it) refills nothing. */
	sw_port_set_storm_limit(&sw, p, 2);
	send(0, 0xff, 1, 0);
	cr_assert_eq(storm(0), 1);
	/* A new limit starts full; 0 takes it away. */
	sw_port_set_storm_limit(&sw, p, 3);
	send_n(0, 0xff, 1, 4, 0);
	cr_assert_eq(storm(0), 2);
	sw_port_set_storm_limit(&sw, p, 0);
	send_n(0, 0xff, 1, 50, 0);
	cr_assert_eq(storm(0), 2);
	cr_assert_eq(sp[1].got, 2 + 3 + 50);
	cr_assert_eq(sw_port_set_storm_limit(&sw, p, SW_STORM_FPS_MAX), 0);
}

Test(storm, a_mirror_session_still_copies_the_frames_dropped, .init = setup,
     .fini = teardown)
{
	sw_port_set_storm_limit(&sw, &sp[0].port, 2);
	cr_assert_eq(sw_mirror_add(&sw, &sp[0].port, &sp[2].port, SW_MIRROR_RX),
		     0);
	send_n(0, 0xff, 1, 5, 0);
	cr_assert_eq(sp[1].got, 2);
	cr_assert_eq(storm(0), 3);
	/* The monitor gets the two floods and a copy of each drop. */
	cr_assert_eq(sp[2].got, 5);
	cr_assert_eq(sp[2].port.st.mirror_tx, 3);
	assert_conserved(0);
}
