// SPDX-License-Identifier: MIT
/*
 * test_stream.c - forwarding over stream ports, against the real daemon
 *
 * Each test starts its own sockswitch and attaches stream clients over
 * unix sockets, TCP on 127.0.0.1 and TCP on [::1] (skipped when IPv6 is
 * not available). Negative checks ("B did not get it") never sleep: a later
 * frame is used as a barrier. A destination port's queue is FIFO and one
 * sender's frames are handled in order, so if the barrier is the next
 * frame a station reads, nothing sent before it reached that station.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "itest.h"

TestSuite(stream, .fini = ss_cleanup, .timeout = 90);

/* Every transport test runs over unix, tcp4 and tcp6. */
#define TP_PARAMS(name)                                                     \
	ParameterizedTestParameters(stream, name)                           \
	{                                                                   \
		static enum itest_tp tps[] = { TP_UNIX, TP_TCP4, TP_TCP6 }; \
		return cr_make_param_array(enum itest_tp, tps, 3);          \
	}

static const uint8_t mac_unknown[SS_MAC_LEN] = { 0x02, 0, 0, 0, 0xff, 0xfe };
static const uint8_t mac_mcast4[SS_MAC_LEN] = { 0x01, 0x00, 0x5e,
						0x00, 0x00, 0xfb };
static const uint8_t mac_mcast6[SS_MAC_LEN] = { 0x33, 0x33, 0x00,
						0x00, 0x00, 0x01 };

static void start(struct itest_sw *sw, const enum itest_tp *tp,
		  const char *const *extra)
{
	itest_skip_unavailable(*tp);
	itest_start(sw, *tp, extra);
}

TP_PARAMS(broadcast_reaches_all_others_never_the_sender)
ParameterizedTest(enum itest_tp *tp, stream,
		  broadcast_reaches_all_others_never_the_sender)
{
	struct itest_sta s[4];
	struct itest_sw sw;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 4);
	/* Station i's next frame after its own broadcast is station i+1's:
	 * an echo of its own would have been queued before that. */
	for (uint32_t i = 0; i < 4; i++) {
		itest_send(&s[i], itest_bcast, i + 1, 60);
		for (uint32_t j = 0; j < 4; j++)
			if (j != i)
				itest_expect(&s[j], itest_bcast, &s[i], i + 1,
					     60);
	}
	itest_send(&s[0], itest_bcast, 100, 60);
	for (size_t j = 1; j < 4; j++)
		itest_expect_seq(&s[j], 100);
	itest_stop(&sw);
}

TP_PARAMS(unicast_to_learned_mac_reaches_only_its_port)
ParameterizedTest(enum itest_tp *tp, stream,
		  unicast_to_learned_mac_reaches_only_its_port)
{
	struct itest_sta s[3];
	struct itest_sw sw;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);

	itest_send(&s[0], s[1].mac, 10, 100);
	itest_expect(&s[1], s[1].mac, &s[0], 10, 100);
	/* C (and A itself) must see B's broadcast 11 before anything else. */
	itest_send(&s[1], itest_bcast, 11, 60);
	itest_expect_seq(&s[2], 11);
	itest_expect_seq(&s[0], 11);

	itest_send(&s[2], s[0].mac, 12, 1500);
	itest_expect(&s[0], s[0].mac, &s[2], 12, 1500);
	itest_send(&s[0], itest_bcast, 13, 60);
	itest_expect_seq(&s[1], 13);
	itest_expect_seq(&s[2], 13);
	itest_stop(&sw);
}

TP_PARAMS(unknown_unicast_is_flooded)
ParameterizedTest(enum itest_tp *tp, stream, unknown_unicast_is_flooded)
{
	struct itest_sta s[3];
	struct itest_sw sw;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);

	/* Nobody has this MAC. */
	itest_send(&s[0], mac_unknown, 1, 100);
	itest_expect(&s[1], mac_unknown, &s[0], 1, 100);
	itest_expect(&s[2], mac_unknown, &s[0], 1, 100);
	/* C has not sent anything yet, so its MAC is unknown too. */
	itest_send(&s[0], s[2].mac, 2, 100);
	itest_expect(&s[1], s[2].mac, &s[0], 2, 100);
	itest_expect(&s[2], s[2].mac, &s[0], 2, 100);
	/* The flood never includes the sender. */
	itest_send(&s[1], itest_bcast, 3, 60);
	itest_expect_seq(&s[0], 3);
	itest_expect_seq(&s[2], 3);
	itest_stop(&sw);
}

TP_PARAMS(multicast_is_flooded)
ParameterizedTest(enum itest_tp *tp, stream, multicast_is_flooded)
{
	struct itest_sta s[3];
	struct itest_sw sw;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);

	itest_send(&s[0], mac_mcast4, 10, 200);
	itest_expect(&s[1], mac_mcast4, &s[0], 10, 200);
	itest_expect(&s[2], mac_mcast4, &s[0], 10, 200);
	itest_send(&s[0], mac_mcast6, 11, 200);
	itest_expect(&s[1], mac_mcast6, &s[0], 11, 200);
	itest_expect(&s[2], mac_mcast6, &s[0], 11, 200);
	itest_send(&s[1], itest_bcast, 12, 60);
	itest_expect_seq(&s[0], 12);
	itest_stop(&sw);
}

/* A sends from a group or broadcast address; if the switch learned it on
 * A's port, a later frame *to* that address would go to A alone. */
TP_PARAMS(multicast_source_is_not_learned)
ParameterizedTest(enum itest_tp *tp, stream, multicast_source_is_not_learned)
{
	static const uint8_t *const srcs[] = { mac_mcast4, itest_bcast };
	struct itest_sta s[3];
	struct itest_sw sw;
	uint32_t seq = 10;
	long long learned;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	learned = itest_stat(&sw, s[0].port, "mac_new");
	cr_assert_eq(learned, 1, "A's own MAC is learned: mac_new=%lld",
		     learned);

	for (size_t i = 0; i < 2; i++, seq += 2) {
		int ret;

		ss_frame_build(itest_buf, 100, mac_unknown, srcs[i], seq);
		ret = ss_send_frame(s[0].c, itest_buf, 100);
		cr_assert_eq(ret, 0, "A: send: %s", strerror(-ret));
		itest_send(&s[1], srcs[i], seq + 1, 100);
		/* Whether the odd frame itself is forwarded is not our
		 * question; the frame to the group address must reach both
		 * A and C. */
		itest_skip_to_seq(&s[2], seq + 1);
		itest_skip_to_seq(&s[0], seq + 1);
	}
	/* This switch never looks group destinations up, so the counter is
	 * the only other place a wrongly learned group address shows. */
	learned = itest_stat(&sw, s[0].port, "mac_new");
	cr_assert_eq(
		learned, 1,
		"group/broadcast sources must not be learned: mac_new=%lld",
		learned);
	itest_stop(&sw);
}

TP_PARAMS(frames_of_all_sizes_are_forwarded_intact)
ParameterizedTest(enum itest_tp *tp, stream,
		  frames_of_all_sizes_are_forwarded_intact)
{
	static const size_t sizes[] = { 14,   15,   60,	   1500,
					1518, 9000, 65535, 65550 };
	struct itest_sta s[2];
	struct itest_sw sw;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 2);
	for (uint32_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		itest_send(&s[0], itest_bcast, i, sizes[i]);
		itest_expect(&s[1], itest_bcast, &s[0], i, sizes[i]);
		itest_send(&s[1], s[0].mac, 100 + i, sizes[i]);
		itest_expect(&s[0], s[0].mac, &s[1], 100 + i, sizes[i]);
	}
	itest_stop(&sw);
}

/* 300 frames of mixed sizes written with one write(): the switch must
 * split them correctly and keep their order. */
TP_PARAMS(back_to_back_frames_in_one_write_keep_order)
ParameterizedTest(enum itest_tp *tp, stream,
		  back_to_back_frames_in_one_write_keep_order)
{
	static uint8_t burst[300 * (SS_HDR_LEN + 1514)];
	struct itest_sta s[2];
	struct itest_sw sw;
	size_t off = 0;
	int ret;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 2);
	for (uint32_t i = 0; i < 300; i++) {
		size_t len = 60 + (i * 97) % 1454;

		burst[off++] = 0;
		burst[off++] = 0;
		burst[off++] = (uint8_t)(len >> 8);
		burst[off++] = (uint8_t)len;
		off += ss_frame_build(burst + off, len, itest_bcast, s[0].mac,
				      i);
	}
	ret = ss_send_raw(s[0].c, burst, off);
	cr_assert_eq(ret, 0, "A: send: %s", strerror(-ret));
	for (uint32_t i = 0; i < 300; i++)
		itest_expect(&s[1], itest_bcast, &s[0], i,
			     60 + (i * 97) % 1454);
	itest_stop(&sw);
}

/* The length prefix and the frame arrive in pieces; a ping between two
 * other stations after each piece makes the switch run its loop (and read
 * A's piece) before the next one is written. */
TP_PARAMS(length_prefix_split_across_writes_is_reassembled)
ParameterizedTest(enum itest_tp *tp, stream,
		  length_prefix_split_across_writes_is_reassembled)
{
	static const size_t cuts[] = { 1, 1, 1, 1, 300, 1, 699 };
	uint8_t wire[SS_HDR_LEN + 1000];
	struct itest_sta s[3];
	struct itest_sw sw;
	size_t off = 0;
	uint32_t seq = 100;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	wire[0] = 0;
	wire[1] = 0;
	wire[2] = 1000 >> 8;
	wire[3] = 1000 & 0xff;
	ss_frame_build(wire + SS_HDR_LEN, 1000, s[2].mac, s[0].mac, 50);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		int ret = ss_send_raw(s[0].c, wire + off, cuts[i]);

		cr_assert_eq(ret, 0, "A: send: %s", strerror(-ret));
		off += cuts[i];
		if (off == sizeof(wire))
			break;
		itest_ping(&s[1], &s[2], seq);
		seq += 2;
	}
	cr_assert_eq(off, sizeof(wire));
	itest_expect(&s[2], s[2].mac, &s[0], 50, 1000);
	itest_ping(&s[0], &s[2], seq);
	itest_stop(&sw);
}

TP_PARAMS(max_frame_option_lowers_the_limit)
ParameterizedTest(enum itest_tp *tp, stream, max_frame_option_lowers_the_limit)
{
	static const char *const extra[] = { "--max-frame", "1500", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	char line[2048];

	start(&sw, tp, extra);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	itest_send(&s[0], itest_bcast, 10, 1500);
	itest_expect(&s[1], itest_bcast, &s[0], 10, 1500);
	itest_expect(&s[2], itest_bcast, &s[0], 10, 1500);

	/* 1501 is above the limit: not forwarded, and A is disconnected
	 * like any other peer that announces too long a frame. */
	itest_send(&s[0], itest_bcast, 11, 1501);
	itest_expect_closed(&sw, &s[0], line, sizeof(line));
	itest_send(&s[2], itest_bcast, 12, 60);
	itest_expect_seq(&s[1], 12);
	itest_ping(&s[1], &s[2], 13);
	itest_stop(&sw);
}

TP_PARAMS(runt_lengths_are_dropped_counted_and_keep_the_connection)
ParameterizedTest(enum itest_tp *tp, stream,
		  runt_lengths_are_dropped_counted_and_keep_the_connection)
{
	static const uint32_t runts[] = { 0, 5, 13 };
	uint8_t hdr[SS_ETH_HLEN];
	struct itest_sta s[2];
	struct itest_sw sw;
	long long n;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 2);
	/* Each runt is the start of a valid header, so forwarding it would
	 * show up at B as an unexpected short frame. */
	ss_frame_build(hdr, sizeof(hdr), itest_bcast, s[0].mac, 0);
	for (size_t i = 0; i < 3; i++) {
		int ret = ss_send_frame(s[0].c, hdr, runts[i]);

		cr_assert_eq(ret, 0, "A: send runt %u: %s", runts[i],
			     strerror(-ret));
	}
	itest_send(&s[0], itest_bcast, 7, 60);
	itest_expect(&s[1], itest_bcast, &s[0], 7, 60);
	itest_ping(&s[0], &s[1], 8);

	n = itest_stat(&sw, s[0].port, "drop_rx_runt");
	cr_assert_eq(n, 3, "A sent 3 runts (0, 5, 13 bytes): drop_rx_runt=%lld",
		     n);
	n = itest_stat(&sw, s[0].port, "rx_frames");
	cr_assert_geq(n, 2, "A's good frames should count: rx_frames=%lld", n);
	itest_stop(&sw);
}

/* Announce @len, send a few bytes in the same write; the switch must
 * close @x and name the length in its log. */
static void send_oversize(struct itest_sw *sw, struct itest_sta *x,
			  uint32_t len)
{
	uint8_t wire[100] = { 0 };
	size_t pos = x->logpos;
	char needle[32];
	int ret;

	/* One write: the switch may close as soon as it sees the header. */
	wire[0] = (uint8_t)(len >> 24);
	wire[1] = (uint8_t)(len >> 16);
	wire[2] = (uint8_t)(len >> 8);
	wire[3] = (uint8_t)len;
	ret = ss_send_raw(x->c, wire, sizeof(wire));
	cr_assert_eq(ret, 0, "%s: send: %s", x->name, strerror(-ret));
	itest_expect_closed(sw, x, NULL, 0);
	snprintf(needle, sizeof(needle), "%u", len);
	ret = ss_daemon_wait_log(sw->d, &pos, needle, NULL, 0, SS_TIMEOUT_MS);
	if (ret < 0)
		itest_dump_log(sw->d);
	cr_assert_eq(ret, 0, "the log should name the bad length %u", len);
}

TP_PARAMS(oversize_length_closes_only_that_client)
ParameterizedTest(enum itest_tp *tp, stream,
		  oversize_length_closes_only_that_client)
{
	static const uint32_t lens[] = { 70000, 65551, 0xffffffffu };
	struct itest_sta s[3];
	struct itest_sw sw;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);

	for (uint32_t i = 0; i < 3; i++) {
		send_oversize(&sw, &s[0], lens[i]);
		ss_client_close(s[0].c);
		itest_ping(&s[1], &s[2], 10 + 5 * i);
		itest_send(&s[1], itest_bcast, 12 + 5 * i, 1500);
		itest_expect(&s[2], itest_bcast, &s[1], 12 + 5 * i, 1500);
		/* The switch still accepts and serves new peers. */
		itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
		itest_ping(&s[0], &s[1], 13 + 5 * i);
	}
	itest_stop(&sw);
}

TP_PARAMS(client_closing_mid_frame_does_not_disturb_others)
ParameterizedTest(enum itest_tp *tp, stream,
		  client_closing_mid_frame_does_not_disturb_others)
{
	char line[2048], needle[32];
	struct itest_sta s[4];
	struct itest_sw sw;
	long long n;
	int ret;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);

	/* Header announcing 1500 bytes, then 750 of them, then close. */
	ss_frame_build(itest_buf, 1500, itest_bcast, s[0].mac, 9);
	ret = ss_send_len(s[0].c, 1500);
	cr_assert_eq(ret, 0);
	ret = ss_send_raw(s[0].c, itest_buf, 750);
	cr_assert_eq(ret, 0);
	ss_client_close(s[0].c);
	s[0].c = NULL;
	itest_wait_closed_log(&sw, &s[0], NULL, 0);
	snprintf(needle, sizeof(needle), "final port=%d ", s[0].port);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &s[0].logpos, needle, line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "no `%s...' line after the close", needle);
	cr_assert(ss_log_value(line, "drop_rx_framing", &n) && n == 1,
		  "the half frame should count as drop_rx_framing=1: `%s'",
		  line);

	/* The half frame went nowhere: B's next frame is C's. */
	itest_send(&s[2], itest_bcast, 10, 60);
	itest_expect(&s[1], itest_bcast, &s[2], 10, 60);
	itest_ping(&s[1], &s[2], 11);
	itest_join_one(&sw, &s[3], NULL, "D", 4, 0);
	itest_ping(&s[3], &s[2], 13);
	itest_stop(&sw);
}

TP_PARAMS(many_clients_all_hear_every_broadcast)
ParameterizedTest(enum itest_tp *tp, stream,
		  many_clients_all_hear_every_broadcast)
{
	struct itest_sta s[24];
	struct itest_sw sw;
	char name[8];

	start(&sw, tp, NULL);
	for (unsigned int i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "S%u", i);
		itest_join_one(&sw, &s[i], NULL, name, i + 1, 0);
	}
	itest_learn_all(s, 24, 1);
	for (size_t i = 0; i < 24; i++)
		itest_ping(&s[i], &s[(i + 7) % 24], 100 + 2 * (uint32_t)i);
	itest_stop(&sw);
}

/* 150 short-lived clients connect and go away (at once, after a frame,
 * or mid-frame with a reset) without waiting for the switch, while A and
 * B keep talking. Under the sanitizer build this exercises the close path
 * for use-after-free; the final itest_stop() checks the log. */
TP_PARAMS(churn_of_short_lived_clients_leaves_the_switch_working)
ParameterizedTest(enum itest_tp *tp, stream,
		  churn_of_short_lived_clients_leaves_the_switch_working)
{
	struct itest_sta s[2], x;
	struct itest_sw sw;
	uint32_t seq = 1000;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	memset(&x, 0, sizeof(x));
	snprintf(x.name, sizeof(x.name), "X");
	for (unsigned int i = 0; i < 150; i++) {
		x.c = ss_client_connect(sw.url, 0);
		cr_assert_not_null(x.c, "X%u: connect: %s", i, strerror(errno));
		ss_mac(x.mac, 100 + i);
		if (i % 3 == 1) {
			itest_send(&x, itest_bcast, 500 + i, 60);
		} else if (i % 3 == 2) {
			ss_frame_build(itest_buf, 1500, itest_bcast, x.mac, 0);
			ss_send_len(x.c, 1500);
			ss_send_raw(x.c, itest_buf, 700);
		}
		if (i % 3 == 2)
			ss_client_abort(x.c);
		else
			ss_client_close(x.c);
		if (i % 10 == 9) {
			itest_send(&s[0], s[1].mac, seq, 100);
			itest_skip_to_seq(&s[1], seq++);
			itest_send(&s[1], s[0].mac, seq, 100);
			itest_skip_to_seq(&s[0], seq++);
		}
	}
	itest_send(&s[0], s[1].mac, seq, 9000);
	itest_skip_to_seq(&s[1], seq);
	itest_stop(&sw);
}

/* A finishes its stream with FIN right after a burst: every frame that
 * arrived before the EOF is still forwarded. */
TP_PARAMS(frames_before_a_half_close_are_still_forwarded)
ParameterizedTest(enum itest_tp *tp, stream,
		  frames_before_a_half_close_are_still_forwarded)
{
	static uint8_t burst[20 * (SS_HDR_LEN + 1000)];
	struct itest_sta s[2];
	struct itest_sw sw;
	size_t off = 0;
	int ret;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 2);
	for (uint32_t i = 0; i < 20; i++) {
		burst[off++] = 0;
		burst[off++] = 0;
		burst[off++] = 1000 >> 8;
		burst[off++] = 1000 & 0xff;
		off += ss_frame_build(burst + off, 1000, itest_bcast, s[0].mac,
				      i);
	}
	ret = ss_send_raw(s[0].c, burst, off);
	cr_assert_eq(ret, 0, "A: send: %s", strerror(-ret));
	cr_assert_eq(shutdown(s[0].c->fd, SHUT_WR), 0);
	for (uint32_t i = 0; i < 20; i++)
		itest_expect(&s[1], itest_bcast, &s[0], i, 1000);
	itest_expect_closed(&sw, &s[0], NULL, 0);
	itest_stop(&sw);
}

static long long stat_wait(struct itest_sw *sw, int port, const char *key,
			   long long want)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	long long v;

	do {
		v = itest_stat(sw, port, key);
	} while (v != want && ss_now_ms() < deadline);
	return v;
}

/*
 * A sends 1200 frames of 9000 bytes (10.8 MB) to B, which reads nothing
 * until the switch has taken them all in. More than B's queue and socket
 * buffers hold, so some are dropped. Every frame must then either reach B
 * whole and in order, or be counted in B's drop_tx_queue_full: never torn,
 * duplicated or lost without a count.
 */
TP_PARAMS(frames_under_backpressure_arrive_whole_or_are_counted)
ParameterizedTest(enum itest_tp *tp, stream,
		  frames_under_backpressure_arrive_whole_or_are_counted)
{
	const uint32_t n = 1200;
	struct itest_sta s[2];
	struct itest_sw sw;
	long long base, rx, drops, got = 0;
	int64_t last = -1;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 1);
	itest_join_one(&sw, &s[1], NULL, "B", 2, 4096);
	itest_learn_all(s, 2, 1);
	base = itest_stat(&sw, s[0].port, "rx_frames");
	for (uint32_t i = 0; i < n; i++)
		itest_send(&s[0], s[1].mac, 100 + i, 9000);
	rx = stat_wait(&sw, s[0].port, "rx_frames", base + n);
	cr_assert_eq(rx, base + n, "the switch should read all of A's frames");
	drops = itest_stat(&sw, s[1].port, "drop_tx_queue_full");
	cr_assert_gt(drops, 0,
		     "10.8 MB should overflow B's queue and socket buffers");

	for (long long i = 0; i < (long long)n - drops; i++) {
		const uint8_t *f;
		size_t len;
		int64_t seq;
		int ret = ss_recv_frame(s[1].c, &f, &len, SS_TIMEOUT_MS);

		cr_assert_eq(ret, 0,
			     "B: got %lld of %lld frames (%lld dropped): %s",
			     got, (long long)n - drops, drops, strerror(-ret));
		seq = ss_frame_seq(f, len);
		cr_assert(seq > last && seq >= 100 && seq < 100 + n,
			  "B: frame %lld after %lld: duplicated or reordered",
			  (long long)seq, (long long)last);
		cr_assert(len == 9000 &&
				  ss_frame_check(f, len, s[1].mac, s[0].mac,
						 (uint32_t)seq),
			  "B: frame %lld is torn or corrupted (%zu bytes)",
			  (long long)seq, len);
		last = seq;
		got++;
	}
	/* Nothing more was queued for B: the next frame is this marker. */
	itest_send(&s[0], s[1].mac, 9999, 60);
	itest_expect(&s[1], s[1].mac, &s[0], 9999, 60);
	cr_log_info("%s: %lld delivered, %lld dropped", itest_tp_name(*tp), got,
		    drops);
	itest_stop(&sw);
}

/*
 * S connects with a tiny receive buffer and never reads. A floods 16 MB
 * of broadcast while B and C keep reading; every 32 frames B sends C a
 * unicast probe that must arrive quickly. The switch must drop S's excess
 * and count it, not block on S.
 */
#define FLOOD_BYTES (16u << 20)
#define FLOOD_FRAME 1500
#define PROBE_EVERY 32
#define PROBE_MAX_MS 2000

static void flood_probe(struct itest_sta *b, struct itest_sta *c, uint32_t seq,
			int64_t *worst)
{
	int64_t t0 = ss_now_ms(), dt;

	itest_send(b, c->mac, seq, 80);
	itest_skip_to_seq(c, seq);
	dt = ss_now_ms() - t0;
	if (dt > *worst)
		*worst = dt;
	ss_drain(b->c);
}

TP_PARAMS(client_that_stops_reading_does_not_stall_others)
ParameterizedTest(enum itest_tp *tp, stream,
		  client_that_stops_reading_does_not_stall_others)
{
	struct itest_sta s[4], *a = &s[0], *b = &s[1], *c = &s[2], *st = &s[3];
	int64_t t0, total, worst = 0;
	struct itest_sw sw;
	uint32_t nframes = FLOOD_BYTES / FLOOD_FRAME, seq = 1000000;
	char line[2048], needle[32];
	long long drops;

	start(&sw, tp, NULL);
	itest_join(&sw, s, 3);
	itest_join_one(&sw, st, NULL, "S", 9, 4096);
	/* S is known to the switch, then never reads again. */
	itest_send(st, itest_bcast, 1, 60);
	for (size_t i = 0; i < 3; i++)
		itest_expect(&s[i], itest_bcast, st, 1, 60);
	itest_learn_all(s, 3, 2);

	t0 = ss_now_ms();
	for (uint32_t i = 0; i < nframes; i++) {
		itest_send(a, itest_bcast, i + 10, FLOOD_FRAME);
		if (i % PROBE_EVERY == PROBE_EVERY - 1)
			flood_probe(b, c, seq++, &worst);
	}
	flood_probe(b, c, seq++, &worst);
	total = ss_now_ms() - t0;
	cr_log_info("%s: %u frames in %lld ms, worst probe %lld ms",
		    itest_tp_name(*tp), nframes, (long long)total,
		    (long long)worst);
	cr_assert_lt(worst, PROBE_MAX_MS,
		     "B->C unicast took %lld ms during the flood",
		     (long long)worst);
	cr_assert_lt(total, 60000, "flood of %u frames took %lld ms", nframes,
		     (long long)total);
	/* A's last frames may still be in flight: skip, don't expect. */
	itest_send(c, b->mac, seq, 80);
	itest_skip_to_seq(b, seq);

	drops = itest_stat(&sw, st->port, "drop_tx_queue_full");
	cr_assert_gt(drops, 0, "S never read: drop_tx_queue_full=%lld", drops);
	ss_client_close(st->c);
	st->c = NULL;
	itest_wait_closed_log(&sw, st, NULL, 0);
	/* The counters at close come as a `final port=N ...' line. */
	snprintf(needle, sizeof(needle), "final port=%d ", st->port);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &st->logpos, needle, line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "no `%s...' line after the close", needle);
	cr_assert(ss_log_value(line, "drop_tx_queue_full", &drops) && drops > 0,
		  "final counters should report the drops: `%s'", line);
	itest_stop(&sw);
}

TP_PARAMS(hub_mode_floods_known_unicast)
ParameterizedTest(enum itest_tp *tp, stream, hub_mode_floods_known_unicast)
{
	static const char *const extra[] = { "--hub", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;

	start(&sw, tp, extra);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	itest_send(&s[0], s[1].mac, 10, 100);
	itest_expect(&s[1], s[1].mac, &s[0], 10, 100);
	itest_expect(&s[2], s[1].mac, &s[0], 10, 100);
	/* Still never back to the sender. */
	itest_send(&s[1], itest_bcast, 11, 60);
	itest_expect_seq(&s[0], 11);
	itest_stop(&sw);
}

/* One daemon, several listeners: frames cross transports. */
Test(stream, frames_cross_between_listeners_of_different_transports)
{
	const char *args[] = { "--listen", "unix:@DIR@/sw.sock",
			       "--listen", "tcp:127.0.0.1:0",
			       "--listen", "tcp:[::1]:0",
			       NULL };
	struct itest_sta s[3];
	struct itest_sw sw = { .tp = TP_UNIX };
	const char *url6;

	if (!itest_have_ipv6())
		args[4] = NULL;
	sw.d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(sw.d, "cannot start the daemon: %s",
			   strerror(errno));
	if (!sw.d->ready)
		itest_dump_log(sw.d);
	cr_assert(sw.d->ready);
	cr_assert_eq(sw.d->nurl, args[4] ? 3u : 2u,
		     "one `listening on' line per --listen");
	url6 = args[4] ? ss_daemon_url(sw.d, "tcp:[") : NULL;
	itest_join_one(&sw, &s[0], ss_daemon_url(sw.d, "unix:"), "U", 1, 0);
	itest_join_one(&sw, &s[1], ss_daemon_url(sw.d, "tcp:127.0.0.1:"), "T",
		       2, 0);
	itest_join_one(&sw, &s[2], url6 ? url6 : ss_daemon_url(sw.d, "unix:"),
		       "V", 3, 0);
	itest_learn_all(s, 3, 1);
	itest_ping(&s[0], &s[1], 10);
	itest_ping(&s[1], &s[2], 12);
	itest_ping(&s[2], &s[0], 14);
	itest_send(&s[0], s[1].mac, 20, 9000);
	itest_expect(&s[1], s[1].mac, &s[0], 20, 9000);
	itest_send(&s[1], itest_bcast, 21, 60);
	itest_expect_seq(&s[2], 21);
	itest_stop(&sw);
}
