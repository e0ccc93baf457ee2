// SPDX-License-Identifier: MIT
/*
 * test_dgram.c - udp: and unixgram: listeners, real daemon, real sockets
 *
 * Datagram clients behave like QEMU's -netdev dgram: a bound, unconnected
 * socket, one raw frame per datagram. Each joins by sending one frame to
 * its own MAC (the switch learns it and drops the frame as rx_local, so
 * nobody else sees it), which makes the switch create its port.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "itest.h"

TestSuite(dgram, .fini = ss_cleanup, .timeout = 90);

/* The daemon with a unix stream, a UDP and a unixgram listener. */
static void start_mixed(struct itest_sw *sw, const char *const *more)
{
	const char *extra[24] = { "--listen", "udp:127.0.0.1:0", "--listen",
				  "unixgram:@DIR@/dg.sock" };
	size_t n = 4;

	for (; more && *more && n < 23; more++)
		extra[n++] = *more;
	extra[n] = NULL;
	itest_start(sw, TP_UNIX, extra);
}

static const char *dgram_url(struct itest_sw *sw, const char *prefix)
{
	const char *url = ss_daemon_url(sw->d, prefix);

	cr_assert_not_null(url, "no `listening on %s...' line", prefix);
	if (!strcmp(prefix, "udp:"))
		cr_assert(atoi(strrchr(url, ':') + 1) > 0,
			  "`%s': the real UDP port should be printed", url);
	return url;
}

/* Local path for unixgram client @name in the daemon's directory. */
static void client_path(struct itest_sw *sw, const char *name, char *out,
			size_t len)
{
	snprintf(out, len, "%s/%s.sock", sw->d->dir, name);
}

/*
 * The daemon with every listener kind and three stations on it: A on the
 * unix stream, B on UDP, C on the unixgram listener (at DIR/c.sock).
 */
static void start_abc(struct itest_sw *sw, struct itest_sta *s,
		      const char *const *more)
{
	char path[300];

	start_mixed(sw, more);
	itest_join_one(sw, &s[0], NULL, "A", 1, 0);
	itest_join_dgram(sw, &s[1], dgram_url(sw, "udp:"), NULL, "B", 2);
	client_path(sw, "c", path, sizeof(path));
	itest_join_dgram(sw, &s[2], dgram_url(sw, "unixgram:"), path, "C", 3);
}

/* Unicast between every pair, both ways; nobody else sees any of it. */
static void ping_all_pairs(struct itest_sta *s, size_t n, uint32_t seq)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++, seq += 2)
			itest_ping(&s[i], &s[j], seq);
	itest_expect_quiet(s, n, 200);
}

static void wait_log_after(struct itest_sw *sw, size_t *pos, const char *needle)
{
	int ret =
		ss_daemon_wait_log(sw->d, pos, needle, NULL, 0, SS_TIMEOUT_MS);

	if (ret < 0)
		itest_dump_log(sw->d);
	cr_assert_eq(ret, 0, "no log line with `%s'", needle);
}

Test(dgram, stream_udp_unixgram_clients_share_one_lan)
{
	struct itest_sta s[4];
	struct itest_sw sw;

	start_abc(&sw, s, NULL);
	/* A second UDP client: two ports behind one socket. */
	itest_join_dgram(&sw, &s[3], dgram_url(&sw, "udp:"), NULL, "D", 4);
	cr_assert(s[1].port != s[3].port, "two UDP peers need two ports");
	itest_expect_quiet(s, 4, 200);

	itest_learn_all(s, 4, 1);
	ping_all_pairs(s, 4, 100);
	/* Large frames cross every transport too. */
	itest_flood(s, 4, 2, 200, 9000);
	cr_assert_eq(itest_stat(&sw, s[2].port, "tx_frames"), 6,
		     "C: 3 broadcasts and 3 unicasts to it");
	itest_stop(&sw);
}

Test(dgram, udp_over_ipv6)
{
	static const char *const more[] = { "--listen", "udp:[::1]:0", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;

	itest_skip_unavailable(TP_TCP6);
	start_mixed(&sw, more);
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	itest_join_dgram(&sw, &s[1], dgram_url(&sw, "udp:["), NULL, "B", 2);
	itest_join_dgram(&sw, &s[2], dgram_url(&sw, "udp:1"), NULL, "C", 3);
	itest_learn_all(s, 3, 1);
	ping_all_pairs(s, 3, 10);
	itest_stop(&sw);
}

/* Empty and oversize datagrams are counted and dropped; nothing else
 * changes. */
Test(dgram, empty_and_oversize_datagrams_are_counted)
{
	static const char *const more[] = { "--max-frame", "1518", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	uint8_t big[2000];

	start_abc(&sw, s, more);
	itest_learn_all(s, 3, 1);

	for (int i = 1; i <= 2; i++) {
		ss_frame_build(big, sizeof(big), itest_bcast, s[i].mac, 50);
		cr_assert_eq(ss_send_raw(s[i].c, "", 0), 0,
			     "%s: empty datagram", s[i].name);
		cr_assert_eq(ss_send_raw(s[i].c, big, sizeof(big)), 0,
			     "%s: 2000-byte datagram", s[i].name);
		cr_assert_eq(ss_send_raw(s[i].c, "", 0), 0,
			     "%s: empty datagram", s[i].name);
	}
	ping_all_pairs(s, 3, 100);
	for (int i = 1; i <= 2; i++) {
		cr_assert_eq(itest_stat(&sw, s[i].port, "drop_rx_runt"), 2,
			     "%s: two empty datagrams", s[i].name);
		cr_assert_eq(itest_stat(&sw, s[i].port, "drop_rx_oversize"), 1,
			     "%s: one datagram above --max-frame", s[i].name);
	}
	/* An empty datagram from an unknown peer makes no port. */
	{
		struct ss_client *c =
			ss_dgram_open(dgram_url(&sw, "udp:"), NULL, 0);

		cr_assert_not_null(c);
		cr_assert_eq(ss_send_raw(c, "", 0), 0);
		wait_log_after(&sw, &s[2].logpos, "empty datagram");
		ss_client_close(c);
	}
	ping_all_pairs(s, 3, 200);
	itest_stop(&sw);
}

/*
 * A unixgram peer that never reads: its socket holds ~10 datagrams, then
 * its bounded queue fills and drops are counted; the others keep talking.
 */
Test(dgram, unixgram_peer_that_never_reads)
{
	static const char *const more[] = { "--tx-queue-frames", "16", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	long long full;

	start_abc(&sw, s, more);
	/* C (never reading from now on) announces its MAC. */
	itest_flood(s, 3, 2, 1, 64);

	for (uint32_t i = 0; i < 200; i++) {
		/* Broadcasts from A reach B (and fill C); unicasts B<->A. */
		itest_send(&s[0], itest_bcast, 1000 + i, 200);
		itest_expect(&s[1], itest_bcast, &s[0], 1000 + i, 200);
		if (i % 20 == 0) {
			itest_ping(&s[1], &s[0], 5000 + i * 2);
			itest_send(&s[1], s[2].mac, 9000 + i, 100);
		}
	}
	full = itest_stat(&sw, s[2].port, "drop_tx_queue_full");
	cr_assert_gt(full, 100, "C's queue should overflow (drops: %lld)",
		     full);
	cr_assert_eq(itest_stat(&sw, s[1].port, "drop_tx_queue_full"), 0);
	cr_assert_eq(itest_stat(&sw, s[0].port, "drop_tx_queue_full"), 0);
	/* C reads again: its socket held the oldest frames, then the switch
	 * writes what its queue kept, in order. */
	itest_expect_seq(&s[2], 1000);
	itest_skip_to_seq(&s[2], 1020);
	itest_stop(&sw);
}

Test(dgram, idle_ports_expire)
{
	static const char *const more[] = { "--dgram-idle", "1", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	char line[2048];

	start_abc(&sw, s, more);
	itest_wait_closed_log(&sw, &s[1], line, sizeof(line));
	cr_assert_not_null(strstr(line, "idle"), "B: `%s'", line);
	itest_wait_closed_log(&sw, &s[2], line, sizeof(line));
	cr_assert_not_null(strstr(line, "idle"), "C: `%s'", line);
	/* The stream port does not expire; B comes back as a new port. */
	sw.pos = ss_daemon_log_end(sw.d);
	{
		struct ss_client *old = s[1].c;
		int lport = ss_local_port(old);
		char peer[32];

		snprintf(peer, sizeof(peer), ":%d)", lport);
		itest_send(&s[1], s[1].mac, 7, 60);
		wait_log_after(&sw, &sw.pos, peer);
	}
	itest_unicast(&s[1], &s[0], 8, 80);
	itest_stop(&sw);
}

/* A guest that restarts binds its path again: the same port, working. */
Test(dgram, unixgram_guest_rebinds_its_path)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char path[300];
	int port;

	start_mixed(&sw, NULL);
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	client_path(&sw, "c", path, sizeof(path));
	itest_join_dgram(&sw, &s[1], dgram_url(&sw, "unixgram:"), path, "C", 2);
	port = s[1].port;
	itest_learn_all(s, 2, 1);
	itest_ping(&s[0], &s[1], 10);

	/* 1: C restarts at once; the switch's socket to it is stale. */
	ss_client_close(s[1].c);
	s[1].c = ss_dgram_open(dgram_url(&sw, "unixgram:"), path, 0);
	cr_assert_not_null(s[1].c, "reopen %s: %s", path, strerror(errno));
	itest_unicast(&s[0], &s[1], 20, 100);
	itest_unicast(&s[1], &s[0], 21, 100);

	/* 2: C is gone for a while; frames to it are dropped, counted. */
	ss_client_close(s[1].c);
	s[1].c = NULL;
	itest_send(&s[0], s[1].mac, 30, 100);
	wait_log_after(&sw, &s[1].logpos, "peer's socket is gone");
	cr_assert_eq(itest_stat(&sw, port, "drop_tx_closed"), 1,
		     "frame 30 should be counted as dropped");
	s[1].c = ss_dgram_open(dgram_url(&sw, "unixgram:"), path, 0);
	cr_assert_not_null(s[1].c, "reopen %s: %s", path, strerror(errno));
	itest_unicast(&s[1], &s[0], 31, 100);
	wait_log_after(&sw, &s[1].logpos, "peer is back");
	itest_unicast(&s[0], &s[1], 32, 100);
	cr_assert_eq(itest_stat(&sw, port, "tx_frames"), 4,
		     "C's port %d carried frames 11, 20, 32 and the broadcast",
		     port);
	itest_stop(&sw);
}

/* Datagram peers count against --max-ports; extra ones are refused, logged,
 * and the attached ports keep working. */
Test(dgram, max_ports_bounds_datagram_peers)
{
	static const char *const more[] = { "--max-ports", "2", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_client *c;
	char line[1024];
	int ret;

	start_mixed(&sw, more);
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	itest_join_dgram(&sw, &s[1], dgram_url(&sw, "udp:"), NULL, "B", 2);
	c = ss_dgram_open(dgram_url(&sw, "udp:"), NULL, 0);
	cr_assert_not_null(c, "third UDP client: %s", strerror(errno));
	ss_frame_build(itest_buf, 64, itest_bcast,
		       (const uint8_t[]){ 2, 0, 0, 0, 0, 9 }, 5);
	cr_assert_eq(ss_send_raw(c, itest_buf, 64), 0);
	ret = ss_daemon_wait_log(sw.d, NULL, "refusing", line, sizeof(line),
				 SS_TIMEOUT_MS);
	cr_assert_eq(ret, 0, "the refusal should be logged");
	cr_assert_not_null(strstr(line, "max-ports"),
			   "the refusal should name the limit: `%s'", line);
	itest_expect_quiet(s, 2, 200);
	itest_ping(&s[0], &s[1], 10);
	ss_client_close(c);
	itest_stop(&sw);
}

/* A unix client that did not bind a path cannot be answered: dropped,
 * logged, no port. */
Test(dgram, unbound_unix_sender_is_ignored)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct itest_sta s[2];
	struct itest_sw sw;
	char path[300];
	int fd;

	start_mixed(&sw, NULL);
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	client_path(&sw, "b", path, sizeof(path));
	itest_join_dgram(&sw, &s[1], dgram_url(&sw, "unixgram:"), path, "B", 2);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
		 dgram_url(&sw, "unixgram:") + 9);
	ss_frame_build(itest_buf, 64, itest_bcast,
		       (const uint8_t[]){ 2, 0, 0, 0, 0, 9 }, 5);
	cr_assert_eq(sendto(fd, itest_buf, 64, 0, (struct sockaddr *)&sa,
			    sizeof(sa)),
		     64, "sendto: %s", strerror(errno));
	close(fd);
	wait_log_after(&sw, &s[1].logpos, "unbound socket");
	itest_expect_quiet(s, 2, 200);
	itest_ping(&s[0], &s[1], 10);
	itest_stop(&sw);
}

/* A frame longer than a UDP datagram can carry (65,507 bytes) is dropped
 * for UDP ports only, with a log line; a unix datagram carries it. */
Test(dgram, frame_too_long_for_udp)
{
	struct itest_sta s[3];
	struct itest_sw sw;

	start_abc(&sw, s, NULL);
	itest_learn_all(s, 3, 1);
	itest_send(&s[0], itest_bcast, 10, 65550);
	itest_expect(&s[2], itest_bcast, &s[0], 10, 65550);
	wait_log_after(&sw, &s[2].logpos, "too long for one datagram");
	/* Counted on the UDP port it could not be sent to, under its own
	 * reason, not as a receive drop anywhere. */
	cr_assert_eq(itest_stat(&sw, s[1].port, "drop_tx_too_big"), 1);
	cr_assert_eq(itest_stat(&sw, s[0].port, "drop_rx_runt"), 0);
	cr_assert_eq(itest_stat(&sw, s[0].port, "drop_rx_oversize"), 0);
	itest_flood(s, 3, 0, 11, 1514);
	ping_all_pairs(s, 3, 20);
	itest_stop(&sw);
}

/*
 * A UDP peer that never reads: the frames the switch sends it are lost in
 * that peer's own socket buffer (its kernel counts them as UDP
 * RcvbufErrors; the switch cannot see that), so the switch's shared UDP
 * socket never backs up: it counts every frame as sent, and another UDP
 * peer and the other ports get everything, in order.
 */
Test(dgram, udp_peer_that_never_reads)
{
	static const char *const more[] = { "--max-frame", "1518", NULL };
	const uint32_t total = 3000;
	struct itest_sta s[4];
	struct itest_sw sw;
	int small = 4096;
	size_t got;

	start_abc(&sw, s, more);
	itest_join_dgram(&sw, &s[3], dgram_url(&sw, "udp:"), NULL, "D", 4);
	cr_assert_eq(setsockopt(s[3].c->fd, SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)),
		     0);
	itest_learn_all(s, 4, 1);
	/* D reads nothing from now on. */
	for (uint32_t i = 0; i < total; i++) {
		itest_send(&s[0], itest_bcast, 100 + i, 1000);
		itest_expect(&s[1], itest_bcast, &s[0], 100 + i, 1000);
		itest_expect(&s[2], itest_bcast, &s[0], 100 + i, 1000);
	}
	itest_ping(&s[1], &s[2], 10000);
	itest_ping(&s[0], &s[1], 10002);
	cr_assert_eq(itest_stat(&sw, s[3].port, "tx_frames"), 3 + total,
		     "D: the switch sent it everything");
	cr_assert_eq(itest_stat(&sw, s[3].port, "drop_tx_queue_full"), 0);
	got = ss_drain(s[3].c);
	cr_assert_lt(got, total, "D's kernel should have dropped frames");
	/* D reads again: the next frames reach it. */
	itest_unicast(&s[0], &s[3], 20000, 100);
	itest_stop(&sw);
}

/* A line of the SIGUSR1 stats dump that contains @needle. */
static void stats_line(struct itest_sw *sw, const char *needle, char *line,
		       size_t len)
{
	size_t pos = ss_daemon_log_end(sw->d);

	kill(sw->d->pid, SIGUSR1);
	cr_assert_eq(ss_daemon_wait_log(sw->d, &pos, needle, line, len,
					SS_TIMEOUT_MS),
		     0, "no `%s' line after SIGUSR1", needle);
}

/*
 * Datagrams from 50 UDP source ports (as a forger would send, one each)
 * take only the udp: listener's share of --max-ports 8 (half: 4 ports);
 * the other 46 are refused, counted and logged in one line, and stream
 * guests and a unixgram guest still attach and talk.
 */
Test(dgram, udp_source_spray_takes_only_its_share_of_ports)
{
	static const char *const more[] = { "--max-ports", "8", NULL };
	struct ss_client *spray[50];
	struct itest_sta s[3];
	struct itest_sw sw;
	char line[1024], path[300];
	long long v = -1;
	size_t pos;

	start_mixed(&sw, more);
	pos = ss_daemon_log_end(sw.d);
	for (unsigned i = 0; i < 50; i++) {
		uint8_t mac[SS_MAC_LEN];

		spray[i] = ss_dgram_open(dgram_url(&sw, "udp:"), NULL, 0);
		cr_assert_not_null(spray[i], "spray %u: %s", i,
				   strerror(errno));
		ss_mac(mac, 100 + i);
		ss_frame_build(itest_buf, 64, mac, mac, i);
		cr_assert_eq(ss_send_raw(spray[i], itest_buf, 64), 0);
	}
	wait_log_after(&sw, &pos, "holds its share of 4 port(s)");
	/* Every datagram was read: the count settles at 46. */
	for (int tries = 0; tries < 50; tries++) {
		stats_line(&sw, "stats listener=udp:", line, sizeof(line));
		cr_assert(ss_log_value(line, "refused", &v), "`%s'", line);
		if (v == 46)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(v, 46, "46 sources refused: `%s'", line);
	cr_assert(ss_log_value(line, "ports", &v) && v == 4, "`%s'", line);
	cr_assert(ss_log_value(line, "max_ports", &v) && v == 4, "`%s'", line);
	{
		/* One log line for the lot, not one per datagram. */
		char *log = ss_daemon_log(sw.d);
		size_t n = 0;

		for (char *p = log; (p = strstr(p, "refusing udp")); p++)
			n++;
		free(log);
		cr_assert_leq(n, 1, "%zu refusal lines for 46 refusals", n);
	}

	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	itest_join_one(&sw, &s[1], NULL, "B", 2, 0);
	client_path(&sw, "c", path, sizeof(path));
	itest_join_dgram(&sw, &s[2], dgram_url(&sw, "unixgram:"), path, "C", 3);
	itest_learn_all(s, 3, 1);
	ping_all_pairs(s, 3, 10);
	for (unsigned i = 0; i < 50; i++)
		ss_client_close(spray[i]);
	itest_stop(&sw);
}
