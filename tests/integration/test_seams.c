// SPDX-License-Identifier: MIT
/*
 * test_seams.c - where listeners, uplinks and the control socket meet
 *
 * Reload adds, removes and rolls back datagram listeners; reload starts,
 * stops and keeps uplinks (outbound connections, slirp); PORT_UP and
 * PORT_DOWN events for datagram ports and uplinks; port-enable on an
 * uplink that is not connected; a unixgram peer that leaves and returns
 * (PORT_DOWN, then PORT_UP); the hostfwd commands. Real daemons, real
 * sockets, the control socket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctltest.h"

TestSuite(seams, .fini = ss_cleanup, .timeout = 120);

#define UPLINK_MS 30000 /* an uplink's first retry is at most 1.25 s away */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* Start from DIR/sw.json listening on DIR/a.sock; DIR is a fresh temp
 * dir. */
static void start_cfg(struct itest_sw *sw, char *cfg, size_t cfglen, char *dir,
		      size_t dirlen)
{
	const char *args[] = { "--config", cfg, NULL };
	const char *t = ss_tmpdir();
	char json[600];

	cr_assert_not_null(t);
	snprintf(dir, dirlen, "%s", t);
	snprintf(cfg, cfglen, "%s/sw.json", dir);
	snprintf(json, sizeof(json), "{\"listen\": [\"unix:%s/a.sock\"]}\n",
		 dir);
	write_file(cfg, json);
	itest_start_argv(sw, TP_UNIX, args);
}

/* A datagram station: sends one frame to itself so the switch makes its
 * port, then waits for the `connected' line. */
static void join_dgram(struct itest_sw *sw, struct itest_sta *s,
		       const char *url, const char *local, const char *name,
		       unsigned macn)
{
	char peer[300];

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	ss_mac(s->mac, macn);
	s->c = ss_dgram_open(url, local, 0);
	cr_assert_not_null(s->c, "%s: datagram client of %s: %s", name, url,
			   strerror(errno));
	if (local)
		snprintf(peer, sizeof(peer), "unixgram %s)", local);
	else
		snprintf(peer, sizeof(peer), ":%d)", ss_local_port(s->c));
	itest_send(s, s->mac, 9999, 60);
	itest_wait_connected(sw, s, peer, url);
}

/* The listener URL in query-status that starts with @prefix, or NULL. */
static const char *status_listener(json_t *st, const char *prefix)
{
	json_t *ls = json_object_get(st, "listeners"), *v;
	size_t i;

	json_array_foreach(ls, i, v)
		if (!strncmp(json_string_value(v), prefix, strlen(prefix)))
			return json_string_value(v);
	return NULL;
}

/* The next PORT_UP/PORT_DOWN event @name for port @id. */
static json_t *port_event(struct ss_ctl *ev, const char *name, long long id)
{
	for (;;) {
		json_t *d = ct_event(ev, name);

		if (ct_int(d, "port") == id)
			return d;
		json_decref(d);
	}
}

/* PORT_DOWN events for ports @a and @b, in any order; @a's cause is
 * returned (new reference). */
static json_t *two_downs(struct ss_ctl *ev, long long a, long long b)
{
	json_t *ea = NULL;
	bool got_b = false;

	while (!ea || !got_b) {
		json_t *d = ct_event(ev, "PORT_DOWN");

		if (ct_int(d, "port") == a && !ea) {
			ea = d;
			continue;
		}
		if (ct_int(d, "port") == b)
			got_b = true;
		json_decref(d);
	}
	return ea;
}

/* The next PORT_UP/PORT_DOWN event @name of transport @tp. */
static json_t *transport_event(struct ss_ctl *ev, const char *name,
			       const char *tp)
{
	for (;;) {
		json_t *d = ct_event(ev, name);

		if (!strcmp(json_string_value(json_object_get(d, "transport")),
			    tp))
			return d;
		json_decref(d);
	}
}

static const char *str_at(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	cr_assert_not_null(s, "no string \"%s\"", key);
	return s;
}

/* Port id of the only port of transport @tp (-1 if none), and its state. */
static int find_port(struct ss_ctl *c, const char *tp, char *state, size_t len)
{
	json_t *ports = ct_ok(c, "query-ports", NULL), *p;
	int id = -1, n = 0;
	size_t i;

	json_array_foreach(ports, i, p) {
		if (strcmp(str_at(p, "transport"), tp))
			continue;
		n++;
		id = (int)ct_int(p, "id");
		if (state)
			snprintf(state, len, "%s", str_at(p, "state"));
	}
	json_decref(ports);
	cr_assert_leq(n, 1, "more than one %s port", tp);
	return id;
}

/* Wait until port @id shows @state in query-ports. */
static void wait_state(struct ss_ctl *c, int id, const char *state)
{
	int64_t deadline = ss_now_ms() + UPLINK_MS;
	char last[32] = "";

	while (ss_now_ms() < deadline) {
		json_t *p = ct_port(c, id);

		snprintf(last, sizeof(last), "%s", str_at(p, "state"));
		json_decref(p);
		if (!strcmp(last, state))
			return;
		usleep(50 * 1000);
	}
	cr_assert_fail("port %d stays `%s', expected `%s'", id, last, state);
}

static void reload_ok(struct ss_ctl *c, const char *cfg, const char *json,
		      const char *change)
{
	json_t *r;
	const char *s;

	write_file(cfg, json);
	r = ct_ok(c, "reload", NULL);
	s = json_string_value(json_object_get(r, "changes"));
	cr_assert(s && strstr(s, change), "reload changes `%s' lack `%s'", s,
		  change);
	json_decref(r);
}

Test(seams, reload_adds_removes_and_rolls_back_datagram_listeners)
{
	struct itest_sta s[4];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	char cfg[512], dir[256], json[2048], path[400], gpath[400];
	const char *udp;
	struct stat stt;
	json_t *st, *e;

	start_cfg(&sw, cfg, sizeof(cfg), dir, sizeof(dir));
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\", \"udp:127.0.0.1:0\", "
		 "\"unixgram:%s/g.sock\"]}",
		 dir, dir);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));
	reload_ok(c, cfg, json, "listening on udp:127.0.0.1:0");
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.listeners"), 3,
		     "query-status counts the datagram listeners");
	udp = status_listener(st, "udp:127.0.0.1:");
	cr_assert(udp && strcmp(udp, "udp:127.0.0.1:0"),
		  "query-status shows the UDP listener's real port");
	cr_assert_not_null(status_listener(st, "unixgram:"));

	snprintf(path, sizeof(path), "unix:%s/a.sock", dir);
	itest_join_one(&sw, &s[0], path, "A", 1, 0);
	join_dgram(&sw, &s[1], udp, NULL, "B", 2);
	e = port_event(ev, "PORT_UP", s[1].port);
	cr_assert_str_eq(str_at(e, "transport"), "udp");
	cr_assert_str_eq(str_at(e, "cause"), "connected");
	json_decref(e);
	snprintf(gpath, sizeof(gpath), "unixgram:%s/g.sock", dir);
	snprintf(path, sizeof(path), "%s/c.sock", dir);
	join_dgram(&sw, &s[2], gpath, path, "C", 3);
	e = port_event(ev, "PORT_UP", s[2].port);
	cr_assert_str_eq(str_at(e, "transport"), "unixgram");
	json_decref(e);
	itest_learn_all(s, 3, 1);
	itest_ping(&s[0], &s[1], 100);
	itest_ping(&s[0], &s[2], 102);
	json_decref(st);

	/* Remove both datagram listeners: their ports close with them. */
	snprintf(json, sizeof(json), "{\"listen\": [\"unix:%s/a.sock\"]}", dir);
	reload_ok(c, cfg, json, "stopped listening on udp:127.0.0.1:0");
	e = two_downs(ev, s[1].port, s[2].port);
	cr_assert_str_eq(str_at(e, "cause"), "listener closed");
	json_decref(e);
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.listeners"), 1);
	cr_assert_eq(ct_int(st, "counts.ports"), 1);
	cr_assert_null(status_listener(st, "udp:"));
	json_decref(st);
	snprintf(path, sizeof(path), "%s/g.sock", dir);
	cr_assert_neq(stat(path, &stt), 0, "g.sock is removed");
	/* A datagram to the old UDP port makes no port any more. */
	itest_send(&s[1], s[1].mac, 200, 60);
	itest_join_one(&sw, &s[3], NULL, "D", 4, 0);
	itest_ping(&s[0], &s[3], 300);
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.ports"), 2, "A and D only");
	json_decref(st);

	/* A reload that fails after opening a unixgram listener closes it
	 * again (c2.sock is a plain file in the way). */
	snprintf(path, sizeof(path), "%s/c2.sock", dir);
	write_file(path, "not a socket\n");
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\", \"unixgram:%s/h.sock\", "
		 "\"udp:127.0.0.1:0\", \"unix:%s/c2.sock\"]}",
		 dir, dir, dir);
	write_file(cfg, json);
	ct_fails(c, "reload", NULL, "GenericError", "cannot listen on unix:");
	snprintf(path, sizeof(path), "%s/h.sock", dir);
	cr_assert_neq(
		stat(path, &stt), 0,
		"the unixgram listener opened before the failure is gone");
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.listeners"), 1);
	cr_assert_null(status_listener(st, "udp:"));
	cr_assert_null(status_listener(st, "unixgram:"));
	json_decref(st);
	itest_ping(&s[3], &s[0], 400);

	/* A new dgram_idle applies to datagram listeners at once. */
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\", \"udp:127.0.0.1:0\"], "
		 "\"dgram_idle\": 1}",
		 dir);
	reload_ok(c, cfg, json, "dgram_idle 300 -> 1");
	st = ct_ok(c, "query-status", NULL);
	udp = status_listener(st, "udp:127.0.0.1:");
	cr_assert_not_null(udp);
	ss_client_close(s[1].c);
	join_dgram(&sw, &s[1], udp, NULL, "E", 5);
	json_decref(st);
	e = port_event(ev, "PORT_DOWN", s[1].port);
	cr_assert_not_null(strstr(str_at(e, "cause"), "idle"));
	json_decref(e);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

/* A unicast frame from @from reaches @to, stray frames aside. */
static void reach(struct itest_sta *from, struct itest_sta *to, uint32_t seq)
{
	itest_send(from, to->mac, seq, 100);
	itest_skip_to_seq(to, seq);
}

/* A plain switch on @url, for the uplinks to dial. */
static void start_peer(struct itest_sw *p, const char *url)
{
	const char *args[] = { "--listen", url, "--control", "none", NULL };

	itest_start_argv(p, TP_UNIX, args);
}

/* How many times a port of @p's log came up ("connected on"). */
static int peer_connects(struct itest_sw *p)
{
	char *log = ss_daemon_log(p->d);
	const char *s = log;
	int n = 0;

	cr_assert_not_null(log);
	while ((s = strstr(s, ") connected on "))) {
		n++;
		s++;
	}
	free(log);
	return n;
}

/*
 * A unixgram peer whose socket goes away takes its port down, and the port
 * comes back up when the peer sends again: subscribers see PORT_DOWN (with
 * the cause) and then PORT_UP for the same port, which is never closed.
 */
Test(seams, unixgram_peer_leaving_and_returning_gives_down_then_up)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	char cfg[512], dir[256], json[1024], path[400], gpath[400];
	json_t *e, *p;

	start_cfg(&sw, cfg, sizeof(cfg), dir, sizeof(dir));
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\", \"unixgram:%s/g.sock\"]}",
		 dir, dir);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));
	reload_ok(c, cfg, json, "listening on unixgram:");
	snprintf(path, sizeof(path), "unix:%s/a.sock", dir);
	itest_join_one(&sw, &s[0], path, "A", 1, 0);
	snprintf(gpath, sizeof(gpath), "unixgram:%s/g.sock", dir);
	snprintf(path, sizeof(path), "%s/c.sock", dir);
	join_dgram(&sw, &s[1], gpath, path, "C", 2);
	e = port_event(ev, "PORT_UP", s[1].port);
	cr_assert_str_eq(str_at(e, "transport"), "unixgram");
	cr_assert_str_eq(str_at(e, "cause"), "connected");
	json_decref(e);
	itest_learn_all(s, 2, 1);
	itest_ping(&s[0], &s[1], 10);

	/* C goes away; the next frame to it finds its socket gone. */
	ss_client_close(s[1].c);
	s[1].c = NULL;
	itest_send(&s[0], s[1].mac, 20, 100);
	e = port_event(ev, "PORT_DOWN", s[1].port);
	cr_assert_str_eq(str_at(e, "transport"), "unixgram");
	cr_assert_not_null(strstr(str_at(e, "cause"), "peer's socket is gone"),
			   "cause `%s'", str_at(e, "cause"));
	json_decref(e);
	p = ct_port(c, s[1].port);
	cr_assert(json_is_object(p), "the port stays while its peer is away");
	json_decref(p);

	/* C comes back at the same path and sends: PORT_UP, frames flow. */
	s[1].c = ss_dgram_open(gpath, path, 0);
	cr_assert_not_null(s[1].c, "reopen %s: %s", path, strerror(errno));
	itest_unicast(&s[1], &s[0], 31, 100);
	e = port_event(ev, "PORT_UP", s[1].port);
	cr_assert_str_eq(str_at(e, "cause"), "connected");
	json_decref(e);
	itest_unicast(&s[0], &s[1], 32, 100);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(seams, reload_keeps_unchanged_uplinks_and_stops_removed_ones)
{
	struct itest_sw sw, p1, p2;
	struct itest_sta a, b;
	struct ss_ctl *c, *ev;
	char cfg[512], dir[256], json[2048], u1[400], u2[400], rule[96];
	char state[32];
	int pc, ps, pn;
	uint16_t hport = itest_free_tcp_port();
	json_t *e, *l;

	start_cfg(&sw, cfg, sizeof(cfg), dir, sizeof(dir));
	snprintf(u1, sizeof(u1), "unix:%s/p1.sock", dir);
	snprintf(u2, sizeof(u2), "unix:%s/p2.sock", dir);
	start_peer(&p1, u1);
	start_peer(&p2, u2);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));

	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\"], \"connect\": [\"%s\"], "
		 "\"uplinks\": [\"slirp,net=10.7.0.0/24\"]}",
		 dir, u1);
	reload_ok(c, cfg, json, "started uplink slirp,net=10.7.0.0/24");
	e = transport_event(ev, "PORT_UP", "connect");
	cr_assert_str_eq(str_at(e, "cause"), "connected");
	pc = (int)ct_int(e, "port");
	json_decref(e);
	ps = find_port(c, "slirp", state, sizeof(state));
	cr_assert_geq(ps, 1, "the slirp uplink is a port");
	wait_state(c, ps, "up");
	wait_state(c, pc, "up");
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u-:22", hport);
	json_decref(ct_ok(c, "hostfwd-add", json_pack("{s:s}", "rule", rule)));
	cr_assert(itest_tcp_listening(hport));
	cr_assert_eq(peer_connects(&p1), 1);

	/* Add a second connection; the others are not touched. */
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\"], \"connect\": [\"%s\", "
		 "\"%s\"], \"uplinks\": [\"slirp,net=10.7.0.0/24\"]}",
		 dir, u1, u2);
	reload_ok(c, cfg, json, "started uplink unix:");
	e = transport_event(ev, "PORT_UP", "connect");
	pn = (int)ct_int(e, "port");
	cr_assert_neq(pn, pc);
	json_decref(e);
	wait_state(c, pn, "up");
	wait_state(c, pc, "up");
	cr_assert_eq(peer_connects(&p1), 1, "the kept connection stays");
	cr_assert(itest_tcp_listening(hport),
		  "the kept slirp keeps its forward");
	l = ct_ok(c, "hostfwd-list", NULL);
	cr_assert_eq(ct_int(l, "port"), ps);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(l, "rules"), 0)),
			 rule);
	json_decref(l);
	/* A station on S reaches one on P2 through the new uplink (slirp's
	 * own frames, router advertisements, may come in between). */
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	itest_join_one(&p2, &b, NULL, "B", 2, 0);
	reach(&b, &a, 1);
	reach(&a, &b, 2);

	/* Drop P1's connection and slirp: both ports close. */
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\"], \"connect\": [\"%s\"]}",
		 dir, u2);
	reload_ok(c, cfg, json, "stopped uplink slirp,net=10.7.0.0/24");
	e = two_downs(ev, pc, ps);
	cr_assert_not_null(strstr(str_at(e, "cause"), "removed"));
	json_decref(e);
	cr_assert_eq(find_port(c, "slirp", NULL, 0), -1);
	cr_assert_not(itest_tcp_listening(hport), "slirp's forward is gone");
	wait_state(c, pn, "up");
	reach(&a, &b, 20);
	reach(&b, &a, 21);
	ct_fails(c, "hostfwd-list", NULL, "GenericError", "no slirp uplink");
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
	itest_stop(&p1);
	itest_stop(&p2);
}

Test(seams, enable_keeps_a_retrying_uplink_down_until_it_connects)
{
	struct itest_sw sw, peer;
	struct itest_sta a, a2, b;
	struct ss_ctl *c, *ev;
	char cfg[512], dir[256], json[1024], url[400], state[32];
	json_t *p, *e;
	int id;

	start_cfg(&sw, cfg, sizeof(cfg), dir, sizeof(dir));
	snprintf(url, sizeof(url), "unix:%s/later.sock", dir);
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\"], \"connect\": [\"%s\"]}",
		 dir, url);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	reload_ok(c, cfg, json, "started uplink unix:");
	json_decref(ct_ok(ev, "subscribe", NULL));
	id = find_port(c, "connect", state, sizeof(state));
	cr_assert_geq(id, 1);
	cr_assert_str_eq(state, "retrying", "nobody listens at %s", url);

	json_decref(ct_ok(c, "port-disable", ct_args_port(id)));
	wait_state(c, id, "disabled");
	json_decref(ct_ok(c, "port-enable", ct_args_port(id)));
	p = ct_port(c, id);
	cr_assert_str_eq(str_at(p, "state"), "retrying",
			 "enable does not make a retrying uplink up");
	cr_assert(json_is_true(json_object_get(p, "enabled")));
	json_decref(p);
	/* Flooded frames do not go to it (and are not dropped there). */
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	itest_join_one(&sw, &a2, NULL, "A2", 3, 0);
	itest_send(&a, itest_bcast, 1, 60);
	itest_expect(&a2, itest_bcast, &a, 1, 60);
	p = ct_port(c, id);
	cr_assert_eq(ct_int(p, "drops.tx_closed"), 0);
	cr_assert_eq(ct_int(p, "tx.dropped"), 0);
	json_decref(p);

	/* The peer appears: PORT_UP, frames flow. */
	start_peer(&peer, url);
	e = port_event(ev, "PORT_UP", id);
	cr_assert_str_eq(str_at(e, "cause"), "connected");
	cr_assert_str_eq(str_at(e, "transport"), "connect");
	json_decref(e);
	wait_state(c, id, "up");
	itest_join_one(&peer, &b, NULL, "B", 2, 0);
	itest_send(&b, itest_bcast, 5, 60);
	itest_expect(&a, itest_bcast, &b, 5, 60);
	itest_expect(&a2, itest_bcast, &b, 5, 60);
	itest_ping(&a, &b, 10);

	/* The peer goes: PORT_DOWN with the cause, the port stays. */
	itest_stop(&peer);
	e = port_event(ev, "PORT_DOWN", id);
	cr_assert_gt(strlen(str_at(e, "cause")), 0);
	json_decref(e);
	wait_state(c, id, "retrying");
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(seams, hostfwd_commands)
{
	struct itest_sw sw, plain;
	struct ss_ctl *c;
	char cfg[512], dir[256], rule[96], json[512];
	uint16_t hport = itest_free_tcp_port();
	json_t *r;

	start_cfg(&sw, cfg, sizeof(cfg), dir, sizeof(dir));
	c = ct_connect(&sw);
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u-:22", hport);
	ct_fails(c, "hostfwd-add", json_pack("{s:s}", "rule", rule),
		 "GenericError", "no slirp uplink");
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/a.sock\"], "
		 "\"uplinks\": [\"slirp,net=10.8.0.0/24\"]}",
		 dir);
	reload_ok(c, cfg, json, "started uplink slirp");
	wait_state(c, find_port(c, "slirp", NULL, 0), "up");

	cr_assert_not(itest_tcp_listening(hport));
	r = ct_ok(c, "hostfwd-add", json_pack("{s:s}", "rule", rule));
	cr_assert_str_eq(str_at(r, "rule"), rule);
	json_decref(r);
	cr_assert(itest_tcp_listening(hport), "hostfwd-add listens on %u",
		  hport);
	ct_fails(c, "hostfwd-add", json_pack("{s:s}", "rule", rule),
		 "GenericError", "cannot bind host TCP");
	ct_fails(c, "hostfwd-add", json_pack("{s:s}", "rule", "tcp::22"),
		 "GenericError", "HOSTPORT-");
	ct_fails(c, "hostfwd-add", json_pack("{s:i}", "port", 9999),
		 "GenericError", "missing argument \"rule\"");
	ct_fails(c, "hostfwd-add",
		 json_pack("{s:s,s:s}", "rule", rule, "port", "p999"),
		 "DeviceNotFound", "not a slirp uplink");
	/* The rule as added removes it (QEMU's short form works too). */
	r = ct_ok(c, "hostfwd-remove", json_pack("{s:s}", "rule", rule));
	json_decref(r);
	cr_assert_not(itest_tcp_listening(hport),
		      "hostfwd-remove stops listening");
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u", hport);
	ct_fails(c, "hostfwd-remove", json_pack("{s:s}", "rule", rule),
		 "GenericError", "no such forward");
	r = ct_ok(c, "hostfwd-list", NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "rules")), 0);
	json_decref(r);
	ss_ctl_close(c);
	itest_stop(&sw);

	/* A switch without slirp says so. */
	start_cfg(&plain, cfg, sizeof(cfg), dir, sizeof(dir));
	c = ct_connect(&plain);
	ct_fails(c, "hostfwd-remove", json_pack("{s:s}", "rule", rule),
		 "GenericError", "no slirp uplink");
	ss_ctl_close(c);
	itest_stop(&plain);
}
