// SPDX-License-Identifier: MIT
/*
 * test_metrics.c - the Prometheus endpoint, scraped by the real curl
 *
 * A daemon runs with --metrics over TCP or a unix socket; stations send
 * known frames; curl, run exactly as the daemon's `metrics on' line says,
 * scrapes GET /metrics, and each counter must match what was sent. The
 * promtool suite feeds a scrape to `promtool check metrics'; ctest runs it
 * as its own test, skipped (77) where promtool is not installed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "iproc.h"
#include "itest.h"

TestSuite(metrics, .fini = ss_cleanup, .timeout = 90);
TestSuite(promtool, .fini = ss_cleanup, .timeout = 60);

#define CURL_TIMEOUT_MS 20000

/* Run curl as the `metrics on URL: curl ARGS' line says, plus @extra. */
static int curl_metrics(struct itest_sw *sw, const char *extra, char **text)
{
	const char *argv[16] = { "curl", "-sS", "--max-time", "10" };
	char line[1024], out[512], *cmd, *tok, *save = NULL;
	size_t n = 4;
	int rc;

	cr_assert(iproc_daemon_line(sw->d, "metrics on ", line, sizeof(line)),
		  "no `metrics on' line on the daemon's stdout");
	cmd = strstr(line, ": curl ");
	cr_assert_not_null(cmd, "`%s' should show a curl command", line);
	if (extra)
		argv[n++] = extra;
	for (tok = strtok_r(cmd + 7, " ", &save); tok && n < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/scrape.txt", sw->d->dir);
	rc = iproc_run(argv, NULL, out, CURL_TIMEOUT_MS);
	*text = iproc_read(out);
	cr_assert_not_null(*text, "cannot read %s", out);
	return rc;
}

static char *scrape(struct itest_sw *sw)
{
	char *text;
	int rc = curl_metrics(sw, NULL, &text);

	cr_assert_eq(rc, 0, "curl failed (%d): %s", rc, text);
	return text;
}

/* Value of the sample @name{port="@port",...} (or @name with no labels if
 * @port < 0) whose labels contain @label; -1 if there is none. */
static double metric(const char *text, const char *name, int port,
		     const char *label)
{
	char head[256];
	const char *p;
	size_t hl;

	if (port >= 0)
		snprintf(head, sizeof(head), "%s{port=\"%d\",", name, port);
	else
		snprintf(head, sizeof(head), "%s ", name);
	hl = strlen(head);
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *end = strchr(p, '\n');
		const char *val;

		if (strncmp(p, head, hl))
			continue;
		val = port >= 0 ? strstr(p, "} ") : p + hl - 1;
		if (!val || (end && val > end))
			continue;
		if (label && (!strstr(p, label) || strstr(p, label) > val))
			continue;
		return strtod(val + 1, NULL);
	}
	return -1;
}

static void expect_metric(const char *text, const char *name, int port,
			  const char *label, double want)
{
	double got = metric(text, name, port, label);

	cr_expect_eq(got, want, "%s{port=\"%d\"%s%s}: %g, expected %g", name,
		     port, label ? "," : "", label ? label : "", got, want);
}

Test(metrics, tcp_scrape_counts_what_stations_sent)
{
	static const char *const extra[] = { "--metrics", "tcp:127.0.0.1:0",
					     NULL };
	char label[64];
	struct itest_sta s[3];
	struct itest_sw sw;
	char *text;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1); /* one 64-byte broadcast each */
	/* A to itself: dropped as rx_local (its address is on its port). */
	itest_send(&s[0], s[0].mac, 9, 60);
	for (uint32_t i = 0; i < 5; i++) {
		itest_send(&s[0], s[1].mac, 10 + i, 100);
		itest_expect(&s[1], s[1].mac, &s[0], 10 + i, 100);
	}
	text = scrape(&sw);

	expect_metric(text, "sockswitch_ports", -1, NULL, 3);
	expect_metric(text, "sockswitch_mac_table_entries", -1, NULL, 3);
	expect_metric(text, "sockswitch_mac_table_capacity", -1, NULL, 8192);
	expect_metric(text, "sockswitch_port_rx_frames_total", s[0].port, NULL,
		      7);
	expect_metric(text, "sockswitch_port_rx_bytes_total", s[0].port, NULL,
		      64 + 60 + 500);
	expect_metric(text, "sockswitch_port_rx_broadcast_frames_total",
		      s[0].port, NULL, 1);
	expect_metric(text, "sockswitch_port_tx_frames_total", s[1].port, NULL,
		      7);
	expect_metric(text, "sockswitch_port_tx_bytes_total", s[1].port, NULL,
		      64 * 2 + 500);
	expect_metric(text, "sockswitch_port_tx_frames_total", s[2].port, NULL,
		      2);
	expect_metric(text, "sockswitch_port_mac_learned_total", s[2].port,
		      NULL, 1);
	expect_metric(text, "sockswitch_port_drops_total", s[0].port,
		      "reason=\"rx_local\"", 1);
	expect_metric(text, "sockswitch_port_drops_total", s[0].port,
		      "reason=\"tx_queue_full\"", 0);
	expect_metric(text, "sockswitch_port_up", s[1].port, NULL, 1);
	snprintf(label, sizeof(label), "name=\"p%d\",transport=\"unix\"",
		 s[1].port);
	expect_metric(text, "sockswitch_port_tx_frames_total", s[1].port, label,
		      7);
	cr_expect(metric(text, "sockswitch_uptime_seconds", -1, NULL) >= 0,
		  "no uptime");
	cr_expect(metric(text, "sockswitch_start_time_seconds", -1, NULL) >
			  1.5e9,
		  "start time should be seconds since the epoch");
	cr_expect_not_null(
		strstr(text,
		       "# TYPE sockswitch_port_rx_frames_total counter\n"),
		"counters need a TYPE line");
	cr_expect_not_null(strstr(text, "sockswitch_build_info{version=\""),
			   "no build info");
	free(text);

	/* A port that closes disappears from the next scrape. */
	ss_client_close(s[2].c);
	s[2].c = NULL;
	itest_wait_closed_log(&sw, &s[2], NULL, 0);
	text = scrape(&sw);
	expect_metric(text, "sockswitch_ports", -1, NULL, 2);
	expect_metric(text, "sockswitch_port_rx_frames_total", s[2].port, NULL,
		      -1);
	free(text);
	itest_stop(&sw);
}

Test(metrics, unix_socket_scrape)
{
	static const char *const extra[] = { "--metrics",
					     "unix:@DIR@/metrics.sock", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	char path[512];
	struct stat st;
	char *text;

	itest_start(&sw, TP_TCP4, extra);
	snprintf(path, sizeof(path), "%s/metrics.sock", sw.d->dir);
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_expect(S_ISSOCK(st.st_mode), "%s should be a socket", path);
	cr_expect_eq(st.st_mode & 0777, 0600, "mode %o, expected 0600",
		     (unsigned)(st.st_mode & 0777));
	itest_join(&sw, s, 2);
	itest_ping(&s[0], &s[1], 1);
	text = scrape(&sw);
	expect_metric(text, "sockswitch_port_rx_frames_total", s[0].port,
		      "transport=\"tcp\"", 1);
	expect_metric(text, "sockswitch_port_rx_bytes_total", s[1].port, NULL,
		      100);
	expect_metric(text, "sockswitch_port_tx_frames_total", s[1].port, NULL,
		      1);
	free(text);
	itest_stop(&sw);
	cr_expect_neq(stat(path, &st), 0, "%s should be gone after exit", path);
}

Test(metrics, wrong_path_and_method_are_refused)
{
	static const char *const extra[] = { "--metrics", "tcp:127.0.0.1:0",
					     NULL };
	struct itest_sw sw;
	char line[1024], url[256], out[512];
	const char *argv[12];
	char *text;
	unsigned port;
	int rc;

	itest_start(&sw, TP_UNIX, extra);
	cr_assert(iproc_daemon_line(sw.d, "metrics on tcp:127.0.0.1:", line,
				    sizeof(line)));
	cr_assert_eq(sscanf(line, "metrics on tcp:127.0.0.1:%u", &port), 1);
	snprintf(out, sizeof(out), "%s/curl.txt", sw.d->dir);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	argv[0] = "curl", argv[1] = "-s", argv[2] = "-o", argv[3] = "/dev/null";
	argv[4] = "-w", argv[5] = "%{http_code}", argv[6] = url;
	argv[7] = NULL;
	rc = iproc_run(argv, NULL, out, CURL_TIMEOUT_MS);
	text = iproc_read(out);
	cr_expect(rc == 0 && text && !strcmp(text, "404"), "GET /: %s",
		  text ? text : "?");
	free(text);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
	argv[7] = "-d", argv[8] = "x=1", argv[9] = NULL;
	rc = iproc_run(argv, NULL, out, CURL_TIMEOUT_MS);
	text = iproc_read(out);
	cr_expect(rc == 0 && text && !strcmp(text, "405"), "POST: %s",
		  text ? text : "?");
	free(text);
	itest_stop(&sw);
}

static int tcp_connect(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Slowloris: 40 connections (more than the cap of 16) that send half a
 * request and then nothing, held open. Forwarding goes on, a real scrape
 * still gets through within a few seconds while they are held (the oldest
 * connection without a complete request makes room for a new one), a
 * half-sent request is cut off, and a scrape works afterwards.
 */
Test(metrics, idle_clients_are_bounded)
{
	static const char *const extra[] = { "--metrics", "tcp:127.0.0.1:0",
					     NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	char line[1024], buf[64];
	int fds[40];
	unsigned port;
	int64_t t0, took;
	char *text;
	ssize_t r;

	itest_start(&sw, TP_UNIX, extra);
	cr_assert(iproc_daemon_line(sw.d, "metrics on tcp:127.0.0.1:", line,
				    sizeof(line)));
	cr_assert_eq(sscanf(line, "metrics on tcp:127.0.0.1:%u", &port), 1);
	itest_join(&sw, s, 2);
	for (int i = 0; i < 40; i++) {
		fds[i] = tcp_connect(port);
		cr_assert_geq(fds[i], 0, "connect %d: %s", i, strerror(errno));
		cr_assert_eq(write(fds[i], "GET /metr", 9), 9);
	}
	itest_ping(&s[0], &s[1], 1);
	t0 = ss_now_ms();
	text = scrape(&sw);
	took = ss_now_ms() - t0;
	expect_metric(text, "sockswitch_port_rx_frames_total", s[0].port, NULL,
		      1);
	free(text);
	cr_expect_lt(took, 3000,
		     "a scrape behind 40 slowloris connections took %lld ms",
		     (long long)took);
	/* A half-sent request is cut off (made room for, or timed out). */
	{
		struct timeval tv = { .tv_sec = 20 };

		setsockopt(fds[39], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		r = read(fds[39], buf, sizeof(buf));
		cr_expect_leq(r, 0, "a half-sent request should be cut off");
	}
	for (int i = 0; i < 40; i++)
		close(fds[i]);
	itest_ping(&s[0], &s[1], 3);
	text = scrape(&sw);
	expect_metric(text, "sockswitch_port_rx_frames_total", s[0].port, NULL,
		      2);
	free(text);
	itest_stop(&sw);
}

Test(promtool, scrape_passes_promtool_check_metrics)
{
	static const char *const extra[] = { "--metrics", "tcp:127.0.0.1:0",
					     NULL };
	static const char *const argv[] = { "promtool", "check", "metrics",
					    NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	char in[512], out[512];
	char *text, *verdict;
	int rc;

	if (!iproc_have("promtool"))
		cr_skip_test(
			"promtool (Debian package prometheus) is not installed");
	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	itest_send(&s[0], s[0].mac, 5, 60); /* a drop */
	itest_ping(&s[0], &s[1], 6);
	text = scrape(&sw);
	cr_assert_gt(metric(text, "sockswitch_port_rx_frames_total", s[0].port,
			    NULL),
		     0, "the scrape should have port series");
	free(text);
	snprintf(in, sizeof(in), "%s/scrape.txt", sw.d->dir);
	snprintf(out, sizeof(out), "%s/promtool.txt", sw.d->dir);
	rc = iproc_run(argv, in, out, CURL_TIMEOUT_MS);
	verdict = iproc_read(out);
	cr_expect_eq(rc, 0, "promtool check metrics failed (%d):\n%s", rc,
		     verdict ? verdict : "");
	cr_expect(verdict && !*verdict,
		  "promtool should have nothing to say, said:\n%s", verdict);
	free(verdict);
	itest_stop(&sw);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* A reload moves the endpoint from TCP to a unix socket; a reload that
 * cannot bind the new address changes nothing. */
Test(metrics, reload_moves_the_endpoint)
{
	const char *dir = ss_tmpdir();
	const char *args[] = { "--config", NULL, NULL };
	char conf[512], sock[512], text[1024], line[1024];
	struct itest_sta s[2];
	struct itest_sw sw;
	struct stat st;
	size_t pos;
	char *scr;

	cr_assert_not_null(dir);
	snprintf(conf, sizeof(conf), "%s/sw.json", dir);
	snprintf(sock, sizeof(sock), "%s/metrics.sock", dir);
	write_file(conf, "{\"metrics\": \"tcp:127.0.0.1:0\"}\n");
	args[1] = conf;
	itest_start(&sw, TP_UNIX, args);
	itest_join(&sw, s, 2);
	itest_ping(&s[0], &s[1], 1);
	scr = scrape(&sw);
	expect_metric(scr, "sockswitch_port_rx_frames_total", s[0].port, NULL,
		      1);
	free(scr);

	snprintf(text, sizeof(text), "{\"metrics\": \"unix:%s\"}\n", sock);
	write_file(conf, text);
	pos = ss_daemon_log_end(sw.d);
	cr_assert_eq(kill(sw.d->pid, SIGHUP), 0);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "metrics now on unix:",
					line, sizeof(line), SS_TIMEOUT_MS),
		     0, "the reload should move the endpoint");
	cr_assert_eq(stat(sock, &st), 0, "%s: %s", sock, strerror(errno));
	itest_ping(&s[0], &s[1], 3);
	{
		const char *argv[] = { "curl",
				       "-sS",
				       "--max-time",
				       "10",
				       "--unix-socket",
				       sock,
				       "http://localhost/metrics",
				       NULL };
		char out[600];
		int rc;

		snprintf(out, sizeof(out), "%s/scrape2.txt", dir);
		rc = iproc_run(argv, NULL, out, CURL_TIMEOUT_MS);
		scr = iproc_read(out);
		cr_assert_eq(rc, 0, "curl on the new socket: %s", scr);
		expect_metric(scr, "sockswitch_port_rx_frames_total", s[0].port,
			      NULL, 2);
		free(scr);
	}

	/* Not an address it can serve: the reload fails, the socket stays. */
	write_file(conf, "{\"metrics\": \"tcp:192.0.2.1:1\"}\n");
	cr_assert_eq(kill(sw.d->pid, SIGHUP), 0);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "metrics: cannot serve",
					line, sizeof(line), SS_TIMEOUT_MS),
		     0, "a reload that cannot bind should say so");
	itest_ping(&s[0], &s[1], 5);
	cr_expect_eq(stat(sock, &st), 0, "the old endpoint must stay");
	itest_stop(&sw);
}

/* Reload outcomes reach metrics through the daemon's events: a reload that
 * applies counts as one, a broken config as a failure that flips the
 * last-reload gauge to 0 until the next good one. */
Test(metrics, reload_outcomes_are_counted)
{
	const char *dir = ss_tmpdir();
	const char *args[] = { "--config", NULL, NULL };
	char conf[512], line[1024];
	struct itest_sw sw;
	size_t pos;
	char *scr;

	cr_assert_not_null(dir);
	snprintf(conf, sizeof(conf), "%s/sw.json", dir);
	write_file(conf, "{\"metrics\": \"tcp:127.0.0.1:0\"}\n");
	args[1] = conf;
	itest_start(&sw, TP_UNIX, args);
	scr = scrape(&sw);
	expect_metric(scr, "sockswitch_config_reloads_total", -1, NULL, 0);
	expect_metric(scr, "sockswitch_config_reload_failures_total", -1, NULL,
		      0);
	expect_metric(scr, "sockswitch_config_last_reload_successful", -1, NULL,
		      1);
	free(scr);

	pos = ss_daemon_log_end(sw.d);
	cr_assert_eq(kill(sw.d->pid, SIGHUP), 0);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "reload (SIGHUP): ", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "the reload should be logged");
	scr = scrape(&sw);
	expect_metric(scr, "sockswitch_config_reloads_total", -1, NULL, 1);
	expect_metric(scr, "sockswitch_config_last_reload_successful", -1, NULL,
		      1);
	free(scr);

	write_file(conf, "{\"metrics\": \"tcp:127.0.0.1:0\",\n");
	cr_assert_eq(kill(sw.d->pid, SIGHUP), 0);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "reload (SIGHUP) failed",
					line, sizeof(line), SS_TIMEOUT_MS),
		     0, "a broken config should fail the reload");
	scr = scrape(&sw);
	expect_metric(scr, "sockswitch_config_reloads_total", -1, NULL, 1);
	expect_metric(scr, "sockswitch_config_reload_failures_total", -1, NULL,
		      1);
	expect_metric(scr, "sockswitch_config_last_reload_successful", -1, NULL,
		      0);
	free(scr);
	itest_stop(&sw);
}
