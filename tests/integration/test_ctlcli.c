// SPDX-License-Identifier: MIT
/*
 * test_ctlcli.c - sockswitchctl against a real daemon
 *
 * Each subcommand is run as a user would ($SOCKSWITCHCTL_BIN, output
 * captured) and its output checked against what the switch did: ports and
 * their counters, learned MACs, events, rates in `top', errors when the
 * daemon is absent or an argument is missing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctltest.h"
#include "iproc.h"

TestSuite(ctlcli, .fini = ss_cleanup, .timeout = 90);

#define OUT_MAX 65536

/**
 * ctl_run() - run sockswitchctl with @args (a shell word list), capture
 * @sock:	control socket for -s, or NULL
 * @args:	the rest of the command line
 * @out:	stdout and stderr, OUT_MAX bytes
 *
 * Return: its exit status
 */
static int ctl_run(const char *sock, const char *args, char *out)
{
	const char *bin = getenv("SOCKSWITCHCTL_BIN");
	char cmd[2048];
	size_t n = 0;
	FILE *p;
	int st;

	cr_assert(bin && *bin, "SOCKSWITCHCTL_BIN is not set");
	snprintf(cmd, sizeof(cmd), "'%s' %s%s%s %s 2>&1 </dev/null", bin,
		 sock ? "-s '" : "", sock ? sock : "", sock ? "'" : "", args);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen: %s", strerror(errno));
	while (n < OUT_MAX - 1) {
		size_t r = fread(out + n, 1, OUT_MAX - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s: did not exit", cmd);
	return WEXITSTATUS(st);
}

static void expect_out(const char *out, const char *part, const char *what)
{
	cr_assert_not_null(strstr(out, part), "%s: expected `%s' in:\n%s", what,
			   part, out);
}

static char out[OUT_MAX];

/* sockswitchctl -s @sock @args exits with @status and says @part. */
static void ctl_expect(const char *sock, const char *args, int status,
		       const char *part, const char *what)
{
	cr_assert_eq(ctl_run(sock, args, out), status, "%s: exit status: %s",
		     what, out);
	expect_out(out, part, what);
}

Test(ctlcli, status_ports_macs_show_what_the_switch_did)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char want[128];
	int i;

	itest_start_learned(&sw, TP_UNIX, NULL, s, 2);
	for (i = 0; i < 3; i++)
		itest_ping(&s[0], &s[1], 10 + 2 * (uint32_t)i);

	ctl_expect(sw.d->ctl_path, "status", 0, "ports:      2 attached",
		   "status");
	expect_out(out, "MAC table:  2 learned", "status");
	expect_out(out, sw.url + strlen("unix:"), "status lists the listener");

	ctl_expect(sw.d->ctl_path, "ports", 0, "RX_FRAMES", "ports header");
	/* A: 1 broadcast + 3 pings of 100 bytes = 4 frames, 364 bytes. */
	snprintf(want, sizeof(want), "%-5d p%-9d unix   up                 4 ",
		 s[0].port, s[0].port);
	expect_out(out, want, "ports row of A");
	expect_out(out, "364", "ports: A's byte count");

	ctl_expect(sw.d->ctl_path, "macs", 0, "02:00:00:00:00:01",
		   "macs lists A");
	expect_out(out, "02:00:00:00:00:02", "macs lists B");
	snprintf(want, sizeof(want), "macs %d", s[1].port);
	ctl_expect(sw.d->ctl_path, want, 0, "02:00:00:00:00:02", "macs PORT");
	cr_assert_null(strstr(out, "02:00:00:00:00:01"),
		       "macs PORT shows only that port's addresses:\n%s", out);

	ctl_expect(sw.d->ctl_path, "--json ports", 0, "\"rx_runt\": 0",
		   "--json ports has drops by reason");
	itest_stop(&sw);
}

Test(ctlcli, disable_enable_close_flush_reload)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	char args[64];

	itest_start_learned(&sw, TP_UNIX, NULL, s, 3);
	snprintf(args, sizeof(args), "disable %d", s[1].port);
	ctl_expect(sw.d->ctl_path, args, 0, "disabled", "disable");
	itest_send(&s[0], s[1].mac, 10, 64);
	ct_no_frame(&s[1], 300);
	snprintf(args, sizeof(args), "enable p%d", s[1].port);
	ctl_expect(sw.d->ctl_path, args, 0, "enabled", "enable");
	itest_send(&s[0], s[1].mac, 11, 64);
	itest_skip_to_seq(&s[1], 11);

	ctl_expect(sw.d->ctl_path, "flush", 0, "flushed 2 learned addresses",
		   "flush");
	ctl_expect(sw.d->ctl_path, "reload", 0, "reloaded: no changes",
		   "reload");

	snprintf(args, sizeof(args), "close %d", s[2].port);
	cr_assert_eq(ctl_run(sw.d->ctl_path, args, out), 0, "%s", out);
	itest_expect_closed(&sw, &s[2], NULL, 0);
	ctl_expect(sw.d->ctl_path, "disable 999", 1, "no port 999",
		   "disable of a missing port");
	ctl_expect(sw.d->ctl_path, "disable", 2, "expected one PORT",
		   "usage error");
	itest_stop(&sw);
}

Test(ctlcli, events_show_ports_and_macs)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char cmd[1024];
	FILE *p;
	size_t n;

	itest_start(&sw, TP_UNIX, NULL);
	snprintf(cmd, sizeof(cmd), "'%s' -s '%s' events -n 3 2>/dev/null",
		 getenv("SOCKSWITCHCTL_BIN"), sw.d->ctl_path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	/* Subscribed once the switch counts a subscriber. */
	for (int i = 0; i < 500; i++) {
		struct ss_ctl *c = ct_connect(&sw);
		json_t *st = ct_ok(c, "query-status", NULL);
		long long subs = ct_int(st, "control.subscribers");

		json_decref(st);
		ss_ctl_close(c);
		if (subs)
			break;
		usleep(10000);
	}
	itest_join(&sw, s, 1);
	itest_send(&s[0], itest_bcast, 1, 64);
	ss_client_close(s[0].c);
	s[0].c = NULL;
	n = fread(out, 1, OUT_MAX - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0);
	expect_out(out, "PORT_UP", "events");
	expect_out(out, "MAC_LEARNED", "events");
	expect_out(out, "mac=02:00:00:00:00:01", "events");
	expect_out(out, "PORT_DOWN", "events");
	expect_out(out, "cause=peer closed the connection", "events");
	itest_stop(&sw);
}

Test(ctlcli, top_prints_rates)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char cmd[1024];
	json_t *frames, *f, *p;
	FILE *pp;
	size_t n, i;
	double rx = 0;

	itest_start_learned(&sw, TP_UNIX, NULL, s, 2);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -s '%s' --json top -n 2 -i 2 2>/dev/null",
		 getenv("SOCKSWITCHCTL_BIN"), sw.d->ctl_path);
	pp = popen(cmd, "r");
	cr_assert_not_null(pp);
	usleep(500000); /* after the first sample, before the second */
	for (i = 0; i < 100; i++)
		itest_send(&s[0], s[1].mac, 10 + (uint32_t)i, 1000);
	itest_skip_to_seq(&s[1], 109);
	n = fread(out, 1, OUT_MAX - 1, pp);
	out[n] = '\0';
	cr_assert_eq(pclose(pp), 0);
	frames = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(frames, "top --json prints JSON lines:\n%s", out);
	json_decref(frames);
	f = json_loads(strchr(out, '\n') + 1, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(f, "two tables:\n%s", out);
	json_array_foreach(json_object_get(f, "ports"), i, p)
		if (json_integer_value(json_object_get(p, "id")) == s[0].port)
			rx = json_number_value(json_object_get(p, "rx_fps"));
	json_decref(f);
	/* 100 frames in about 2 s; only "more than none" is asserted. */
	cr_assert_gt(rx, 0, "A's receive rate in the second table:\n%s", out);

	cr_assert_eq(ctl_run(sw.d->ctl_path, "top -n 2 -i 0.1", out), 0);
	cr_assert_not_null(strstr(strstr(out, "RX_FPS") + 1, "RX_FPS"),
			   "not a terminal: successive tables:\n%s", out);
	itest_stop(&sw);
}

Test(ctlcli, errors_are_plain)
{
	struct itest_sw sw;
	char path[512];

	snprintf(path, sizeof(path), "%s/nothing-here.sock", ss_tmpdir());
	ctl_expect(path, "status", 3, "Is sockswitch running?", "no daemon");

	itest_start(&sw, TP_UNIX, NULL);
	ctl_expect(sw.d->ctl_path, "capture start port=1", 1,
		   "capture-start: missing argument \"file\"", "capture");
	cr_assert_eq(ctl_run(sw.d->ctl_path,
			     "raw '{\"execute\":\"query-macs\",\"id\":5}'",
			     out),
		     0);
	expect_out(out, "{\"return\":[],\"id\":5}", "raw passthrough");
	ctl_expect(sw.d->ctl_path, "frobnicate", 2, "unknown command",
		   "bad subcommand");
	itest_stop(&sw);
}

Test(ctlcli, finds_the_default_control_socket)
{
	struct itest_sw sw;
	const char *xdg = ss_tmpdir();

	cr_assert_not_null(xdg);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	unsetenv("SOCKSWITCH_CONTROL");
	ss_daemon_auto_control = false;
	itest_start(&sw, TP_UNIX, NULL);
	ss_daemon_auto_control = true;
	cr_assert_not_null(strstr(sw.d->ctl_path, "/sockswitch/control.sock"),
			   "default control socket beside the default one: %s",
			   sw.d->ctl_path);
	ctl_expect(NULL, "status", 0, sw.d->ctl_path, "found without -s");
	itest_stop(&sw);
}

Test(ctlcli, hostfwd_add_list_remove)
{
	static const char *const extra[] = { "--uplink",
					     "slirp,net=10.9.0.0/24", NULL };
	char args[160], rule[64];
	struct itest_sw sw;

	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u-:22",
		 itest_free_tcp_port());

	itest_start(&sw, TP_UNIX, extra);
	snprintf(args, sizeof(args), "hostfwd add %s", rule);
	ctl_expect(sw.d->ctl_path, args, 0, "added on port", "hostfwd add");
	ctl_expect(sw.d->ctl_path, "hostfwd list", 0, rule, "hostfwd list");
	ctl_expect(sw.d->ctl_path, args, 1, "cannot bind host TCP",
		   "hostfwd add twice");
	snprintf(args, sizeof(args), "hostfwd remove %s", rule);
	ctl_expect(sw.d->ctl_path, args, 0, "removed on port",
		   "hostfwd remove");
	cr_assert_eq(ctl_run(sw.d->ctl_path, "hostfwd list", out), 0, "%s",
		     out);
	cr_assert_null(strstr(out, rule), "removed, yet listed:\n%s", out);
	cr_assert_eq(ctl_run(sw.d->ctl_path, "hostfwd frob", out), 2, "%s",
		     out);
	itest_stop(&sw);
}

Test(ctlcli, options_after_the_command)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char args[600];
	json_t *v;

	itest_start_learned(&sw, TP_UNIX, NULL, s, 2);
	ctl_expect(sw.d->ctl_path, "ports --json", 0, "\"rx_runt\": 0",
		   "ports --json");
	/* --json is an option, not a PORT named "--json". */
	ctl_expect(sw.d->ctl_path, "macs --json", 0, "\"02:00:00:00:00:01\"",
		   "macs --json");
	v = json_loads(out, 0, NULL);
	cr_assert(json_is_array(v), "macs --json prints a JSON array:\n%s",
		  out);
	cr_assert_eq(json_array_size(v), 2);
	json_decref(v);
	snprintf(args, sizeof(args), "status -s '%s'", sw.d->ctl_path);
	ctl_expect(NULL, args, 0, "ports:      2 attached", "status -s PATH");
	snprintf(args, sizeof(args), "macs --socket '%s' -j %d", sw.d->ctl_path,
		 s[1].port);
	ctl_expect(NULL, args, 0, "\"02:00:00:00:00:02\"", "macs -s P -j PORT");
	cr_assert_null(strstr(out, "02:00:00:00:00:01"), "%s", out);
	/* After --, a word that looks like an option is a PORT. */
	ctl_expect(sw.d->ctl_path, "macs -- --json", 1,
		   "no port named `--json'", "macs -- --json");
	ctl_expect(sw.d->ctl_path, "ports -n 3", 2, "ports: no option -n",
		   "-n belongs to events and top");
	itest_stop(&sw);
}

Test(ctlcli, help_and_help_command)
{
	ctl_expect(NULL, "help", 0, "Commands:", "help");
	expect_out(out, "log-level LEVEL", "help lists log-level");
	expect_out(out, "Exit status:", "help");
	ctl_expect(NULL, "help macs", 0,
		   "Usage: sockswitchctl [-s PATH] [--json] macs [PORT]",
		   "help macs");
	expect_out(out, "learned addresses", "help macs");
	cr_assert_null(strstr(out, "hostfwd"), "only macs' help:\n%s", out);
	ctl_expect(NULL, "help top", 0, "top [-i SECONDS] [-n COUNT]",
		   "help top");
	ctl_expect(NULL, "events --help", 0, "events [-n COUNT]",
		   "COMMAND --help");
	ctl_expect(NULL, "help log-level", 0, "log-level LEVEL",
		   "help log-level");
	ctl_expect(NULL, "help frobnicate", 2, "unknown command `frobnicate'",
		   "help of an unknown command");
	ctl_expect(NULL, "disable", 2, "Usage: sockswitchctl", "usage error");
	expect_out(out, "disable PORT", "a usage error shows the synopsis");
}

/* Run @argv with stdout and stderr in @out; Return: its exit status. */
static int run_tool(const char *const *argv)
{
	char path[600];
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/tool.out", ss_tmpdir());
	rc = iproc_run(argv, NULL, path, SS_TIMEOUT_MS);
	text = iproc_read(path);
	snprintf(out, OUT_MAX, "%s", text ? text : "");
	free(text);
	return rc;
}

Test(ctlcli, usage_errors_exit_2_in_all_three_programs)
{
	const char *sw = ss_daemon_bin(), *ctl = getenv("SOCKSWITCHCTL_BIN"),
		   *plug = getenv("SOCKSWITCH_PLUG_BIN");
	const char *const sw_opt[] = { sw, "--no-such-option", NULL };
	const char *const sw_val[] = { sw, "--max-frame", "1", NULL };
	const char *const sw_arg[] = { sw, "stray", NULL };
	const char *const ctl_cmd[] = { ctl, "frobnicate", NULL };
	const char *const ctl_opt[] = { ctl, "ports", "--no-such-option",
					NULL };
	const char *const plug_none[] = { plug, NULL };
	const char *const plug_opt[] = { plug, "--no-such-option", "a", "b",
					 NULL };

	cr_assert(sw && ctl && plug, "SOCKSWITCH_BIN, SOCKSWITCHCTL_BIN and "
				     "SOCKSWITCH_PLUG_BIN must be set");
	cr_assert_eq(run_tool(sw_opt), 2, "sockswitch bad option: %s", out);
	cr_assert_eq(run_tool(sw_val), 2, "sockswitch bad value: %s", out);
	expect_out(out, "--max-frame", "sockswitch names the option");
	cr_assert_eq(run_tool(sw_arg), 2, "sockswitch stray word: %s", out);
	cr_assert_eq(run_tool(ctl_cmd), 2, "sockswitchctl: %s", out);
	cr_assert_eq(run_tool(ctl_opt), 2, "sockswitchctl: %s", out);
	cr_assert_eq(run_tool(plug_none), 2, "sockswitch-plug: %s", out);
	cr_assert_eq(run_tool(plug_opt), 2, "sockswitch-plug: %s", out);
}

/* The offset of the @n-th (0-based) blank-separated word of @line. */
static int word_at(const char *line, int n, int *len)
{
	const char *p = line;

	for (int i = 0;; i++) {
		p += strspn(p, " ");
		if (!*p || *p == '\n')
			return -1;
		*len = (int)strcspn(p, " \n");
		if (i == n)
			return (int)(p - line);
		p += *len;
	}
}

Test(ctlcli, ports_columns_stay_aligned_for_every_transport)
{
	static const char *const extra[] = {
		"--listen", "unixgram:@DIR@/a-rather-long-datagram-socket-name",
		NULL
	};
	struct itest_sta s[2];
	struct itest_sw sw;
	char local[400], *line, *next;
	int hstate, hdrop, hdlen = 0, len = 0, rows = 0;

	itest_start(&sw, TP_UNIX, extra);
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	snprintf(local, sizeof(local), "%s/client-with-a-long-path.sock",
		 sw.d->dir);
	itest_join_dgram(&sw, &s[1], ss_daemon_url(sw.d, "unixgram:"), local,
			 "B", 2);
	ctl_expect(sw.d->ctl_path, "ports", 0, "unixgram", "ports");
	hstate = word_at(out, 3, &len);
	hdrop = word_at(out, 9, &hdlen);
	cr_assert(hstate > 0 && hdrop > 0, "header:\n%s", out);
	for (line = strchr(out, '\n') + 1; *line; line = next) {
		int st, drop;

		next = line + strcspn(line, "\n");
		next += *next == '\n';
		if (!strncmp(line, "drops on", 8))
			continue;
		st = word_at(line, 3, &len);
		drop = word_at(line, 9, &len);
		cr_assert_eq(st, hstate, "STATE column moved:\n%s", out);
		cr_assert_eq(drop + len, hdrop + hdlen,
			     "TX_DROP column moved:\n%s", out);
		rows++;
	}
	cr_assert_eq(rows, 2, "two ports:\n%s", out);
	itest_stop(&sw);
}

Test(ctlcli, log_level_changes_what_is_logged)
{
	struct itest_sw sw;
	char *log;
	size_t pos;

	itest_start(&sw, TP_UNIX, NULL);
	ctl_expect(sw.d->ctl_path, "log-level debug", 0,
		   "log level info -> debug", "log-level debug");
	pos = ss_daemon_log_end(sw.d);
	ctl_expect(sw.d->ctl_path, "status", 0, "log level:  debug", "status");
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "debug: control client",
					NULL, 0, SS_TIMEOUT_MS),
		     0, "at debug level, control clients are logged");
	/* A reload that does not change the config's level keeps it. */
	ctl_expect(sw.d->ctl_path, "reload", 0, "reloaded: no changes",
		   "reload");
	ctl_expect(sw.d->ctl_path, "status", 0, "log level:  debug",
		   "status after a reload");
	ctl_expect(sw.d->ctl_path, "--json log-level warning", 0,
		   "\"new\": \"warning\"", "log-level warning");
	expect_out(out, "\"old\": \"debug\"", "the old level");
	pos = ss_daemon_log_end(sw.d);
	ctl_expect(sw.d->ctl_path, "log-level loud", 2,
		   "`loud' is not error, warning, info or debug", "bad level");
	ctl_expect(sw.d->ctl_path, "raw '{\"execute\":\"log-level\"}'", 1,
		   "missing argument", "log-level without level");
	itest_stop(&sw);
	log = ss_daemon_log(sw.d);
	cr_assert_null(strstr(log + pos, "info:"),
		       "at warning level, no info lines (signal, stopped):\n%s",
		       log + pos);
	cr_assert_null(strstr(log + pos, "debug:"), "%s", log + pos);
	free(log);
}
