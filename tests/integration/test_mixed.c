// SPDX-License-Identifier: MIT
/*
 * test_mixed.c - every kind of peer on one running sockswitch
 *
 * One daemon listens on a unix stream socket, udp:127.0.0.1:0,
 * unixgram:PATH and vde:DIR at once. Its stations are a stream client, a
 * UDP client, a unix datagram client (ssclient), Debian's real
 * `vde_plug vde:///DIR' and sockswitch-plug attached through the daemon's
 * own datagram and VDE listeners. Processes are pipe clients (ssclient):
 * killed by their recorded pid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "iproc.h"
#include "itest.h"

TestSuite(mixed, .fini = ss_cleanup, .timeout = 120);

#define QUIET_MS 300 /* how long a station must see nothing */

/* The daemon with all four listener kinds. */
static void start_all(struct itest_sw *sw)
{
	static const char *const extra[] = {
		"--listen", "udp:127.0.0.1:0",
		"--listen", "unixgram:@DIR@/dg.sock",
		"--listen", "vde:@DIR@/vde",
		NULL
	};

	itest_start(sw, TP_UNIX, extra);
}

static const char *url_of(struct itest_sw *sw, const char *prefix)
{
	const char *url = ss_daemon_url(sw->d, prefix);

	cr_assert_not_null(url, "no `listening on %s...' line", prefix);
	return url;
}

/*
 * Unicast @from -> @to: it arrives at @to, and no other of the @n
 * stations sees anything.
 */
static void unicast_only(struct itest_sta *s, size_t n, size_t from, size_t to,
			 uint32_t seq)
{
	itest_send(&s[from], s[to].mac, seq, 100);
	itest_expect(&s[to], s[to].mac, &s[from], seq, 100);
	for (size_t k = 0; k < n; k++)
		if (k != from && k != to)
			itest_expect_quiet(&s[k], 1, QUIET_MS);
}

/* Every ordered pair of @n stations: n * (n - 1) directions. */
static void unicast_every_direction(struct itest_sta *s, size_t n, uint32_t seq)
{
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			if (a != b)
				unicast_only(s, n, a, b, seq++);
}

/*
 * A stream client, a UDP client, a unixgram client and a real vde_plug on
 * one switch at once: broadcasts reach all three others, learned unicasts
 * only their destination, in all 12 directions.
 */
Test(mixed, stream_udp_unixgram_and_vde_plug_on_one_switch)
{
	struct itest_sta s[4];
	struct itest_sw sw;
	char path[300], vurl[300];

	if (!iproc_have("vde_plug"))
		cr_skip_test(
			"vde_plug (Debian package vdeplug) is not installed");
	start_all(&sw);
	itest_join_one(&sw, &s[0], NULL, "stream", 1, 0);
	itest_join_dgram(&sw, &s[1], url_of(&sw, "udp:"), NULL, "udp", 2);
	snprintf(path, sizeof(path), "%s/c.sock", sw.d->dir);
	itest_join_dgram(&sw, &s[2], url_of(&sw, "unixgram:"), path, "ugram",
			 3);
	snprintf(vurl, sizeof(vurl), "vde://%s", url_of(&sw, "vde:") + 4);
	{
		const char *argv[] = { "vde_plug", vurl, NULL };

		itest_join_pipe(&sw, &s[3], argv, 2, NULL, "vdeplug", 4);
	}
	cr_assert_eq(strncmp(vurl, "vde:///", 7), 0, "`%s'", vurl);
	/* The join frames went to their senders' own MACs: nobody saw any. */
	itest_expect_quiet(s, 4, QUIET_MS);

	itest_learn_all(s, 4, 1);
	itest_expect_quiet(s, 4, QUIET_MS);
	unicast_every_direction(s, 4, 100);
	/* Full-size frames too, each kind to the next. */
	for (size_t a = 0; a < 4; a++) {
		itest_send(&s[a], s[(a + 1) % 4].mac, 200 + (uint32_t)a, 1514);
		itest_expect(&s[(a + 1) % 4], s[(a + 1) % 4].mac, &s[a],
			     200 + (uint32_t)a, 1514);
	}
	itest_expect_quiet(s, 4, QUIET_MS);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(itest_stat(&sw, s[i].port, "tx_frames"), 3 + 3 + 1,
			     "%s: 3 broadcasts, 3 unicasts, 1 big frame",
			     s[i].name);
	ss_client_close(s[3].c);
	itest_stop(&sw);
}

/* Start a daemon on fixed addresses (for a restart); the stream URL first. */
static void start_fixed(struct itest_sw *sw, const char *stream,
			const char *udp, const char *ugram)
{
	const char *args[] = { "--listen", stream, "--listen", udp,
			       "--listen", ugram,  NULL };

	memset(sw, 0, sizeof(*sw));
	sw->tp = TP_UNIX;
	sw->d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert(sw->d && sw->d->ready, "the daemon did not start");
	sw->url = stream;
}

/*
 * The reason datagram guests exist: a unixgram and a UDP client keep their
 * sockets while the switch is stopped and started again on the same
 * addresses, and their frames flow again without reopening anything
 * (only the stream client has to connect again).
 */
Test(mixed, datagram_guests_survive_a_switch_restart)
{
	char dir[256], stream[300], ugram[300], udp[64], path[300];
	struct itest_sta s[3];
	struct itest_sw sw;
	const char *t = ss_tmpdir();
	struct ss_client *b, *c;

	cr_assert_not_null(t);
	snprintf(dir, sizeof(dir), "%s", t);
	snprintf(stream, sizeof(stream), "unix:%s/sw.sock", dir);
	snprintf(ugram, sizeof(ugram), "unixgram:%s/dg.sock", dir);
	snprintf(path, sizeof(path), "%s/c.sock", dir);
	start_fixed(&sw, stream, "udp:127.0.0.1:0", ugram);
	/* Same UDP port next time. */
	snprintf(udp, sizeof(udp), "%s", url_of(&sw, "udp:"));
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	itest_join_dgram(&sw, &s[1], udp, NULL, "udp", 2);
	itest_join_dgram(&sw, &s[2], ugram, path, "ugram", 3);
	b = s[1].c;
	c = s[2].c;
	itest_learn_all(s, 3, 1);
	unicast_every_direction(s, 3, 10);
	itest_stop(&sw);

	/* While the switch is down the guests keep sending into the void
	 * (a unix send fails, a UDP one is lost): no harm done. */
	itest_send(&s[1], s[0].mac, 20, 100);
	ss_frame_build(itest_buf, 100, s[0].mac, s[2].mac, 21);
	cr_assert_neq(ss_send_raw(c, itest_buf, 100), 0,
		      "nobody is bound at %s", ugram + 9);

	start_fixed(&sw, stream, udp, ugram);
	cr_assert_str_eq(url_of(&sw, "udp:"), udp);
	ss_client_close(s[0].c);
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	/* The datagram guests' next frames make their ports again. */
	sw.pos = 0;
	itest_send(&s[1], itest_bcast, 30, 64);
	itest_expect(&s[0], itest_bcast, &s[1], 30, 64);
	itest_flood(s, 3, 2, 31, 64);
	itest_flood(s, 3, 0, 32, 64);
	cr_assert(s[1].c == b && s[2].c == c, "the guests kept their sockets");
	unicast_every_direction(s, 3, 40);
	itest_stop(&sw);
}

static const char *plug_bin(void)
{
	const char *b = getenv("SOCKSWITCH_PLUG_BIN");

	cr_assert(b && *b, "SOCKSWITCH_PLUG_BIN is not set");
	return b;
}

/*
 * sockswitch-plug SWITCH - with SWITCH each of the daemon's own
 * unixgram:, udp: and vde: listeners, all at once next to a stream client:
 * every frame crosses, in every direction.
 */
Test(mixed, sockswitch_plug_on_the_daemons_own_listeners)
{
	struct itest_sta s[4];
	struct itest_sw sw;
	const char *kinds[] = { "unixgram:", "udp:", "vde:" };
	const char *peers[] = { "connected on unixgram:", "connected on udp:",
				NULL };

	start_all(&sw);
	itest_join_one(&sw, &s[0], NULL, "stream", 1, 0);
	for (size_t i = 0; i < 3; i++) {
		const char *argv[] = { plug_bin(), url_of(&sw, kinds[i]), "-",
				       NULL };
		char name[8];

		snprintf(name, sizeof(name), "p%.5s", kinds[i]);
		itest_join_pipe(&sw, &s[i + 1], argv, 4, peers[i], name,
				(unsigned int)i + 2);
	}
	itest_expect_quiet(s, 4, QUIET_MS);
	itest_learn_all(s, 4, 1);
	unicast_every_direction(s, 4, 100);
	/* A frame as big as a VDE side takes (9234) crosses every plug. */
	itest_send(&s[0], itest_bcast, 200, 9234);
	for (size_t i = 1; i < 4; i++)
		itest_expect(&s[i], itest_bcast, &s[0], 200, 9234);
	for (size_t i = 1; i < 4; i++)
		ss_client_close(s[i].c);
	itest_stop(&sw);
}
