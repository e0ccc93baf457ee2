// SPDX-License-Identifier: MIT
/*
 * test_reload.c - live reconfiguration, and readiness notification
 *
 * A reload (control command or SIGHUP) that adds a listener and removes
 * another keeps attached stations forwarding throughout; changed limits
 * and the log level apply; a broken config changes nothing and says why.
 * Also: --ready-fd and $NOTIFY_SOCKET get READY=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctltest.h"

TestSuite(reload, .fini = ss_cleanup, .timeout = 90);

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void write_config(const char *path, const char *listen, const char *more)
{
	char text[2048];

	snprintf(text, sizeof(text), "{\n  \"listen\": [%s]%s%s\n}\n", listen,
		 more ? ",\n  " : "", more ? more : "");
	write_file(path, text);
}

/* Start from a config with one unix listener at DIR/a.sock; DIR is made
 * here unless @dir is set already. */
static void start_with_config(struct itest_sw *sw, char *cfg, size_t cfglen,
			      char *dir, size_t dirlen, const char *more)
{
	const char *args[4] = { "--config", cfg, NULL };
	char listen[600];
	const char *t = dir[0] ? dir : ss_tmpdir();

	cr_assert_not_null(t);
	if (t != dir)
		snprintf(dir, dirlen, "%s", t);
	snprintf(cfg, cfglen, "%s/sw.json", dir);
	snprintf(listen, sizeof(listen), "\"unix:%s/a.sock\"", dir);
	write_config(cfg, listen, more);
	itest_start_argv(sw, TP_UNIX, args);
}

Test(reload, adds_and_removes_listeners_while_ports_keep_forwarding)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	char cfg[512], dir[256] = "", listen[700], url[600];
	json_t *r, *st, *d;
	const char *changes;
	uint32_t i;

	start_with_config(&sw, cfg, sizeof(cfg), dir, sizeof(dir), NULL);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));

	/* Frames in flight before the reload... */
	for (i = 0; i < 100; i++)
		itest_send(&s[0], s[1].mac, 10 + i, 200);
	snprintf(listen, sizeof(listen),
		 "\"unix:%s/b.sock\", \"tcp:127.0.0.1:0\"", dir);
	write_config(cfg, listen, NULL);
	r = ct_ok(c, "reload", NULL);
	changes = json_string_value(json_object_get(r, "changes"));
	cr_assert_not_null(strstr(changes, "stopped listening on unix:"), "%s",
			   changes);
	cr_assert_not_null(strstr(changes, "b.sock"), "%s", changes);
	json_decref(r);
	/* ...and after it: all arrive, in order, on the old ports. */
	for (i = 0; i < 100; i++)
		itest_send(&s[0], s[1].mac, 110 + i, 200);
	for (i = 0; i < 200; i++)
		itest_expect(&s[1], s[1].mac, &s[0], 10 + i, 200);
	itest_ping(&s[1], &s[0], 300);

	d = ct_event(ev, "RELOAD_DONE");
	cr_assert_str_eq(json_string_value(json_object_get(d, "trigger")),
			 "control command");
	json_decref(d);
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.listeners"), 2);
	cr_assert_eq(ct_int(st, "counts.ports"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(st, "config")), cfg);
	json_decref(st);
	snprintf(url, sizeof(url), "unix:%s/a.sock", dir);
	cr_assert_null(ss_client_connect(url, 0),
		       "the removed listener no longer accepts");
	snprintf(url, sizeof(url), "unix:%s/b.sock", dir);
	itest_join_one(&sw, &s[2], url, "C", 3, 0);
	itest_ping(&s[2], &s[0], 400);
	itest_ping(&s[2], &s[1], 402);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(reload, broken_config_on_sighup_changes_nothing)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	char cfg[512], dir[256] = "", listen[700], line[2048];
	json_t *d, *st;
	size_t pos;

	start_with_config(&sw, cfg, sizeof(cfg), dir, sizeof(dir),
			  "\"mac_table_size\": 100");
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));

	snprintf(listen, sizeof(listen), "\"unix:%s/b.sock\"", dir);
	write_config(cfg, listen, "\"mac_table_size\": 200, \"bogus\": 1");
	pos = ss_daemon_log_end(sw.d);
	cr_assert_eq(kill(sw.d->pid, SIGHUP), 0);
	d = ct_event(ev, "RELOAD_FAILED");
	cr_assert_str_eq(json_string_value(json_object_get(d, "trigger")),
			 "SIGHUP");
	cr_assert_not_null(
		strstr(json_string_value(json_object_get(d, "error")),
		       "$.bogus: unknown key"),
		"the event says what is wrong");
	json_decref(d);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "reload (SIGHUP) failed",
					line, sizeof(line), SS_TIMEOUT_MS),
		     0);
	cr_assert_not_null(strstr(line, "sw.json:"), "logged with the file");

	/* The control command says the same, and nothing changed. */
	ct_fails(c, "reload", NULL, "GenericError", "unknown key");
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "params.mac_table_size"), 100);
	cr_assert_eq(ct_int(st, "counts.listeners"), 1);
	json_decref(st);
	itest_join_one(&sw, &s[2], NULL, "C", 3, 0);
	itest_ping(&s[0], &s[1], 10);
	itest_ping(&s[2], &s[1], 12);

	/* A syntax error is refused the same way. */
	write_file(cfg, "{ \"listen\": [ ");
	ct_fails(c, "reload", NULL, "GenericError", "sw.json:");
	itest_ping(&s[0], &s[2], 14);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

Test(reload, applies_new_limits_and_log_level)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_ctl *c;
	char cfg[512], dir[256] = "", listen[700];
	size_t pos;
	json_t *st, *m;

	start_with_config(&sw, cfg, sizeof(cfg), dir, sizeof(dir), NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	c = ct_connect(&sw);
	snprintf(listen, sizeof(listen), "\"unix:%s/a.sock\"", dir);
	write_config(cfg, listen,
		     "\"mac_table_size\": 1, \"log_level\": \"debug\", "
		     "\"tx_queue_frames\": 64, \"queue_budget\": 33554432, "
		     "\"capture_budget\": 1048576");
	pos = ss_daemon_log_end(sw.d);
	cr_assert_eq(kill(sw.d->pid, SIGHUP), 0);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "reload (SIGHUP):", NULL, 0,
					SS_TIMEOUT_MS),
		     0);
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "params.mac_table_size"), 1);
	cr_assert_eq(ct_int(st, "params.tx_queue_frames"), 64);
	cr_assert_eq(ct_int(st, "params.queue_budget"), 33554432);
	cr_assert_eq(ct_int(st, "memory.queue_budget"), 33554432);
	cr_assert_eq(ct_int(st, "memory.capture_budget"), 1048576);
	cr_assert_str_eq(json_string_value(json_object_get(st, "log_level")),
			 "debug");
	cr_assert_leq(ct_int(st, "counts.macs"), 1,
		      "a smaller table keeps what fits");
	json_decref(st);
	m = ct_port(c, s[0].port);
	cr_assert_eq(ct_int(m, "queue.max_frames"), 64,
		     "attached ports take the new queue bound");
	json_decref(m);
	/* Still one LAN; debug logging is on now. */
	json_decref(ct_ok(c, "mac-flush", NULL));
	itest_learn_all(s, 3, 10);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "learned on port", NULL, 0,
					SS_TIMEOUT_MS),
		     0, "debug lines after log_level debug");
	itest_send(&s[0], s[2].mac, 20, 90);
	itest_expect(&s[2], s[2].mac, &s[0], 20, 90);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(reload, control_socket_can_be_turned_off)
{
	static const char *const extra[] = { "--control", "none", NULL };
	struct itest_sw sw;
	char path[400];

	itest_start(&sw, TP_UNIX, extra);
	cr_assert_eq(sw.d->ctl_path[0], '\0',
		     "--control none prints no control socket");
	snprintf(path, sizeof(path), "%s/control.sock", sw.d->dir);
	cr_assert_neq(access(path, F_OK), 0, "and creates none");
	itest_stop(&sw);
}

Test(reload, ready_fd_gets_ready_line)
{
	const char *bin = ss_daemon_bin(), *dir = ss_tmpdir();
	char listen[400], buf[64] = "";
	int pfd[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	cr_assert(bin && dir);
	snprintf(listen, sizeof(listen), "unix:%s/r.sock", dir);
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(pfd[1], 7);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(bin, bin, "--listen", listen, "--control", "none",
		      "--ready-fd", "7", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	cr_assert_gt(pid, 0);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		if (poll(&p, 1, SS_TIMEOUT_MS) <= 0)
			break;
		n = read(pfd[0], buf + got, sizeof(buf) - 1 - (size_t)got);
		if (n <= 0)
			break;
		got += n;
	}
	close(pfd[0]);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	cr_assert_str_eq(buf, "READY=1\n",
			 "READY=1 and end of file on --ready-fd");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(reload, notify_socket_gets_ready_reloading_stopping)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = ss_tmpdir();
	struct timeval tv = { .tv_sec = 5 };
	struct itest_sw sw;
	char buf[512];
	int fd;
	ssize_t n;

	cr_assert_not_null(dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	itest_start(&sw, TP_UNIX, NULL);
	unsetenv("NOTIFY_SOCKET");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0, "a datagram on $NOTIFY_SOCKET");
	buf[n] = '\0';
	cr_assert_not_null(strstr(buf, "READY=1"), "%s", buf);
	kill(sw.d->pid, SIGHUP);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "RELOADING=1");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "READY=1");
	itest_stop(&sw);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "STOPPING=1");
	close(fd);
}

Test(reload, failing_step_undoes_the_steps_before_it)
{
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_ctl *c;
	char cfg[512], dir[256] = "", listen[900], path[400], url[600];
	json_t *st;

	start_with_config(&sw, cfg, sizeof(cfg), dir, sizeof(dir), NULL);
	itest_join(&sw, s, 2);
	c = ct_connect(&sw);
	/* b.sock can be opened, c.sock cannot (a plain file is in the way). */
	snprintf(path, sizeof(path), "%s/c.sock", dir);
	write_file(path, "not a socket\n");
	snprintf(listen, sizeof(listen),
		 "\"unix:%s/a.sock\", \"unix:%s/b.sock\", \"unix:%s/c.sock\"",
		 dir, dir, dir);
	write_config(cfg, listen, "\"mac_table_size\": 5");
	ct_fails(c, "reload", NULL, "GenericError", "cannot listen on unix:");
	snprintf(url, sizeof(url), "unix:%s/b.sock", dir);
	cr_assert_null(
		ss_client_connect(url, 0),
		"the listener opened before the failure is closed again");
	st = ct_ok(c, "query-status", NULL);
	cr_assert_eq(ct_int(st, "counts.listeners"), 1);
	cr_assert_eq(ct_int(st, "params.mac_table_size"), 8192);
	json_decref(st);
	itest_join_one(&sw, &s[2], NULL, "C", 3, 0);
	itest_learn_all(s, 3, 1);
	ss_ctl_close(c);
	itest_stop(&sw);
}

Test(reload, moves_the_control_socket_and_keeps_its_clients)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_ctl *c, *c2;
	char cfg[512], dir[256] = "", listen[700], more[600], path[400];
	json_t *st;

	/* The control socket comes from the file (a flag would win). */
	snprintf(dir, sizeof(dir), "%s", ss_tmpdir());
	snprintf(more, sizeof(more), "\"control\": \"%s/ctl1.sock\"", dir);
	ss_daemon_auto_control = false;
	start_with_config(&sw, cfg, sizeof(cfg), dir, sizeof(dir), more);
	ss_daemon_auto_control = true;
	itest_join(&sw, s, 2);
	c = ct_connect(&sw);
	snprintf(listen, sizeof(listen), "\"unix:%s/a.sock\"", dir);
	snprintf(path, sizeof(path), "%s/ctl2.sock", dir);
	snprintf(more, sizeof(more), "\"control\": \"%s\"", path);
	write_config(cfg, listen, more);
	json_decref(ct_ok(c, "reload", NULL));
	cr_assert_neq(access(sw.d->ctl_path, F_OK), 0,
		      "the old control socket is removed");
	c2 = ss_ctl_connect(path, 0);
	cr_assert_not_null(c2, "the new control socket accepts");
	st = ct_ok(c2, "query-status", NULL);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(st, "control"), "path")),
			 path);
	json_decref(st);
	json_decref(ct_ok(c, "query-status", NULL)); /* old client stays */
	itest_ping(&s[0], &s[1], 1);
	ss_ctl_close(c);
	ss_ctl_close(c2);
	itest_stop(&sw);
}
