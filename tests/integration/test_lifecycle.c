// SPDX-License-Identifier: MIT
/*
 * test_lifecycle.c - daemon start, stop, socket files and connection logs
 *
 * SIGTERM must exit 0 and remove the unix socket files the daemon made; a
 * second daemon on a path that is in use must refuse to start without
 * disturbing the first; a stale socket file from a killed daemon is
 * replaced; connects and disconnects are logged with the peer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "itest.h"

TestSuite(lifecycle, .fini = ss_cleanup, .timeout = 60);

static bool is_socket(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void expect_clean_exit(struct ss_daemon *d)
{
	struct itest_sw sw = { .d = d };

	itest_stop(&sw);
}

Test(lifecycle, sigterm_exits_0_and_removes_its_socket_files)
{
	static const char *const extra[] = { "--listen", "unix:@DIR@/two.sock",
					     "--listen", "tcp:127.0.0.1:0",
					     NULL };
	char path[300], path2[300];
	struct itest_sta s[2];
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	snprintf(path, sizeof(path), "%s/sw.sock", sw.d->dir);
	snprintf(path2, sizeof(path2), "%s/two.sock", sw.d->dir);
	cr_assert(is_socket(path), "%s should be a socket while running", path);
	cr_assert(is_socket(path2), "%s should be a socket while running",
		  path2);
	itest_join(&sw, s, 2);
	itest_ping(&s[0], &s[1], 1);

	expect_clean_exit(sw.d);
	cr_assert(access(path, F_OK) < 0 && errno == ENOENT,
		  "%s should be removed at exit", path);
	cr_assert(access(path2, F_OK) < 0 && errno == ENOENT,
		  "%s should be removed at exit", path2);
	cr_assert_eq(ss_wait_eof(s[0].c, SS_TIMEOUT_MS), 0,
		     "clients should see the connection closed");
}

Test(lifecycle, second_daemon_on_the_same_path_is_refused)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	struct ss_daemon *d2;
	const char *args[3] = { "--listen", NULL, NULL };
	char url[300], *log;

	itest_start(&sw, TP_UNIX, NULL);
	itest_join(&sw, s, 1);
	snprintf(url, sizeof(url), "unix:%s/sw.sock", sw.d->dir);
	args[1] = url;
	d2 = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(d2);
	log = ss_daemon_log(d2);
	cr_log_info("second daemon said: %s", log);
	cr_assert_not(d2->ready, "a second daemon on %s must not start", url);
	cr_assert(WIFEXITED(d2->status) && WEXITSTATUS(d2->status) != 0,
		  "second daemon should exit non-zero by itself (status 0x%x)",
		  d2->status);
	cr_assert_not_null(strstr(log, url + 5),
			   "the refusal should name the path: `%s'", log);
	free(log);

	/* The first daemon still owns the path and still forwards. */
	cr_assert(is_socket(url + 5));
	itest_join_one(&sw, &s[1], NULL, "B", 2, 0);
	itest_ping(&s[0], &s[1], 1);
	expect_clean_exit(sw.d);
}

Test(lifecycle, stale_socket_file_is_replaced)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *dir = ss_tmpdir();
	const char *args[3] = { "--listen", NULL, NULL };
	struct itest_sta s[2];
	struct itest_sw sw = { .tp = TP_UNIX };
	char url[300];
	int fd;

	cr_assert_not_null(dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/stale.sock", dir);
	/* What a SIGKILLed daemon leaves behind: a socket file nobody
	 * listens on. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	cr_assert(is_socket(sun.sun_path));

	snprintf(url, sizeof(url), "unix:%s", sun.sun_path);
	args[1] = url;
	sw.d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(sw.d);
	if (!sw.d->ready)
		itest_dump_log(sw.d);
	cr_assert(sw.d->ready, "daemon should replace the stale %s",
		  sun.sun_path);
	sw.url = url;
	itest_join(&sw, s, 2);
	itest_ping(&s[0], &s[1], 1);
	expect_clean_exit(sw.d);
	cr_assert(access(sun.sun_path, F_OK) < 0,
		  "%s should be removed at exit", sun.sun_path);
}

ParameterizedTestParameters(lifecycle, connect_and_close_are_logged_with_peer)
{
	static enum itest_tp tps[] = { TP_UNIX, TP_TCP4, TP_TCP6 };

	return cr_make_param_array(enum itest_tp, tps, 3);
}

ParameterizedTest(enum itest_tp *tp, lifecycle,
		  connect_and_close_are_logged_with_peer)
{
	char want[2][64], line[2048], closed[2048];
	struct itest_sta s;
	struct itest_sw sw;
	size_t pos = 0;

	itest_skip_unavailable(*tp);
	itest_start(&sw, *tp, NULL);
	itest_join_one(&sw, &s, NULL, "A", 1, 0);
	if (*tp == TP_UNIX) {
		snprintf(want[0], sizeof(want[0]), "pid=%d", (int)getpid());
		snprintf(want[1], sizeof(want[1]), "uid=%d", (int)getuid());
	} else {
		snprintf(want[0], sizeof(want[0]), "%s",
			 *tp == TP_TCP4 ? "127.0.0.1" : "::1");
		snprintf(want[1], sizeof(want[1]), ":%d", ss_local_port(s.c));
	}
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, LOG_CONNECTED, line,
					sizeof(line), SS_TIMEOUT_MS),
		     0);
	for (size_t i = 0; i < 2; i++)
		cr_assert_not_null(
			strstr(line, want[i]),
			"connect line should name the peer (%s): `%s'", want[i],
			line);
	cr_assert_eq(ss_log_port(line), s.port);

	ss_client_close(s.c);
	s.c = NULL;
	itest_wait_closed_log(&sw, &s, closed, sizeof(closed));
	for (size_t i = 0; i < 2; i++)
		cr_assert_not_null(strstr(closed, want[i]),
				   "close line should name the peer (%s): `%s'",
				   want[i], closed);
	itest_stop(&sw);
}
