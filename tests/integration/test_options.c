// SPDX-License-Identifier: MIT
/*
 * test_options.c - daemon options against the real binary: the embedded
 * default, socket modes, ageing, config file vs flags, a broken config,
 * and --daemon with --pidfile
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "iproc.h"
#include "itest.h"

/* A --daemon child is not our child: remember it to end it by its pid. */
static pid_t daemon_pid;

static void options_fini(void)
{
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	ss_cleanup();
}

TestSuite(options, .fini = options_fini, .timeout = 60);

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static bool tcp_port_free(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	bool ok;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

Test(options, no_arguments_runs_on_the_embedded_default)
{
	char xdg[300], dir[340], sock[360];
	struct itest_sw sw = { 0 };
	struct itest_sta s[2];
	struct stat st;
	const char *url;

	if (!tcp_port_free(1234))
		cr_skip_test(
			"127.0.0.1:1234 is in use here; the default cannot be tested");
	snprintf(xdg, sizeof(xdg), "%s/xdg", ss_tmpdir());
	cr_assert_eq(mkdir(xdg, 0700), 0, "%s: %s", xdg, strerror(errno));
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	sw.d = ss_daemon_start(NULL, SS_TIMEOUT_MS);
	cr_assert(sw.d && sw.d->ready,
		  "the daemon must start with no arguments");
	snprintf(dir, sizeof(dir), "%s/sockswitch", xdg);
	snprintf(sock, sizeof(sock), "%s/switch.sock", dir);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "socket dir mode %o",
		     st.st_mode & 07777);
	cr_assert_eq(stat(sock, &st), 0, "%s: %s", sock, strerror(errno));
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "socket mode %o",
		     st.st_mode & 0777);
	url = ss_daemon_url(sw.d, "tcp:");
	cr_assert_str_eq(url, "tcp:127.0.0.1:1234",
			 "default TCP listener is loopback:1234");
	/* Both default listeners are one LAN. */
	sw.url = ss_daemon_url(sw.d, "unix:");
	cr_assert_not_null(sw.url);
	sw.tp = TP_UNIX;
	itest_join_one(&sw, &s[0], NULL, "A", 1, 0);
	itest_join_one(&sw, &s[1], "tcp:127.0.0.1:1234", "B", 2, 0);
	itest_learn_all(s, 2, 1);
	itest_ping(&s[0], &s[1], 10);
	itest_stop(&sw);
	cr_assert_neq(stat(sock, &st), 0,
		      "the socket file must be removed at exit");
}

Test(options, socket_mode_flag_sets_unix_socket_permissions)
{
	static const char *const extra[] = { "--socket-mode", "0660", NULL };
	struct itest_sw sw;
	struct stat st;

	itest_start(&sw, TP_UNIX, extra);
	cr_assert_eq(stat(sw.url + 5, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0660, "socket mode %o",
		     st.st_mode & 0777);
	itest_stop(&sw);
}

Test(options, ageing_flag_forgets_idle_addresses)
{
	static const char *const extra[] = { "--ageing", "1", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	/* Learned: A -> C reaches C only (B sees the barrier first). */
	itest_send(&s[0], s[2].mac, 10, 80);
	itest_expect(&s[2], s[2].mac, &s[0], 10, 80);
	/* C stays quiet past the ageing time: its address is forgotten and
	 * frames to it are flooded again, so B sees one. */
	usleep(1600 * 1000);
	itest_send(&s[0], s[2].mac, 11, 80);
	itest_expect(&s[1], s[2].mac, &s[0], 11, 80);
	itest_expect(&s[2], s[2].mac, &s[0], 11, 80);
	itest_stop(&sw);
}

Test(options, config_file_is_applied_and_flags_override_it)
{
	char cfg[300];
	const char *with_file[] = { "--config", cfg, NULL };
	const char *with_flag[] = { "--config", cfg, "--max-ports", "3", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_client *c;

	snprintf(cfg, sizeof(cfg), "%s/two.json", ss_tmpdir());
	write_file(cfg, "{\n  \"max_ports\": 2,\n  \"ageing\": 60\n}\n");
	itest_start(&sw, TP_UNIX, with_file);
	itest_join(&sw, s, 2);
	c = ss_client_connect(sw.url, 0);
	cr_assert_not_null(c);
	cr_assert_eq(ss_wait_eof(c, SS_TIMEOUT_MS), 0,
		     "max_ports 2 from the file must refuse a third client");
	ss_client_close(c);
	itest_stop(&sw);

	itest_start(&sw, TP_UNIX, with_flag);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	itest_ping(&s[2], &s[0], 20);
	itest_stop(&sw);
}

Test(options, broken_config_stops_the_daemon_with_its_position)
{
	char cfg[300], *log;
	const char *args[] = { "--config", cfg, NULL };
	struct ss_daemon *d;

	snprintf(cfg, sizeof(cfg), "%s/bad.json", ss_tmpdir());
	write_file(cfg,
		   "{\n  \"max_ports\": 2,\n  \"mac_table_sise\": 10\n}\n");
	d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(d);
	cr_assert(!d->ready, "a broken config must not start the switch");
	cr_assert_eq(ss_daemon_wait_exit(d, SS_TIMEOUT_MS), 0);
	cr_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 1,
		  "exit status 0x%x", d->status);
	log = ss_daemon_log(d);
	cr_assert_not_null(strstr(log, ":3:3: $.mac_table_sise"),
			   "the error must name line, column and path: %s",
			   log);
	free(log);
}

static pid_t read_pidfile(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

Test(options, daemon_mode_detaches_writes_pidfile_and_cleans_up)
{
	char sock[300], pidf[300], url[320];
	struct itest_sta s[2];
	struct stat st;
	int status, i;
	pid_t child;

	snprintf(sock, sizeof(sock), "%s/d.sock", ss_tmpdir());
	snprintf(pidf, sizeof(pidf), "%s/d.pid", ss_tmpdir());
	snprintf(url, sizeof(url), "unix:%s", sock);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		execl(ss_daemon_bin(), "sockswitch", "--daemon", "--pidfile",
		      pidf, "--listen", url, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(
		WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"sockswitch --daemon must exit 0 once the switch is up (0x%x)",
		status);
	daemon_pid = read_pidfile(pidf);
	cr_assert_gt(daemon_pid, 0,
		     "the pidfile must exist when --daemon returns");
	cr_assert_neq(daemon_pid, child, "the switch runs in a detached child");
	cr_assert_eq(kill(daemon_pid, 0), 0, "pid %d must be running",
		     daemon_pid);
	cr_assert_eq(stat(sock, &st), 0,
		     "the socket must exist when --daemon returns");

	for (i = 0; i < 2; i++) {
		s[i].c = ss_client_connect(url, 0);
		cr_assert_not_null(s[i].c);
		ss_mac(s[i].mac, (unsigned)i + 1);
		snprintf(s[i].name, sizeof(s[i].name), "%c", 'A' + i);
	}
	/* The daemon logs to syslog, so no "connected" line to wait for: A
	 * broadcasts until B, once attached, hears one (bounded). */
	for (i = 1; i <= 100; i++) {
		const uint8_t *f;
		size_t flen;

		itest_send(&s[0], itest_bcast, (uint32_t)i, 64);
		if (ss_recv_frame(s[1].c, &f, &flen, 50) == 0)
			break;
	}
	cr_assert_leq(i, 100, "B never heard A through the daemonized switch");
	itest_send(&s[1], itest_bcast, 200, 64);
	itest_skip_to_seq(&s[0], 200);
	itest_send(&s[0], s[1].mac, 300, 100);
	itest_skip_to_seq(&s[1], 300);
	itest_send(&s[1], s[0].mac, 301, 100);
	itest_skip_to_seq(&s[0], 301);
	ss_client_close(s[0].c);
	ss_client_close(s[1].c);

	cr_assert_eq(kill(daemon_pid, SIGTERM), 0);
	for (i = 0; i < 500 && kill(daemon_pid, 0) == 0; i++)
		usleep(10 * 1000);
	cr_assert_neq(kill(daemon_pid, 0), 0, "SIGTERM must stop the daemon");
	daemon_pid = 0;
	cr_assert_neq(stat(sock, &st), 0, "socket removed at exit");
	cr_assert_neq(stat(pidf, &st), 0, "pidfile removed at exit");
}

Test(options, debug_log_level_logs_mac_learning)
{
	static const char *const extra[] = { "-v", "-v", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	char line[512];

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, "learned on port", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "-vv must log learned addresses");
	cr_assert_not_null(strstr(line, "debug:"), "`%s'", line);
	itest_stop(&sw);
}

Test(options, verbose_once_is_debug_and_quiet_hides_info)
{
	static const char *const verbose[] = { "-v", NULL };
	static const char *const quiet[] = { "-q", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	char *log;

	itest_start(&sw, TP_UNIX, verbose);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, "debug:", NULL, 0,
					SS_TIMEOUT_MS),
		     0, "one -v must log debug messages");
	itest_stop(&sw);

	/* Stopping logs two info lines ("signal 15: stopping", "stopped"). */
	itest_start(&sw, TP_UNIX, quiet);
	itest_stop(&sw);
	log = ss_daemon_log(sw.d);
	cr_assert_null(strstr(log, "info:"), "-q: no info lines:\n%s", log);
	free(log);
}

Test(options, journal_stream_gets_priority_prefixes)
{
	char dir[300], outp[340], js[64], url[340], *log = NULL;
	const char *argv[] = { ss_daemon_bin(), "--listen", url,
			       "--control",	"none",	    NULL };
	struct stat st;
	int i, fd, rc;

	snprintf(dir, sizeof(dir), "%s", ss_tmpdir());
	snprintf(outp, sizeof(outp), "%s/journal", dir);
	snprintf(url, sizeof(url), "unix:%s/sw.sock", dir);
	fd = open(outp, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(stat(outp, &st), 0);
	/* What systemd sets: the dev:ino of the stream it gave us. */
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	daemon_pid = iproc_spawn(argv, NULL, outp);
	unsetenv("JOURNAL_STREAM");
	cr_assert_gt(daemon_pid, 0);
	/* Up to 20 s: an ASan build on a loaded machine starts slowly, and
	 * a SIGTERM before the handlers are in place kills it (-1). */
	for (i = 0; i < 2000; i++) {
		free(log);
		log = iproc_read(outp);
		if (log &&
		    (strstr(log, "\nready") || !strncmp(log, "ready", 5)))
			break;
		usleep(10 * 1000);
	}
	free(log);
	log = NULL;
	cr_assert_lt(i, 2000, "not ready in 20 s");
	kill(daemon_pid, SIGTERM);
	rc = iproc_wait(daemon_pid, SS_TIMEOUT_MS);
	daemon_pid = 0;
	cr_assert_eq(rc, 0, "exit status %d", rc);
	log = iproc_read(outp);
	cr_assert_not_null(log);
	cr_assert_not_null(strstr(log, "<6>signal 15: stopping"),
			   "info lines start with <6> under the journal:\n%s",
			   log);
	cr_assert_null(strstr(log, "sockswitch: info:"),
		       "no text level under the journal:\n%s", log);
	free(log);
}

static void write_pid(const char *path, long pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld\n", pid);
	write_file(path, text);
}

Test(options, pidfile_is_locked_not_trusted)
{
	char pidf[300], *log;
	const char *args[] = { "--listen", "unix:@DIR@/sw.sock", "--pidfile",
			       pidf, NULL };
	const char *args2[] = { "--listen", "unix:@DIR@/other.sock",
				"--pidfile", pidf, NULL };
	struct itest_sw sw;
	struct ss_daemon *d2;
	struct stat st;

	snprintf(pidf, sizeof(pidf), "%s/sw.pid", ss_tmpdir());
	/* A stale pidfile naming a live, unrelated process: ourselves. */
	write_pid(pidf, (long)getpid());
	itest_start_argv(&sw, TP_UNIX, args);
	cr_assert_eq(read_pidfile(pidf), sw.d->pid,
		     "the pidfile names the new switch");

	d2 = ss_daemon_start(args2, SS_TIMEOUT_MS);
	cr_assert_not_null(d2);
	cr_assert_not(d2->ready, "a second switch on the same pidfile");
	cr_assert(WIFEXITED(d2->status) && WEXITSTATUS(d2->status) == 1,
		  "exit status 0x%x", d2->status);
	cr_assert_eq(d2->nurl, 0, "refused before listening on anything");
	log = ss_daemon_log(d2);
	cr_assert_not_null(strstr(log, "is locked by another sockswitch"), "%s",
			   log);
	free(log);
	cr_assert_eq(read_pidfile(pidf), sw.d->pid, "the pidfile is kept");
	itest_stop(&sw);
	cr_assert_neq(stat(pidf, &st), 0, "pidfile removed at exit");
}

/* A pidfile that cannot be made (a missing directory is made: here a
 * file stands where the directory would be) stops the start before any
 * listener, with the cause. */
Test(options, unusable_pidfile_fails_before_listening)
{
	static const char *const args[] = { "--listen", "unix:@DIR@/sw.sock",
					    "--pidfile", "/dev/null/pid",
					    NULL };
	struct ss_daemon *d = ss_daemon_start(args, SS_TIMEOUT_MS);
	char *log;

	cr_assert_not_null(d);
	cr_assert_not(d->ready);
	cr_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 1,
		  "exit status 0x%x", d->status);
	cr_assert_eq(d->nurl, 0, "no `listening on' line before the error");
	log = ss_daemon_log(d);
	cr_assert_not_null(
		strstr(log,
		       "error: cannot create the directory for the pidfile /dev/null/pid"),
		"%s", log);
	cr_assert_not_null(strstr(log, "Not a directory"), "%s", log);
	free(log);
}

Test(options, taken_control_socket_suggests_control)
{
	const char *args[] = { "--listen", "unix:@DIR@/b.sock", "--control",
			       NULL, NULL };
	struct itest_sw sw;
	struct ss_daemon *d2;
	char *log;

	itest_start(&sw, TP_UNIX, NULL);
	args[3] = sw.d->ctl_path;
	d2 = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(d2);
	cr_assert_not(d2->ready);
	cr_assert(WIFEXITED(d2->status) && WEXITSTATUS(d2->status) == 1,
		  "exit status 0x%x", d2->status);
	log = ss_daemon_log(d2);
	cr_assert_not_null(strstr(log, "--control PATH"), "%s", log);
	cr_assert_not_null(strstr(log, "--control none"), "%s", log);
	cr_assert_null(strstr(log, "--listen"), "not --listen: %s", log);
	free(log);
	itest_stop(&sw);
}

Test(options, socket_in_a_directory_we_cannot_enter_names_it)
{
	char locked[300], url[340], *log;
	const char *args[] = { "--listen", url, NULL };
	struct ss_daemon *d;

	if (geteuid() == 0)
		cr_skip_test("root enters every directory; run as a user");
	snprintf(locked, sizeof(locked), "%s/locked", ss_tmpdir());
	cr_assert_eq(mkdir(locked, 0), 0, "%s: %s", locked, strerror(errno));
	snprintf(url, sizeof(url), "unix:%s/sw.sock", locked);
	d = ss_daemon_start(args, SS_TIMEOUT_MS);
	chmod(locked, 0700); /* so that cleanup can remove it */
	cr_assert_not_null(d);
	cr_assert_not(d->ready);
	cr_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 1,
		  "exit status 0x%x", d->status);
	log = ss_daemon_log(d);
	cr_assert_not_null(strstr(log, "Permission denied"), "%s", log);
	cr_assert_not_null(strstr(log, "cannot enter the directory"), "%s",
			   log);
	cr_assert_not_null(strstr(log, locked), "names %s: %s", locked, log);
	free(log);
}

/*
 * Copy the value of @key (up to the next ',' or space) from @line into
 * @val, e.g. "mac=" from a "listening on ... qemu: ..." line.
 */
static bool qemu_value(const char *line, const char *key, char *val, size_t len)
{
	const char *p = strstr(line, key);

	if (!p)
		return false;
	p += strlen(key);
	snprintf(val, len, "%.*s", (int)strcspn(p, ", "), p);
	return true;
}

/* Three QEMU lines pasted for three guests must not give them one MAC. */
Test(options, every_qemu_line_suggests_its_own_mac_and_netdev_id)
{
	const char *args[] = { "--listen", "unix:@DIR@/a.sock",
			       "--listen", "tcp:127.0.0.1:0",
			       "--listen", "vde:@DIR@/v",
			       NULL };
	char mac[3][32], id[3][16], dev[3][16];
	struct ss_daemon *d;
	char *out, *line, *nl;
	size_t n = 0, i, j;

	d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert(d && d->ready, "the daemon must start");
	out = iproc_read(d->out_path);
	cr_assert_not_null(out);
	for (line = out; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (!strstr(line, "  qemu: -netdev "))
			continue;
		cr_assert_lt(n, 3u, "more QEMU lines than listeners");
		cr_assert(qemu_value(line, ",mac=", mac[n], sizeof(mac[n])),
			  "no mac= in `%s'", line);
		cr_assert(qemu_value(line, ",id=", id[n], sizeof(id[n])),
			  "no id= in `%s'", line);
		cr_assert(qemu_value(line, "netdev=", dev[n], sizeof(dev[n])),
			  "no netdev= in `%s'", line);
		cr_assert_str_eq(id[n], dev[n], "-device names its -netdev");
		cr_assert_not_null(
			strstr(line, "  (give each guest its own mac=)"),
			"`%s'", line);
		n++;
	}
	free(out);
	cr_assert_eq(n, 3u, "one QEMU line per listener, not %zu", n);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			cr_assert_str_neq(mac[i], mac[j], "lines %zu and %zu",
					  i, j);
			cr_assert_str_neq(id[i], id[j], "lines %zu and %zu", i,
					  j);
		}
	cr_assert_str_eq(mac[0], "52:54:00:12:34:01");
	ss_daemon_stop(d, SS_TIMEOUT_MS);
}
