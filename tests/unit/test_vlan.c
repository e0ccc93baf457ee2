// SPDX-License-Identifier: MIT
/*
 * test_vlan.c - port VLAN modes: the decisions as a table (mode x tagging
 * x VLAN -> egress tagging or drop reason), then the same decisions
 * through fwd_input() on mock ports that keep the bytes they are sent:
 * isolation, tags pushed and popped, frames shared between ports left
 * alone, member lists across down/up and mode changes, conservation
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

#define NP 5
#define KEEP 16

/**
 * struct mock_port - a port that keeps the last frames it was sent
 * @port:	the port
 * @n:		frames written
 * @f:		the last KEEP of them (ring by @n)
 * @len:	their lengths
 */
struct mock_port {
	struct port port;
	unsigned n;
	uint8_t f[KEEP][128];
	size_t len[KEEP];
};

static int mock_flush(struct port *p)
{
	struct mock_port *m = container_of(p, struct mock_port, port);
	struct iovec iov[64];
	size_t n, i, total = 0, k;

	while (!txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, 64, NULL, false);
		for (i = 0, total = 0; i < n; i++) {
			k = m->n++ % KEEP;
			m->len[k] = iov[i].iov_len;
			memcpy(m->f[k], iov[i].iov_base,
			       iov[i].iov_len < 128 ? iov[i].iov_len : 128);
			total += iov[i].iov_len;
		}
		p->st.tx_frames +=
			txq_advance(&p->txq, total, false, &p->st.tx_bytes);
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

static struct sw sw;
static struct mock_port mp[NP];

static void setup(void)
{
	struct sw_params prm;
	int i;

	sw_params_default(&prm);
	prm.hash_secret = 3;
	cr_assert_eq(sw_init(&sw, &prm), 0);
	memset(mp, 0, sizeof(mp));
	for (i = 0; i < NP; i++)
		cr_assert_eq(sw_port_add(&sw, &mp[i].port, &mock_ops, 0), 0);
}

static void teardown(void)
{
	int i;

	for (i = 0; i < NP; i++)
		if (mp[i].port.txq.max_frames)
			sw_port_remove(&sw, &mp[i].port);
	sw_fini(&sw);
}

/* Build a frame: dst host (0xff broadcast), src host, @vid < 0 untagged,
 * else one tag with that VID (and PCP 5). Returns its length. */
static size_t build(uint8_t *f, uint8_t dst, uint8_t src, int vid, size_t len)
{
	size_t h = 12;

	memset(f, 0, len);
	memset(f, dst == 0xff ? 0xff : 0, 6);
	if (dst != 0xff) {
		f[0] = 0x02;
		f[5] = dst;
	}
	f[6] = 0x02;
	f[11] = src;
	if (vid >= 0) {
		f[12] = 0x81;
		f[14] = (uint8_t)(0xa0 | vid >> 8);
		f[15] = (uint8_t)vid;
		h = 16;
	}
	f[h] = 0x08;
	f[h + 2] = 0xee; /* a payload marker */
	return len;
}

static void access_mode(int i, uint16_t vid)
{
	struct vlan_cfg c;

	vlan_cfg_access(&c, vid);
	cr_assert_eq(sw_port_set_vlan(&sw, &mp[i].port, &c), 0);
}

static void trunk_mode(int i, const char *list, uint16_t native)
{
	struct vlan_cfg c;
	const char *err = NULL;

	vlan_cfg_trunk(&c);
	cr_assert_eq(vlan_list_parse(&c, list, ',', &err), 0, "%s", err);
	c.vid = native;
	cr_assert_eq(sw_port_set_vlan(&sw, &mp[i].port, &c), 0);
}

static void send(int in, uint8_t dst, uint8_t src, int vid)
{
	uint8_t f[64];
	uint8_t copy[64];

	build(f, dst, src, vid, sizeof(f));
	memcpy(copy, f, sizeof(f));
	fwd_input(&sw, &mp[in].port, f, sizeof(f), 1);
	sw_flush(&sw);
	cr_assert(!memcmp(f, copy, sizeof(f)), "the received frame changed");
}

/* A broadcast from port @in whose source address starts with @first and
 * is otherwise zero (0x00: all-zero, 0x01: multicast). */
static void send_src(int in, uint8_t first, int vid)
{
	uint8_t f[64];

	build(f, 0xff, 0, vid, sizeof(f));
	memset(f + 6, 0, 6);
	f[6] = first;
	fwd_input(&sw, &mp[in].port, f, sizeof(f), 1);
	sw_flush(&sw);
}

/* The VLAN of the last frame @i got: -1 untagged. */
static int last_vid(int i)
{
	const uint8_t *f = mp[i].f[(mp[i].n - 1) % KEEP];

	cr_assert_gt(mp[i].n, 0);
	if (f[12] != 0x81 || f[13] != 0)
		return -1;
	return (f[14] << 8 | f[15]) & 0xfff;
}

static const uint8_t *last(int i)
{
	return mp[i].f[(mp[i].n - 1) % KEEP];
}

/* The table: one row per mode x tagging x VLAN. */
struct row {
	const char *mode; /* "none", "access 10", "trunk 10,20 native 10" */
	int tag; /* -1 untagged, else the VID (0 priority-tagged) */
	int drop; /* -1 forwarded, else the reason */
	int vlan; /* forwarded: the frame's VLAN */
};

static void mode_of(const char *s, struct vlan_cfg *c)
{
	unsigned v, nat = 0;
	char list[64];
	const char *err;

	vlan_cfg_none(c);
	if (sscanf(s, "access %u", &v) == 1) {
		vlan_cfg_access(c, (uint16_t)v);
	} else if (sscanf(s, "trunk %63s native %u", list, &nat) >= 1) {
		vlan_cfg_trunk(c);
		cr_assert_eq(vlan_list_parse(c, list, ',', &err), 0);
		c->vid = (uint16_t)nat;
	}
	cr_assert_null(vlan_cfg_check(c), "%s: %s", s, vlan_cfg_check(c));
}

Test(vlan, classify_table)
{
	static const struct row rows[] = {
		{ "access 10", -1, -1, 10 },
		{ "access 10", 0, -1, 10 },
		{ "access 10", 10, PORT_DROP_RX_VLAN_TAGGED, 0 },
		{ "access 10", 20, PORT_DROP_RX_VLAN_TAGGED, 0 },
		{ "access 10", 4095, PORT_DROP_RX_VLAN_BAD, 0 },
		{ "trunk 10,20", -1, PORT_DROP_RX_VLAN_UNTAGGED, 0 },
		{ "trunk 10,20", 0, PORT_DROP_RX_VLAN_UNTAGGED, 0 },
		{ "trunk 10,20", 10, -1, 10 },
		{ "trunk 10,20", 20, -1, 20 },
		{ "trunk 10,20", 30, PORT_DROP_RX_VLAN_NOT_ALLOWED, 0 },
		{ "trunk 10,20", 4095, PORT_DROP_RX_VLAN_BAD, 0 },
		{ "trunk 10,20-29 native 10", -1, -1, 10 },
		{ "trunk 10,20-29 native 10", 0, -1, 10 },
		{ "trunk 10,20-29 native 10", 10, -1, 10 },
		{ "trunk 10,20-29 native 10", 29, -1, 29 },
		{ "trunk 10,20-29 native 10", 30, PORT_DROP_RX_VLAN_NOT_ALLOWED,
		  0 },
	};
	uint8_t f[64];
	struct frame_info fi;
	enum vlan_tagging form;
	struct vlan_cfg c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mode_of(rows[i].mode, &c);
		build(f, 1, 2, rows[i].tag, sizeof(f));
		rc = vlan_classify(&c, f, sizeof(f), &fi, &form);
		cr_assert_eq(rc, rows[i].drop, "row %zu (%s, tag %d): %d", i,
			     rows[i].mode, rows[i].tag, rc);
		if (rc >= 0)
			continue;
		cr_assert_eq(fi.vid, rows[i].vlan, "row %zu", i);
		cr_assert_eq(form,
			     rows[i].tag < 0	? VLAN_UNTAGGED_FORM
			     : rows[i].tag == 0 ? VLAN_OTHER_FORM
						: VLAN_TAGGED_FORM,
			     "row %zu", i);
	}
}

Test(vlan, egress_table)
{
	static const struct {
		const char *mode;
		int vlan;
		enum vlan_tagging form;
	} rows[] = {
		{ "none", 0, VLAN_UNTAGGED_FORM },
		{ "none", 10, VLAN_TAGGED_FORM },
		{ "access 10", 10, VLAN_UNTAGGED_FORM },
		{ "trunk 10,20", 10, VLAN_TAGGED_FORM },
		{ "trunk 10,20 native 20", 10, VLAN_TAGGED_FORM },
		{ "trunk 10,20 native 20", 20, VLAN_UNTAGGED_FORM },
	};
	struct vlan_cfg c;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mode_of(rows[i].mode, &c);
		cr_assert_eq(vlan_egress(c.mode == VLAN_MODE_NONE ? NULL : &c,
					 (uint16_t)rows[i].vlan),
			     rows[i].form, "row %zu: %s, VLAN %d", i,
			     rows[i].mode, rows[i].vlan);
	}
}

Test(vlan, bad_frames)
{
	struct vlan_cfg c;
	struct frame_info fi;
	enum vlan_tagging form;
	uint8_t f[64];

	vlan_cfg_trunk(&c);
	vlan_set(c.allowed, 10);
	/* double-tagged: 802.1Q in 802.1Q */
	build(f, 1, 2, 10, sizeof(f));
	f[16] = 0x81;
	f[17] = 0x00;
	cr_assert_eq(vlan_classify(&c, f, sizeof(f), &fi, &form),
		     PORT_DROP_RX_VLAN_BAD);
	/* 802.1ad outer tag */
	build(f, 1, 2, 10, sizeof(f));
	f[12] = 0x88;
	f[13] = 0xa8;
	cr_assert_eq(vlan_classify(&c, f, sizeof(f), &fi, &form),
		     PORT_DROP_RX_VLAN_BAD);
	/* a tag cut short */
	build(f, 1, 2, 10, sizeof(f));
	cr_assert_eq(vlan_classify(&c, f, 16, &fi, &form),
		     PORT_DROP_RX_VLAN_BAD);
	/* all-zero and multicast sources: classified; the switch drops
	 * them when learning ignores them (drops_are_counted_...) */
	build(f, 1, 0, 10, sizeof(f));
	memset(f + 6, 0, 6);
	cr_assert_eq(vlan_classify(&c, f, sizeof(f), &fi, &form), -1);
	cr_assert_eq(fi.vid, 10);
	build(f, 1, 2, 10, sizeof(f));
	f[6] = 0x01;
	cr_assert_eq(vlan_classify(&c, f, sizeof(f), &fi, &form), -1);
	cr_assert_eq(vlan_classify(&c, f, 10, &fi, &form), PORT_DROP_RX_RUNT);
}

Test(vlan, lists_parse_check_format)
{
	struct vlan_cfg c;
	const char *err = NULL;
	char buf[VLAN_TEXT_MAX];

	vlan_cfg_trunk(&c);
	cr_assert_eq(vlan_list_parse(&c, "10:20-22:4094", ':', &err), 0);
	c.vid = 21;
	cr_assert_null(vlan_cfg_check(&c));
	vlan_cfg_format(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "trunk 10,20-22,4094 native 21");
	c.vid = 30;
	cr_assert_not_null(vlan_cfg_check(&c), "native outside the list");
	vlan_cfg_trunk(&c);
	cr_assert_not_null(vlan_cfg_check(&c), "an empty trunk");
	cr_assert_lt(vlan_list_parse(&c, "20-10", ',', &err), 0);
	cr_assert_str_eq(err, "range is reversed (A-B needs A <= B)");
	cr_assert_lt(vlan_list_parse(&c, "0", ',', &err), 0);
	cr_assert_lt(vlan_list_parse(&c, "4095", ',', &err), 0);
	cr_assert_lt(vlan_list_parse(&c, "10,", ',', &err), 0);
	cr_assert_lt(vlan_list_parse(&c, "", ',', &err), 0);
	cr_assert_lt(vlan_list_parse(&c, "1x", ',', &err), 0);
	vlan_cfg_access(&c, 0);
	cr_assert_not_null(vlan_cfg_check(&c));
	vlan_cfg_access(&c, 4095);
	cr_assert_not_null(vlan_cfg_check(&c));
	vlan_cfg_access(&c, 7);
	vlan_cfg_format(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "access 7");
	/* every other VLAN: too long for the text, cut with "..." */
	vlan_cfg_trunk(&c);
	for (unsigned v = 1; v <= VLAN_VID_MAX; v += 2)
		vlan_set(c.allowed, v);
	cr_assert_lt(vlan_cfg_format(&c, buf, sizeof(buf)), sizeof(buf));
	cr_assert(strstr(buf, "..."));
}

TestSuite(vlan_fwd, .init = setup, .fini = teardown);

/* Ports: 0 access 10, 1 access 20, 2 trunk 10,20 (no native), 3 trunk
 * 10,20 native 20, 4 no mode. */
static void lab(void)
{
	access_mode(0, 10);
	access_mode(1, 20);
	trunk_mode(2, "10,20", 0);
	trunk_mode(3, "10,20", 20);
}

/* lab(), and the number of frames each port got so far in @before. */
static void lab_from(unsigned before[NP])
{
	int i;

	lab();
	for (i = 0; i < NP; i++)
		before[i] = mp[i].n;
}

Test(vlan_fwd, flood_stays_in_its_vlan_and_is_tagged_per_port)
{
	unsigned before[NP];

	lab_from(before);
	send(0, 0xff, 1, -1); /* broadcast in VLAN 10 from the access port */
	cr_assert_eq(mp[1].n, before[1], "VLAN 20's access port got it");
	cr_assert_eq(last_vid(2), 10);
	cr_assert_eq(last_vid(3), 10);
	cr_assert_eq(last_vid(4), 10, "a port without a mode sees the tag");
	cr_assert_eq(last(2)[14] >> 5, 0, "a pushed tag has priority 0");
	cr_assert_eq(last(2)[18], 0xee, "payload after the pushed tag");
	cr_assert_eq(mp[2].len[(mp[2].n - 1) % KEEP], 68);

	send(3, 0xff, 2, -1); /* untagged on port 3: its native VLAN 20 */
	cr_assert_eq(last_vid(1), -1);
	cr_assert_eq(last(1)[14], 0xee, "payload right after the addresses");
	cr_assert_eq(last_vid(2), 20);
	cr_assert_eq(last_vid(4), 20);
	cr_assert_eq(mp[0].n, before[0], "VLAN 10's access port got it");

	send(2, 0xff, 3, 10); /* tagged 10 on the trunk */
	cr_assert_eq(last_vid(0), -1);
	cr_assert_eq(mp[0].len[(mp[0].n - 1) % KEEP], 60);
	cr_assert_eq(last_vid(3), 10, "not the native VLAN: stays tagged");
	cr_assert_eq(last(3)[14] >> 5, 5, "an existing tag keeps its PCP");
	send(2, 0xff, 3, 20);
	cr_assert_eq(last_vid(3), -1, "native VLAN leaves untagged");
	cr_assert_eq(last_vid(1), -1);
}

Test(vlan_fwd, learning_per_vlan)
{
	lab();
	send(0, 0xff, 1, -1); /* host 1 in VLAN 10 on port 0 */
	send(1, 0xff, 1, -1); /* the same MAC in VLAN 20 on port 1 */
	cr_assert_eq(mac_table_lookup(&sw.mt, 10, last(4) + 6, 1), &mp[0].port);
	cr_assert_eq(mac_table_lookup(&sw.mt, 20, last(4) + 6, 1), &mp[1].port);
	unsigned n0 = mp[0].n, n1 = mp[1].n, n3 = mp[3].n;

	send(2, 1, 5, 20); /* to host 1 in VLAN 20: port 1 only */
	cr_assert_eq(mp[1].n, n1 + 1);
	cr_assert_eq(mp[0].n, n0);
	cr_assert_eq(mp[3].n, n3);
	send(2, 1, 5, 10); /* in VLAN 10: port 0 only, untagged */
	cr_assert_eq(mp[0].n, n0 + 1);
	cr_assert_eq(last_vid(0), -1);
}

Test(vlan_fwd, drops_are_counted_where_they_came_in)
{
	unsigned before[NP];
	int i;

	lab_from(before);
	send(0, 0xff, 1, 10);
	send(2, 0xff, 1, -1);
	send(2, 0xff, 1, 30);
	send(3, 0xff, 1, 4095);
	send_src(0, 0x00, -1); /* all-zero source */
	send_src(2, 0x01, 10); /* multicast source */
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_BAD_SRC], 1);
	cr_assert_eq(mp[2].port.st.drops[PORT_DROP_RX_BAD_SRC], 1);
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_VLAN_TAGGED], 1);
	cr_assert_eq(mp[2].port.st.drops[PORT_DROP_RX_VLAN_UNTAGGED], 1);
	cr_assert_eq(mp[2].port.st.drops[PORT_DROP_RX_VLAN_NOT_ALLOWED], 1);
	cr_assert_eq(mp[3].port.st.drops[PORT_DROP_RX_VLAN_BAD], 1);
	for (i = 0; i < NP; i++) {
		cr_assert_eq(mp[i].n, before[i], "port %d got a dropped frame",
			     i);
		cr_assert_eq(mp[i].port.st.rx_frames,
			     mp[i].port.st.rx_forwarded +
				     port_rx_drops(&mp[i].port));
	}
}

Test(vlan_fwd, bad_sources_are_dropped_in_hub_mode_too)
{
	unsigned before[NP];
	int i;

	sw.prm.hub = true; /* no learning: the source is tested on its own */
	lab_from(before);
	send_src(0, 0x00, -1);
	send_src(3, 0x01, -1);
	send_src(4, 0x01, -1); /* a port without a mode: forwarded as ever */
	cr_assert_eq(mp[0].port.st.drops[PORT_DROP_RX_BAD_SRC], 1);
	cr_assert_eq(mp[3].port.st.drops[PORT_DROP_RX_BAD_SRC], 1);
	cr_assert_eq(mp[4].port.st.drops[PORT_DROP_RX_BAD_SRC], 0);
	cr_assert_eq(mp[4].port.st.rx_forwarded, 1);
	for (i = 0; i < 4; i++) /* VLAN 0 is on no port with a mode */
		cr_assert_eq(mp[i].n, before[i], "port %d got a frame", i);
}

Test(vlan_fwd, no_mode_ports_keep_todays_behaviour)
{
	uint8_t f[64];

	/* Without any mode the frame leaves as it came, tag and all. */
	send(4, 0xff, 1, 0);
	cr_assert_eq(last_vid(0), 0, "priority tag kept");
	cr_assert_null(sw.vlan);
	access_mode(0, 10);
	cr_assert_not_null(sw.vlan);
	send(4, 0xff, 2, 10); /* tagged 10 from a port without a mode */
	cr_assert_eq(last_vid(0), -1, "popped for the access port");
	cr_assert_eq(last_vid(1), 10, "kept for the others");
	send(4, 0xff, 2, -1); /* VLAN 0: no port with a mode carries it */
	cr_assert_eq(last_vid(0), -1);
	cr_assert_eq(mp[0].port.st.tx_queued, 2);
	cr_assert_eq(last_vid(1), -1);
	/* back to no mode: the VLAN state goes after the next batch */
	cr_assert_eq(sw_port_set_vlan(&sw, &mp[0].port, NULL), 0);
	build(f, 0xff, 3, 7, sizeof(f));
	fwd_input(&sw, &mp[4].port, f, sizeof(f), 2);
	sw_flush(&sw);
	cr_assert_null(sw.vlan);
	cr_assert_eq(last_vid(0), 7);
}

Test(vlan_fwd, member_lists_follow_up_down_and_mode)
{
	unsigned n0;

	lab();
	sw_port_set_enabled(&sw, &mp[0].port, false);
	n0 = mp[0].n;
	send(2, 0xff, 3, 10);
	cr_assert_eq(mp[0].n, n0, "a disabled port got a flood");
	sw_port_set_enabled(&sw, &mp[0].port, true);
	send(2, 0xff, 3, 10);
	cr_assert_eq(mp[0].n, n0 + 1);
	/* move port 0 to VLAN 20: its addresses go, floods follow */
	send(0, 0xff, 9, -1);
	cr_assert_eq(mac_table_lookup(&sw.mt, 10, last(4) + 6, 1), &mp[0].port);
	access_mode(0, 20);
	cr_assert_null(mac_table_lookup(&sw.mt, 10, last(4) + 6, 1));
	n0 = mp[0].n;
	send(2, 0xff, 3, 10);
	cr_assert_eq(mp[0].n, n0);
	send(2, 0xff, 3, 20);
	cr_assert_eq(mp[0].n, n0 + 1);
	cr_assert_eq(sw.vlan->vl[10].n, 2);
	cr_assert_eq(sw.vlan->vl[20].n, 4);
	cr_assert_eq(sw.vlan->nany, 1);
	/* an invalid mode changes nothing */
	struct vlan_cfg bad;

	vlan_cfg_access(&bad, 4095);
	cr_assert_lt(sw_port_set_vlan(&sw, &mp[0].port, &bad), 0);
	cr_assert_eq(mp[0].port.vlan->vid, 20);
	sw_port_remove(&sw, &mp[2].port);
	cr_assert_eq(sw.vlan->vl[10].n, 1);
	cr_assert_eq(sw.vlan->vl[10].ref, 1);
	cr_assert_eq(sw_port_add(&sw, &mp[2].port, &mock_ops, 0), 0);
	cr_assert_null(mp[2].port.vlan, "a port added again has no mode");
	cr_assert_eq(sw.vlan->nany, 2);
}

/* Random traffic over every mode: every frame is forwarded or counted,
 * every queue entry is sent, and no port gets a frame of a VLAN it does
 * not carry. */
Test(vlan_fwd, conservation_under_random_traffic)
{
	uint64_t rx = 0, fwded = 0, rxdrop = 0, queued = 0, sent = 0;
	uint8_t batch[5][80]; /* borrowed until sw_flush() */
	int step, i;

	srand(11);
	lab();
	for (step = 0; step < 4000; step++) {
		int in = rand() % NP, vid = rand() % 5;
		static const int vids[] = { -1, 0, 10, 20, 30 };
		size_t len = 14 + (size_t)(rand() % 66);
		uint8_t *f = batch[step % 5];

		build(f, (uint8_t)(rand() % 4 ? rand() % 6 : 0xff),
		      (uint8_t)(rand() % 6), vids[vid], sizeof(batch[0]));
		fwd_input(&sw, &mp[in].port, f, len, (uint64_t)step);
		if (step % 5 == 4)
			sw_flush(&sw);
		if (step % 500 == 0)
			access_mode(0, step % 1000 ? 10 : 20);
		for (i = 0; i < NP; i++) {
			int v;

			if (!mp[i].n)
				continue;
			v = last_vid(i);
			if (i == 0)
				cr_assert_eq(v, -1);
			if (i == 2)
				cr_assert(
					v == 10 || v == 20,
					"port 2 got %d at step %d from %d len %zu",
					v, step, in, len);
		}
	}
	sw_flush(&sw);
	for (i = 0; i < NP; i++) {
		const struct port_stats *st = &mp[i].port.st;

		rx += st->rx_frames;
		fwded += st->rx_forwarded;
		rxdrop += port_rx_drops(&mp[i].port);
		queued += st->tx_queued;
		sent += st->tx_frames;
	}
	cr_assert_eq(rx, fwded + rxdrop);
	cr_assert_eq(queued, sent);
	cr_assert_gt(fwded, 1000);
	cr_assert_gt(rxdrop, 100);
}
