// SPDX-License-Identifier: MIT
/*
 * test_control.c - the control socket against a real daemon
 *
 * Every command is checked against what the switch really did: frames the
 * stations sent show in query-ports, learned MACs in query-macs and as
 * events, port-disable really stops forwarding, port-close really closes
 * the connection. Then the hostile clients: one that never reads its
 * events, one that sends a line of megabytes, one that sends garbage and
 * one that pipelines thousands of requests, while frames keep flowing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctltest.h"

TestSuite(control, .fini = ss_cleanup, .timeout = 90);

static void mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

Test(control, query_status_counts_what_is_attached)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c;
	json_t *st;

	itest_start(&sw, TP_UNIX, NULL);
	c = ct_connect(&sw);
	st = ct_ok(c, "query-status", NULL);
	cr_assert_str_eq(json_string_value(json_object_get(st, "version")),
			 SOCKSWITCH_VERSION);
	cr_assert_eq(ct_int(st, "pid"), sw.d->pid);
	cr_assert_eq(ct_int(st, "counts.ports"), 0);
	cr_assert_eq(ct_int(st, "counts.listeners"), 1);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(st, "listeners"), 0)),
			 sw.url);
	cr_assert(json_is_null(json_object_get(st, "config")),
		  "no config file was given");
	json_decref(st);

	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.ports"), 2);
	cr_assert_eq(ct_int(st, "counts.macs"), 2);
	cr_assert_eq(ct_int(st, "control.clients"), 1);
	cr_assert_eq(ct_int(st, "params.mac_table_size"), 8192);
	json_decref(st);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(control, query_ports_counts_the_frames_sent)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c;
	json_t *a, *b;
	uint32_t i;

	itest_start_learned(&sw, TP_TCP4, NULL, s,
			    2); /* one 64-byte broadcast each */
	for (i = 0; i < 5; i++)
		itest_unicast(&s[0], &s[1], 10 + i, 100);
	c = ct_connect(&sw);
	a = ct_port(c, s[0].port);
	b = ct_port(c, s[1].port);
	cr_assert_str_eq(json_string_value(json_object_get(a, "transport")),
			 "tcp");
	cr_assert_str_eq(json_string_value(json_object_get(a, "state")), "up");
	cr_assert(json_is_true(json_object_get(a, "enabled")));
	cr_assert_not_null(strstr(json_string_value(json_object_get(a, "peer")),
				  "127.0.0.1"),
			   "peer names the TCP address");
	cr_assert_eq(ct_int(a, "rx.frames"), 6);
	cr_assert_eq(ct_int(a, "rx.bytes"), 64 + 5 * 100);
	cr_assert_eq(ct_int(a, "rx.broadcast"), 1);
	cr_assert_eq(ct_int(a, "tx.frames"), 1);
	cr_assert_eq(ct_int(b, "tx.frames"), 6);
	cr_assert_eq(ct_int(b, "tx.bytes"), 64 + 5 * 100);
	cr_assert_eq(ct_int(b, "rx.frames"), 1);
	cr_assert_eq(ct_int(a, "mac.learned"), 1);
	cr_assert_eq(ct_int(a, "drops.rx_runt"), 0);
	cr_assert_eq(ct_int(a, "drops.tx_queue_full"), 0);
	json_decref(a);
	json_decref(b);

	/* A runt is dropped and counted by reason. */
	cr_assert_eq(ss_send_frame(s[0].c, itest_buf, 10), 0);
	itest_ping(&s[0], &s[1], 20);
	a = ct_port(c, s[0].port);
	cr_assert_eq(ct_int(a, "drops.rx_runt"), 1);
	cr_assert_eq(ct_int(a, "rx.dropped"), 1);
	json_decref(a);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(control, learned_macs_show_in_query_macs_and_as_events)
{
	static const char *const extra[] = { "--hold-down", "0", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	json_t *d, *macs, *m;
	char mac[18];

	itest_start(&sw, TP_UNIX, extra);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));
	itest_join(&sw, s, 2);
	d = ct_event(ev, "PORT_UP");
	cr_assert_eq(ct_int(d, "port"), s[0].port);
	cr_assert_str_eq(json_string_value(json_object_get(d, "cause")),
			 "connected");
	json_decref(d);
	itest_learn_all(s, 2, 1);

	d = ct_event(ev, "MAC_LEARNED");
	mac_str(s[0].mac, mac);
	cr_assert_str_eq(json_string_value(json_object_get(d, "mac")), mac);
	cr_assert_eq(ct_int(d, "vlan"), 0);
	cr_assert_eq(ct_int(d, "to.port"), s[0].port);
	json_decref(d);

	c = ct_connect(&sw);
	macs = ct_ok(c, "query-macs", NULL);
	cr_assert_eq(json_array_size(macs), 2);
	m = json_array_get(macs, 0); /* sorted: station 1 first */
	cr_assert_str_eq(json_string_value(json_object_get(m, "mac")), mac);
	cr_assert_eq(ct_int(m, "port"), s[0].port);
	cr_assert_eq(ct_int(m, "vlan"), 0);
	cr_assert(json_number_value(json_object_get(m, "age")) >= 0 &&
			  json_number_value(json_object_get(m, "age")) < 60,
		  "age in seconds");
	json_decref(macs);

	/* A's address shows up on B's port: a move, from and to. */
	ss_frame_build(itest_buf, 64, itest_bcast, s[0].mac, 5);
	cr_assert_eq(ss_send_frame(s[1].c, itest_buf, 64), 0);
	itest_expect_seq(&s[0], 5);
	d = ct_event(ev, "MAC_MOVED");
	cr_assert_str_eq(json_string_value(json_object_get(d, "mac")), mac);
	cr_assert_eq(ct_int(d, "from.port"), s[0].port);
	cr_assert_eq(ct_int(d, "to.port"), s[1].port);
	json_decref(d);
	macs = ct_ok(c, "query-macs", json_pack("{s:i}", "port", s[1].port));
	cr_assert_eq(json_array_size(macs), 2,
		     "both addresses are on B's port now");
	json_decref(macs);
	ss_ctl_close(ev);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(control, ageing_and_table_full_are_events)
{
	static const char *const extra[] = { "--ageing", "1",
					     "--mac-table-size", "1", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *ev;
	json_t *d;

	itest_start(&sw, TP_UNIX, extra);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	d = ct_event(ev, "MAC_TABLE_FULL");
	cr_assert_eq(ct_int(d, "to.port"), s[1].port);
	cr_assert_eq(ct_int(d, "size"), 1);
	json_decref(d);
	/* B's address is learned all the same: A's, the oldest, goes. */
	d = ct_event(ev, "MAC_EVICTED");
	cr_assert_eq(ct_int(d, "from.port"), s[0].port);
	cr_assert_eq(ct_int(d, "to.port"), s[1].port);
	json_decref(d);
	d = ct_event(ev, "MAC_AGED");
	cr_assert_eq(ct_int(d, "from.port"), s[1].port);
	json_decref(d);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(control, port_disable_stops_forwarding_and_enable_restores_it)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	json_t *p, *d;

	itest_start_learned(&sw, TP_UNIX, NULL, s, 2);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));

	p = ct_ok(c, "port-disable", ct_args_port(s[1].port));
	cr_assert_eq(ct_int(p, "port"), s[1].port);
	json_decref(p);
	d = ct_event(ev, "PORT_DOWN");
	cr_assert_str_eq(json_string_value(json_object_get(d, "cause")),
			 "disabled");
	json_decref(d);
	p = ct_port(c, s[1].port);
	cr_assert_str_eq(json_string_value(json_object_get(p, "state")),
			 "disabled");
	json_decref(p);
	itest_send(&s[0], s[1].mac, 10, 100);
	itest_send(&s[0], itest_bcast, 11, 100);
	ct_no_frame(&s[1], 300);
	itest_send(&s[1], s[0].mac, 12, 100);
	ct_no_frame(&s[0], 300);
	p = ct_port(c, s[1].port);
	cr_assert_eq(ct_int(p, "drops.rx_disabled"), 1);
	json_decref(p);

	json_decref(ct_ok(c, "port-enable", json_pack("{s:s}", "port", "p2")));
	d = ct_event(ev, "PORT_UP");
	cr_assert_str_eq(json_string_value(json_object_get(d, "cause")),
			 "enabled");
	json_decref(d);
	itest_ping(&s[0], &s[1], 20);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(control, port_close_disconnects_the_client)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	json_t *d, *ports;
	char name[16];

	itest_start(&sw, TP_UNIX, NULL);
	itest_join(&sw, s, 3);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));
	snprintf(name, sizeof(name), "p%d", s[1].port);
	json_decref(ct_ok(c, "port-close", json_pack("{s:s}", "port", name)));
	itest_expect_closed(&sw, &s[1], NULL, 0);
	d = ct_event(ev, "PORT_DOWN");
	cr_assert_eq(ct_int(d, "port"), s[1].port);
	cr_assert_str_eq(json_string_value(json_object_get(d, "cause")),
			 "closed by control command");
	json_decref(d);
	ports = ct_ok(c, "query-ports", NULL);
	cr_assert_eq(json_array_size(ports), 2);
	cr_assert_null(ss_ctl_port(ports, s[1].port));
	json_decref(ports);
	itest_ping(&s[0], &s[2], 1);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(control, mac_flush_empties_the_table)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_ctl *c;
	json_t *r;

	itest_start_learned(&sw, TP_UNIX, NULL, s, 3);
	c = ct_connect(&sw);
	r = ct_ok(c, "mac-flush", ct_args_port(s[0].port));
	cr_assert_eq(ct_int(r, "flushed"), 1);
	json_decref(r);
	r = ct_ok(c, "query-macs", NULL);
	cr_assert_eq(json_array_size(r), 2);
	json_decref(r);
	r = ct_ok(c, "mac-flush", NULL);
	cr_assert_eq(ct_int(r, "flushed"), 2);
	json_decref(r);
	r = ct_ok(c, "query-macs", NULL);
	cr_assert_eq(json_array_size(r), 0);
	json_decref(r);
	/* Unknown again: a unicast to B is flooded to C too. */
	itest_unicast(&s[0], &s[1], 10, 80);
	itest_expect(&s[2], s[1].mac, &s[0], 10, 80);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(control, bad_requests_get_errors_and_the_connection_stays)
{
	struct itest_sw sw;
	struct ss_ctl *c;
	json_t *v;

	itest_start(&sw, TP_UNIX, NULL);
	c = ct_connect(&sw);
	ct_fails(c, "no-such-command", NULL, "CommandNotFound",
		 "no-such-command");
	ct_fails(c, "port-disable", NULL, "GenericError", "missing argument");
	ct_fails(c, "port-disable", ct_args_port(999), "DeviceNotFound",
		 "no port 999");
	ct_fails(c, "port-enable", json_pack("{s:s}", "port", "nope"),
		 "DeviceNotFound", "nope");
	ct_fails(c, "query-macs", json_pack("{s:i}", "bogus", 1),
		 "GenericError", "unknown argument");
	cr_assert_eq(ss_ctl_send_line(c, "this is not json\n[1,2]\n"
					 "{\"arguments\": {}}\n"
					 "{\"execute\": \"query-status\", "
					 "\"id\": {\"n\": 42}}\n"),
		     0);
	v = ss_ctl_read(c, SS_TIMEOUT_MS);
	cr_assert_not_null(strstr(json_string_value(json_object_get(
					  json_object_get(v, "error"), "desc")),
				  "invalid JSON"));
	json_decref(v);
	v = ss_ctl_read(c, SS_TIMEOUT_MS);
	cr_assert_not_null(json_object_get(v, "error"), "an array is refused");
	json_decref(v);
	v = ss_ctl_read(c, SS_TIMEOUT_MS);
	cr_assert_not_null(json_object_get(v, "error"), "execute is required");
	json_decref(v);
	v = ss_ctl_read(c, SS_TIMEOUT_MS);
	cr_assert_not_null(json_object_get(v, "return"));
	cr_assert_eq(ct_int(v, "id.n"), 42, "the id comes back as sent");
	json_decref(v);
	v = ct_ok(c, "query-status", NULL);
	cr_assert_geq(ct_int(v, "control.errors"), 8);
	json_decref(v);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(control, many_clients_at_once)
{
	struct ss_ctl *c[20];
	struct itest_sw sw;
	json_t *v;
	size_t i;

	itest_start(&sw, TP_UNIX, NULL);
	for (i = 0; i < 20; i++)
		c[i] = ct_connect(&sw);
	for (i = 0; i < 20; i++)
		cr_assert_eq(ss_ctl_send_line(c[i], "{\"execute\":"
						    "\"query-status\"}\n"),
			     0);
	for (i = 0; i < 20; i++) {
		v = ss_ctl_read(c[i], SS_TIMEOUT_MS);
		cr_assert_eq(ct_int(v, "return.control.clients"), 20);
		json_decref(v);
	}
	for (i = 0; i < 20; i++)
		ss_ctl_close(c[i]);
	itest_stop(&sw);
}

Test(control, pipelined_requests_are_all_answered)
{
	enum { N = 3000 };
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c;
	char *req;
	size_t i, len = strlen("{\"execute\":\"query-ports\"}\n");
	json_t *v;

	itest_start(&sw, TP_UNIX, NULL);
	itest_join(&sw, s, 2);
	c = ct_connect(&sw);
	req = malloc(N * len + 1);
	cr_assert_not_null(req);
	for (i = 0; i < N; i++)
		memcpy(req + i * len, "{\"execute\":\"query-ports\"}\n", len);
	req[N * len] = '\0';
	/* Sent without reading: the switch stops reading us while our
	 * replies pile up, and forwarding goes on meanwhile. */
	cr_assert_eq(send(c->fd, req, N * len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0,
		     1);
	itest_ping(&s[0], &s[1], 1);
	free(req);
	ss_ctl_close(c);
	c = ct_connect(&sw);
	req = malloc(N * len + 1);
	cr_assert_not_null(req);
	for (i = 0; i < N; i++)
		memcpy(req + i * len, "{\"execute\":\"query-ports\"}\n", len);
	{
		size_t off = 0, got = 0;
		int64_t deadline = ss_now_ms() + 4 * SS_TIMEOUT_MS;

		/* Interleave: send what the switch takes, read what came. */
		while (got < N && ss_now_ms() < deadline) {
			ssize_t r =
				off < N * len
					? send(c->fd, req + off, N * len - off,
					       MSG_NOSIGNAL | MSG_DONTWAIT)
					: 0;

			if (r > 0)
				off += (size_t)r;
			while ((v = ss_ctl_read(c, off < N * len ? 1 : 1000))) {
				cr_assert(json_is_array(
						  json_object_get(v, "return")),
					  "reply %zu of %d", got, N);
				json_decref(v);
				got++;
			}
		}
		cr_assert_eq(got, N, "every pipelined request is answered");
	}
	free(req);
	itest_ping(&s[0], &s[1], 3);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(control, huge_line_is_refused_and_the_client_disconnected)
{
	enum { MB = 4 };
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c, *c2;
	size_t sent = 0, len = MB << 20;
	char *junk = malloc(len);
	json_t *v;

	cr_assert_not_null(junk);
	memset(junk, 'x', len);
	itest_start(&sw, TP_UNIX, NULL);
	itest_join(&sw, s, 2);
	c = ct_connect(&sw);
	while (sent < len) {
		ssize_t r = send(c->fd, junk + sent, len - sent, MSG_NOSIGNAL);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			v = ss_ctl_read(c, 100); /* error line, maybe EOF */
			json_decref(v);
			if (c->eof)
				break;
			continue;
		}
		if (r < 0)
			break; /* EPIPE: the switch hung up, as it should */
		sent += (size_t)r;
	}
	free(junk);
	cr_assert_lt(sent, len, "the switch should stop taking a 4 MiB line");
	while (!c->eof) {
		v = ss_ctl_read(c, SS_TIMEOUT_MS);
		if (!v)
			break;
		json_decref(v);
	}
	cr_assert(c->eof, "the switch should close the connection");
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, "longer than 64 KiB", NULL,
					0, SS_TIMEOUT_MS),
		     0, "the disconnect is logged");
	itest_ping(&s[0], &s[1], 1);
	c2 = ct_connect(&sw);
	v = ct_ok(c2, "query-status", NULL);
	cr_assert_eq(ct_int(v, "control.disconnected_long_line"), 1);
	json_decref(v);
	ss_ctl_close(c);
	ss_ctl_close(c2);
	itest_stop(&sw);
}

Test(control, subscriber_that_never_reads_is_cut_off_while_frames_flow)
{
	static const char *const extra[] = { "--mac-table-size", "65536",
					     NULL };
	enum { N = 40000 };
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *slow, *c;
	uint8_t src[SS_MAC_LEN];
	json_t *v;
	uint32_t i;

	itest_start_learned(&sw, TP_UNIX, extra, s, 2);
	slow = ss_ctl_connect(sw.d->ctl_path, 4096);
	cr_assert_not_null(slow);
	json_decref(ss_ctl_cmd(slow, "subscribe", NULL));
	/* Every frame has a new source: one MAC_LEARNED event each, about
	 * 150 bytes, far more than the 4 MiB a subscriber may fall behind. */
	for (i = 0; i < N; i++) {
		ss_mac(src, 1000 + i);
		ss_frame_build(itest_buf, 64, s[1].mac, src, 100 + i);
		cr_assert_eq(ss_send_frame(s[0].c, itest_buf, 64), 0);
		/* Fewer than a transmit queue (512) between reads. */
		if (i % 200 == 199)
			itest_skip_to_seq(&s[1], 100 + i);
	}
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, "does not read its events",
					NULL, 0, SS_TIMEOUT_MS),
		     0, "the slow subscriber's disconnect is logged");
	while ((v = ss_ctl_read(slow, SS_TIMEOUT_MS)))
		json_decref(v);
	cr_assert(slow->eof, "the slow subscriber is disconnected");
	itest_ping(&s[0], &s[1], 200000);
	c = ct_connect(&sw);
	v = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(v, "control.disconnected_slow"), 1);
	cr_assert_eq(ct_int(v, "control.subscribers"), 0);
	json_decref(v);
	v = ct_port(c, s[0].port);
	cr_assert_eq(ct_int(v, "rx.frames"), N + 2);
	json_decref(v);
	ss_ctl_close(slow);
	ss_ctl_close(c);
	itest_stop(&sw);
}

/*
 * 64 connections that just sit there cannot lock sockswitchctl out: the
 * 65th client is served and the one idle the longest is closed. Only when
 * every client is a subscriber (waiting for events by design) is a new
 * one refused.
 */
Test(control, idle_clients_make_room_and_subscribers_are_kept)
{
	struct ss_ctl *c[64], *extra;
	struct itest_sw sw;
	json_t *v;
	size_t i;

	itest_start(&sw, TP_UNIX, NULL);
	for (i = 0; i < 64; i++)
		c[i] = ct_connect(&sw);
	extra = ss_ctl_connect(sw.d->ctl_path, 0);
	cr_assert_not_null(extra, "the 65th client is greeted");
	v = ct_ok(extra, "query-status", NULL);
	cr_assert_eq(ct_int(v, "control.evicted"), 1);
	cr_assert_eq(ct_int(v, "control.clients"), 64);
	cr_assert_eq(ct_int(v, "control.refused"), 0);
	json_decref(v);
	cr_assert_null(ss_ctl_read(c[0], SS_TIMEOUT_MS),
		       "the oldest idle client is closed");
	cr_assert(c[0]->eof, "the oldest idle client sees end of file");
	v = ct_ok(c[1], "query-status", NULL);
	json_decref(v);
	ss_ctl_close(extra);
	for (i = 0; i < 64; i++)
		ss_ctl_close(c[i]);

	/* All subscribers: nobody is idle by mistake, the 65th is refused. */
	for (i = 0; i < 64; i++) {
		c[i] = NULL;
		for (int t = 0; t < 200 && !c[i]; t++) {
			c[i] = ss_ctl_connect(sw.d->ctl_path, 0);
			if (!c[i])
				usleep(10000);
		}
		cr_assert_not_null(c[i], "subscriber %zu", i);
		json_decref(ct_ok(c[i], "subscribe", NULL));
	}
	extra = ss_ctl_connect(sw.d->ctl_path, 0);
	cr_assert_null(extra, "no room while all 64 are subscribers");
	ss_ctl_close(c[63]);
	v = NULL;
	for (i = 0; i < 200 && !v; i++) {
		/* The slot frees once the switch has seen the close. */
		extra = ss_ctl_connect(sw.d->ctl_path, 0);
		if (extra)
			v = ct_ok(extra, "query-status", NULL);
		else
			usleep(10000);
	}
	cr_assert_not_null(v, "a slot frees up when a subscriber leaves");
	cr_assert_geq(ct_int(v, "control.refused"), 1);
	json_decref(v);
	ss_ctl_close(extra);
	for (i = 0; i < 63; i++)
		ss_ctl_close(c[i]);
	itest_stop(&sw);
}
