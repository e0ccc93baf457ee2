// SPDX-License-Identifier: MIT
/*
 * itest.c - shared helpers for the Criterion integration tests
 *
 * Thin asserting wrappers over ssclient: start a daemon on a transport,
 * attach stations one at a time (waiting for each `connected' log line,
 * so no frame is sent before the switch has the port), send numbered test
 * frames and check, byte for byte, what arrives next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "itest.h"

const uint8_t itest_bcast[SS_MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
uint8_t itest_buf[SS_FRAME_LIMIT];

/**
 * itest_tp_name() - transport name for messages
 * @tp:		transport
 *
 * Return: static string
 */
const char *itest_tp_name(enum itest_tp tp)
{
	static const char *const names[] = { "unix", "tcp4", "tcp6" };

	return names[tp];
}

/**
 * itest_have_ipv6() - can we bind a TCP socket to [::1]?
 *
 * Return: true if IPv6 loopback works here
 */
bool itest_have_ipv6(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/**
 * itest_skip_unavailable() - skip the test if @tp cannot work here
 * @tp:		transport
 */
void itest_skip_unavailable(enum itest_tp tp)
{
	if (tp == TP_TCP6 && !itest_have_ipv6())
		cr_skip_test("IPv6 loopback [::1] is not available here");
}

/**
 * itest_listen_url() - --listen argument for @tp (port 0 = ephemeral)
 * @tp:		transport
 *
 * Return: static string, "@DIR@" stands for the daemon's directory
 */
const char *itest_listen_url(enum itest_tp tp)
{
	static const char *const urls[] = { "unix:@DIR@/sw.sock",
					    "tcp:127.0.0.1:0", "tcp:[::1]:0" };

	return urls[tp];
}

/**
 * itest_dump_log() - copy the daemon's stdout and stderr to our stderr
 * @d:		daemon
 */
void itest_dump_log(const struct ss_daemon *d)
{
	char *log = ss_daemon_log(d);

	fprintf(stderr, "---- sockswitch stderr (%s) ----\n%s----\n",
		d->err_path, log);
	free(log);
}

/**
 * itest_start() - start a daemon listening on @tp and assert it is ready
 * @sw:		filled in
 * @tp:		transport to listen on
 * @extra:	more arguments (NULL-terminated), or NULL
 */
void itest_start(struct itest_sw *sw, enum itest_tp tp,
		 const char *const *extra)
{
	const char *args[40] = { "--listen", itest_listen_url(tp) };
	size_t n = 2;

	for (; extra && *extra && n < 39; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	itest_start_argv(sw, tp, args);
}

/**
 * itest_start_argv() - start a daemon with @args and assert it is ready
 * @sw:		filled in
 * @tp:		transport of the first listener of that kind, for @sw->url
 * @args:	the whole command line after the program (NULL-terminated)
 */
void itest_start_argv(struct itest_sw *sw, enum itest_tp tp,
		      const char *const *args)
{
	static const char *const prefix[] = { "unix:", "tcp:127.0.0.1:",
					      "tcp:[::1]:" };
	const char *port;

	memset(sw, 0, sizeof(*sw));
	sw->tp = tp;
	sw->d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(
		sw->d, "cannot start the daemon (SOCKSWITCH_BIN=%s): %s",
		ss_daemon_bin() ? ss_daemon_bin() : "(unset)", strerror(errno));
	if (!sw->d->ready)
		itest_dump_log(sw->d);
	cr_assert(sw->d->ready,
		  "daemon did not print `ready' (wait status 0x%x)",
		  sw->d->status);
	sw->url = ss_daemon_url(sw->d, prefix[tp]);
	cr_assert_not_null(sw->url, "no `listening on %s...' line on stdout",
			   prefix[tp]);
	if (tp != TP_UNIX) {
		port = strrchr(sw->url, ':');
		cr_assert(port && atoi(port + 1) > 0,
			  "`%s': the real ephemeral port should be printed",
			  sw->url);
	}
}

/**
 * itest_wait_connected() - wait for the `connected' line of station @s
 * @sw:		daemon
 * @s:		station; its port and logpos are set from the line
 * @peer:	text that identifies its line (e.g. ":40001)")
 * @url:	where it attached, for messages
 */
void itest_wait_connected(struct itest_sw *sw, struct itest_sta *s,
			  const char *peer, const char *url)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	char line[1024];
	int ret;

	do {
		int left = (int)(deadline - ss_now_ms());

		ret = ss_daemon_wait_log(sw->d, &sw->pos, LOG_CONNECTED, line,
					 sizeof(line), left > 0 ? left : 0);
		if (ret < 0)
			itest_dump_log(sw->d);
		cr_assert_eq(
			ret, 0,
			"%s: no `%s' log line with `%s' after connecting to %s",
			s->name, LOG_CONNECTED, peer, url);
	} while (!strstr(line, peer));
	s->port = ss_log_port(line);
	s->logpos = sw->pos;
	cr_assert_geq(s->port, 0, "%s: no port number in `%s'", s->name, line);
}

/**
 * itest_join_one() - connect one station and wait until the switch has it
 * @sw:		daemon
 * @s:		station to fill in
 * @url:	where to connect (NULL: @sw->url)
 * @name:	for messages
 * @macn:	station number for ss_mac()
 * @rcvbuf:	SO_RCVBUF, or 0 for the default
 */
void itest_join_one(struct itest_sw *sw, struct itest_sta *s, const char *url,
		    const char *name, unsigned int macn, int rcvbuf)
{
	char peer[32];

	if (!url)
		url = sw->url;
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	ss_mac(s->mac, macn);
	s->c = ss_client_connect(url, rcvbuf);
	cr_assert_not_null(s->c, "%s: connect to %s: %s", name, url,
			   strerror(errno));
	/* Our peer as the switch names it: other processes (a second daemon
	 * probing the socket) may connect meanwhile. */
	if (ss_local_port(s->c) >= 0)
		snprintf(peer, sizeof(peer), ":%d)", ss_local_port(s->c));
	else
		snprintf(peer, sizeof(peer), "pid=%d ", (int)getpid());
	itest_wait_connected(sw, s, peer, url);
}

/**
 * itest_join_dgram() - open a datagram client and wait for its port
 * @sw:		daemon
 * @s:		station to fill in
 * @url:	udp:HOST:PORT or unixgram:PATH of the switch
 * @local:	unixgram: the path the client binds; NULL for udp:
 * @name:	for messages
 * @macn:	station number for ss_mac()
 *
 * The client sends one frame to its own MAC (ITEST_JOIN_SEQ), which makes
 * the switch create its port and learn the MAC; nobody else sees it.
 */
void itest_join_dgram(struct itest_sw *sw, struct itest_sta *s, const char *url,
		      const char *local, const char *name, unsigned int macn)
{
	char peer[300];

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	ss_mac(s->mac, macn);
	s->c = ss_dgram_open(url, local, 0);
	cr_assert_not_null(s->c, "%s: open a datagram client of %s: %s", name,
			   url, strerror(errno));
	if (local)
		snprintf(peer, sizeof(peer), "unixgram %s)", local);
	else
		snprintf(peer, sizeof(peer), ":%d)", ss_local_port(s->c));
	itest_send(s, s->mac, ITEST_JOIN_SEQ, 60);
	itest_wait_connected(sw, s, peer, url);
}

/**
 * itest_join_pipe() - start a framing process as a station, wait for its
 *		       port
 * @sw:		daemon
 * @s:		station to fill in
 * @argv:	the command (vde_plug URL, sockswitch-plug SWITCH -, ...)
 * @hdr:	its stdin/stdout length prefix, 2 or 4 bytes
 * @peer:	text of its `connected' log line; NULL: "pid=PID uid=" of
 *		the process (a VDE client's line)
 * @name:	for messages
 * @macn:	station number for ss_mac()
 *
 * Like itest_join_dgram(), the station first sends a frame to its own MAC,
 * so a datagram switch side gets its port too.
 */
void itest_join_pipe(struct itest_sw *sw, struct itest_sta *s,
		     const char *const *argv, unsigned int hdr,
		     const char *peer, const char *name, unsigned int macn)
{
	char err[300], pidpeer[48];

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	ss_mac(s->mac, macn);
	snprintf(err, sizeof(err), "%s/%s.stderr", sw->d->dir, name);
	s->c = ss_pipe_spawn(argv, hdr, err);
	cr_assert_not_null(s->c, "%s: start %s: %s", name, argv[0],
			   strerror(errno));
	if (!peer) {
		snprintf(pidpeer, sizeof(pidpeer),
			 "pid=%d uid=", (int)s->c->pid);
		peer = pidpeer;
	}
	itest_send(s, s->mac, ITEST_JOIN_SEQ, 60);
	itest_wait_connected(sw, s, peer, argv[0]);
}

/**
 * itest_join() - connect @n stations A, B, C... (MACs 1, 2, 3...)
 * @sw:		daemon
 * @sta:	array of @n stations to fill in
 * @n:		how many
 */
void itest_join(struct itest_sw *sw, struct itest_sta *sta, size_t n)
{
	char name[2] = "A";

	for (size_t i = 0; i < n; i++) {
		name[0] = (char)('A' + i);
		itest_join_one(sw, &sta[i], NULL, name, (unsigned int)i + 1, 0);
	}
}

/**
 * itest_start_learned() - start a daemon, attach @n stations, learn them
 * @sw:		filled in
 * @tp:		transport
 * @extra:	more daemon arguments (NULL-terminated), or NULL
 * @sta:	the stations (named "A", "B", ...)
 * @n:		how many
 *
 * itest_start(), itest_join() and itest_learn_all() from sequence 1: one
 * 64-byte broadcast per station, each read by all the others.
 */
void itest_start_learned(struct itest_sw *sw, enum itest_tp tp,
			 const char *const *extra, struct itest_sta *sta,
			 size_t n)
{
	itest_start(sw, tp, extra);
	itest_join(sw, sta, n);
	itest_learn_all(sta, n, 1);
}

/**
 * itest_send() - send test frame @seq of @len bytes from @from to @dst
 * @from:	sender (its MAC is the source)
 * @dst:	destination MAC
 * @seq:	sequence number
 * @len:	frame length
 */
void itest_send(struct itest_sta *from, const uint8_t *dst, uint32_t seq,
		size_t len)
{
	int ret;

	ss_frame_build(itest_buf, len, dst, from->mac, seq);
	ret = ss_send_frame(from->c, itest_buf, len);
	cr_assert_eq(ret, 0, "%s: sending frame %u (%zu bytes): %s", from->name,
		     seq, len, strerror(-ret));
}

static const char *recv_error(int ret)
{
	switch (ret) {
	case -ETIMEDOUT:
		return "nothing arrived in time";
	case -EPIPE:
		return "the switch closed the connection";
	case -EPROTO:
		return "the switch sent a length above 69632";
	default:
		return strerror(-ret);
	}
}

/**
 * itest_expect() - the next frame @to receives is exactly this one
 * @to:		receiver
 * @dst:	expected destination MAC
 * @from:	expected sender (source MAC)
 * @seq:	expected sequence number
 * @len:	expected length
 */
void itest_expect(struct itest_sta *to, const uint8_t *dst,
		  const struct itest_sta *from, uint32_t seq, size_t len)
{
	const uint8_t *f;
	size_t flen;
	int ret;

	ret = ss_recv_frame(to->c, &f, &flen, SS_TIMEOUT_MS);
	cr_assert_eq(ret, 0, "%s: expected frame %u from %s: %s", to->name, seq,
		     from->name, recv_error(ret));
	cr_assert_eq(flen, len, "%s: frame %u from %s: %zu bytes, expected %zu",
		     to->name, seq, from->name, flen, len);
	cr_assert(
		ss_frame_check(f, flen, dst, from->mac, seq),
		"%s: expected frame %u from %s, got a different one (seq %lld)",
		to->name, seq, from->name, (long long)ss_frame_seq(f, flen));
}

/**
 * itest_expect_seq() - the next frame @to receives carries @seq
 * @to:		receiver
 * @seq:	expected sequence number
 */
void itest_expect_seq(struct itest_sta *to, uint32_t seq)
{
	const uint8_t *f;
	size_t flen;
	int ret;

	ret = ss_recv_frame(to->c, &f, &flen, SS_TIMEOUT_MS);
	cr_assert_eq(ret, 0, "%s: expected frame %u: %s", to->name, seq,
		     recv_error(ret));
	cr_assert_eq(ss_frame_seq(f, flen), (int64_t)seq,
		     "%s: expected frame %u next, got frame %lld (%zu bytes)",
		     to->name, seq, (long long)ss_frame_seq(f, flen), flen);
}

/**
 * itest_skip_to_seq() - receive until frame @seq, ignoring others
 * @to:		receiver
 * @seq:	sequence number to wait for
 */
void itest_skip_to_seq(struct itest_sta *to, uint32_t seq)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	const uint8_t *f;
	size_t flen;
	int ret;

	do {
		int left = (int)(deadline - ss_now_ms());

		ret = ss_recv_frame(to->c, &f, &flen, left > 0 ? left : 0);
		cr_assert_eq(ret, 0, "%s: waiting for frame %u: %s", to->name,
			     seq, recv_error(ret));
	} while (ss_frame_seq(f, flen) != (int64_t)seq);
}

/**
 * itest_expect_quiet() - nothing arrives at any of @n stations
 * @sta:	stations
 * @n:		how many
 * @timeout_ms:	how long each one is watched
 */
void itest_expect_quiet(struct itest_sta *sta, size_t n, int timeout_ms)
{
	const uint8_t *f;
	size_t len;

	for (size_t i = 0; i < n; i++) {
		int ret = ss_recv_frame(sta[i].c, &f, &len, timeout_ms);

		cr_assert_eq(
			ret, -ETIMEDOUT,
			"%s: got an unexpected frame (seq %lld, %zu bytes)",
			sta[i].name,
			ret == 0 ? (long long)ss_frame_seq(f, len) : -1LL,
			ret == 0 ? len : 0);
	}
}

/**
 * itest_learn_all() - each station broadcasts once; all others get it
 * @sta:	stations
 * @n:		how many
 * @seq0:	sequence number of the first broadcast (then +1 per station)
 *
 * Afterwards the switch knows every station's MAC, and every station has
 * read everything sent to it so far.
 */
void itest_learn_all(struct itest_sta *sta, size_t n, uint32_t seq0)
{
	for (size_t i = 0; i < n; i++)
		itest_flood(sta, n, i, seq0 + (uint32_t)i, 64);
}

/**
 * itest_unicast() - @from sends to @to's MAC, and @to gets exactly that
 * @from:	sender
 * @to:		receiver (its MAC is the destination)
 * @seq:	sequence number
 * @len:	frame length
 */
void itest_unicast(struct itest_sta *from, struct itest_sta *to, uint32_t seq,
		   size_t len)
{
	itest_send(from, to->mac, seq, len);
	itest_expect(to, to->mac, from, seq, len);
}

/**
 * itest_flood() - @sta[@from] broadcasts; every other station gets it next
 * @sta:	all the stations on the switch
 * @n:		how many
 * @from:	index of the sender
 * @seq:	sequence number
 * @len:	frame length
 */
void itest_flood(struct itest_sta *sta, size_t n, size_t from, uint32_t seq,
		 size_t len)
{
	itest_send(&sta[from], itest_bcast, seq, len);
	for (size_t i = 0; i < n; i++)
		if (i != from)
			itest_expect(&sta[i], itest_bcast, &sta[from], seq,
				     len);
}

/**
 * itest_ping() - unicast @a -> @b (@seq) and back (@seq + 1)
 * @a:		one station
 * @b:		the other
 * @seq:	sequence number of the first frame
 */
void itest_ping(struct itest_sta *a, struct itest_sta *b, uint32_t seq)
{
	itest_send(a, b->mac, seq, 100);
	itest_expect(b, b->mac, a, seq, 100);
	itest_send(b, a->mac, seq + 1, 100);
	itest_expect(a, a->mac, b, seq + 1, 100);
}

/**
 * itest_wait_closed_log() - wait for the `closed' log line of @s's port
 * @sw:		daemon
 * @s:		station (its connection may already be closed)
 * @line:	if not NULL, the line
 * @linelen:	size of @line
 */
void itest_wait_closed_log(struct itest_sw *sw, const struct itest_sta *s,
			   char *line, size_t linelen)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	char needle[32], buf[2048];
	size_t pos = s->logpos;
	int ret;

	snprintf(needle, sizeof(needle), "port %d ", s->port);
	for (;;) {
		int left = (int)(deadline - ss_now_ms());

		ret = ss_daemon_wait_log(sw->d, &pos, needle, buf, sizeof(buf),
					 left > 0 ? left : 0);
		if (ret < 0)
			itest_dump_log(sw->d);
		cr_assert_eq(ret, 0, "%s: no `%s... %s' log line", s->name,
			     needle, LOG_CLOSED);
		if (strstr(buf, LOG_CLOSED))
			break;
	}
	if (line)
		snprintf(line, linelen, "%s", buf);
}

/**
 * itest_expect_closed() - the switch closes @s and logs the close
 * @sw:		daemon
 * @s:		station
 * @line:	if not NULL, the `closed' log line
 * @linelen:	size of @line
 */
void itest_expect_closed(struct itest_sw *sw, struct itest_sta *s, char *line,
			 size_t linelen)
{
	int ret = ss_wait_eof(s->c, SS_TIMEOUT_MS);

	cr_assert_eq(ret, 0, "%s: the switch should have closed the connection",
		     s->name);
	itest_wait_closed_log(sw, s, line, linelen);
}

/**
 * itest_stat() - one counter of one port from a SIGUSR1 stats dump
 * @sw:		daemon
 * @port:	port number
 * @key:	counter name
 *
 * Return: its value
 */
long long itest_stat(struct itest_sw *sw, int port, const char *key)
{
	long long val = -1;
	int ret;

	ret = ss_daemon_stat(sw->d, port, key, &val, SS_TIMEOUT_MS);
	if (ret < 0)
		itest_dump_log(sw->d);
	cr_assert_eq(ret, 0, "SIGUSR1: no `stats port=%d ... %s=N' line (%s)",
		     port, key, strerror(-ret));
	return val;
}

/**
 * itest_stop() - SIGTERM the daemon; it must exit 0 with a clean log
 * @sw:		daemon
 *
 * Under the sanitizer build this also catches a leak at exit or an
 * ASan/UBSan report from anywhere in the daemon's life.
 */
void itest_stop(struct itest_sw *sw)
{
	static const char *const bad[] = { "Sanitizer", "runtime error:" };
	int st = ss_daemon_stop(sw->d, SS_TIMEOUT_MS);
	char *log = ss_daemon_log(sw->d);
	bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	for (size_t i = 0; i < 2; i++)
		if (strstr(log, bad[i]))
			clean = false;
	free(log);
	if (!clean)
		itest_dump_log(sw->d);
	cr_assert(
		WIFEXITED(st),
		"SIGTERM: daemon should exit 0 but died of signal %d "
		"(6: abort, e.g. a sanitizer report; 9: did not stop in %d ms)",
		WIFSIGNALED(st) ? WTERMSIG(st) : -1, SS_TIMEOUT_MS);
	cr_assert_eq(WEXITSTATUS(st), 0, "SIGTERM: exit status %d",
		     WEXITSTATUS(st));
	cr_assert(clean, "sanitizer report in the daemon's log");
}

/**
 * itest_free_tcp_port() - a TCP port on 127.0.0.1 that was free just now
 *
 * Binds port 0, notes the port the kernel picked and lets it go again.
 *
 * Return: the port number (host byte order)
 */
uint16_t itest_free_tcp_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/**
 * itest_tcp_listening() - does something accept TCP on 127.0.0.1:@port?
 * @port:	port number (host byte order)
 *
 * Return: true if a connection to it succeeds (it is closed at once)
 */
bool itest_tcp_listening(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}
