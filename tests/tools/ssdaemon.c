// SPDX-License-Identifier: MIT
/*
 * ssdaemon.c - start, watch and stop the real sockswitch daemon in tests
 *
 * The binary comes from $SOCKSWITCH_BIN. Each daemon runs in the
 * foreground in its own temporary directory with stdout and stderr in
 * files there; we wait (bounded) for its `ready' line and read the real
 * listener URLs from its `listening on' lines. Every daemon is recorded so
 * ss_cleanup() can kill it after a failed test, and the child asks the
 * kernel to SIGKILL it if the test process dies without cleaning up.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ssclient.h"

#define SS_MAX_DAEMONS 16
#define SS_MAX_TMPDIRS 16
#define SS_MAX_ARGS 64
#define SS_POLL_MS 5

/* If > 0, the next daemons start with this open file limit (soft and
 * hard), to test what happens when accept() runs out of descriptors. */
int ss_daemon_nofile;

/* If true (the default), every daemon gets --control @DIR@/control.sock
 * before the test's own arguments, so no test touches the user's default
 * control socket; a test's own --control wins (it comes later). */
bool ss_daemon_auto_control = true;

static struct ss_daemon *daemons[SS_MAX_DAEMONS];
static char *tmpdirs[SS_MAX_TMPDIRS];

static void nap(void)
{
	poll(NULL, 0, SS_POLL_MS);
}

/**
 * ss_tmpdir() - create a private temporary directory, removed by cleanup
 *
 * Return: its path (owned by the registry), or NULL with errno set
 */
const char *ss_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[256];

	if (!base || !*base || strlen(base) > 100)
		base = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/ssit.XXXXXX", base);
	if (!mkdtemp(tmpl))
		return NULL;
	for (size_t i = 0; i < SS_MAX_TMPDIRS; i++) {
		if (!tmpdirs[i]) {
			tmpdirs[i] = strdup(tmpl);
			if (!tmpdirs[i])
				break;
			return tmpdirs[i];
		}
	}
	rmdir(tmpl);
	errno = ENOSPC;
	return NULL;
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/*
 * Remove @dir and everything under it: the daemon's sockets, and the
 * directories a test or the daemon made inside (an XDG_RUNTIME_DIR with
 * its sockswitch/ socket directory, a vde: listener's directory).
 */
static void rm_tree(const char *dir)
{
	if (getenv("SSCLIENT_KEEP")) {
		fprintf(stderr, "ssclient: keeping %s\n", dir);
		return;
	}
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whole file as a NUL-terminated string; NULL if unreadable. */
static char *slurp(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/**
 * ss_daemon_bin() - path of the daemon under test
 *
 * Return: $SOCKSWITCH_BIN, or NULL if it is not set
 */
const char *ss_daemon_bin(void)
{
	const char *bin = getenv("SOCKSWITCH_BIN");

	return bin && *bin ? bin : NULL;
}

/* Copy @arg replacing each "@DIR@" with @dir. */
static char *subst_dir(const char *arg, const char *dir)
{
	size_t n = 1;
	char *out, *o;

	for (const char *p = arg; *p; p++)
		n += strncmp(p, "@DIR@", 5) ? 1 : strlen(dir);
	out = o = malloc(n);
	if (!out)
		return NULL;
	while (*arg) {
		if (!strncmp(arg, "@DIR@", 5)) {
			o = stpcpy(o, dir);
			arg += 5;
		} else {
			*o++ = *arg++;
		}
	}
	*o = '\0';
	return out;
}

static void reap(struct ss_daemon *d, int status)
{
	d->status = status;
	d->pid = -1;
}

/* Reap if it exited. Return: true if it is gone. */
static bool check_exit(struct ss_daemon *d)
{
	int st;
	pid_t r;

	if (d->pid <= 0)
		return true;
	r = waitpid(d->pid, &st, WNOHANG);
	if (r == d->pid) {
		reap(d, st);
		return true;
	}
	return false;
}

/* Parse stdout: Return: true once the `ready' line is there. */
static bool parse_stdout(struct ss_daemon *d)
{
	char *out = slurp(d->out_path), *line, *nl;
	bool ready = false;

	if (!out)
		return false;
	d->nurl = 0;
	for (line = out; (nl = strchr(line, '\n')); line = nl + 1) {
		char *p;

		*nl = '\0';
		if (!strncmp(line, "ready", 5))
			ready = true;
		if (!strncmp(line, "control socket ", 15)) {
			p = line + 15;
			p[strcspn(p, " \t")] = '\0';
			snprintf(d->ctl_path, sizeof(d->ctl_path), "%s", p);
		}
		p = strstr(line, "listening on ");
		if (p && d->nurl < SS_MAX_LISTEN) {
			p += strlen("listening on ");
			p[strcspn(p, " \t")] = '\0';
			snprintf(d->url[d->nurl++], SS_URL_LEN, "%s", p);
		}
	}
	free(out);
	return ready;
}

static void child_exec(struct ss_daemon *d, char **argv, pid_t parent)
{
	int out, err, nul;

	/* The kernel kills us if the test process dies before cleanup. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	out = open(d->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err = open(d->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	nul = open("/dev/null", O_RDONLY);
	if (out < 0 || err < 0 || nul < 0)
		_exit(126);
	if (ss_daemon_nofile > 0) {
		struct rlimit rl = { .rlim_cur = (rlim_t)ss_daemon_nofile,
				     .rlim_max = (rlim_t)ss_daemon_nofile };

		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(126);
	}
	dup2(nul, 0);
	dup2(out, 1);
	dup2(err, 2);
	/* Leave no test or Criterion descriptor open in the daemon. */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	execv(argv[0], argv);
	_exit(127);
}

static int daemon_register(struct ss_daemon *d)
{
	for (size_t i = 0; i < SS_MAX_DAEMONS; i++) {
		if (!daemons[i]) {
			daemons[i] = d;
			return 0;
		}
	}
	return -ENOSPC;
}

/**
 * ss_daemon_start() - start sockswitch --foreground ARGS and wait for ready
 * @args:	NULL-terminated extra arguments; "@DIR@" in any of them is
 *		replaced by the daemon's private directory
 * @timeout_ms:	how long to wait for the `ready' line
 *
 * Return: the daemon (owned by the registry). If it exited before it was
 *	   ready, @pid is -1 and @status holds its wait status; if it did not
 *	   get ready in time it was killed. @ready tells the two apart from
 *	   success. NULL with errno set if it could not be started at all.
 */
struct ss_daemon *ss_daemon_start(const char *const *args, int timeout_ms)
{
	char *argv[SS_MAX_ARGS] = { NULL };
	const char *bin = ss_daemon_bin(), *dir;
	struct ss_daemon *d;
	int64_t deadline;
	pid_t parent = getpid();
	size_t n = 0;

	if (!bin) {
		errno = ENOENT;
		return NULL;
	}
	dir = ss_tmpdir();
	d = calloc(1, sizeof(*d));
	if (!dir || !d || daemon_register(d) < 0) {
		free(d);
		return NULL;
	}
	d->pid = -1;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->out_path, sizeof(d->out_path), "%s/stdout", dir);
	snprintf(d->err_path, sizeof(d->err_path), "%s/stderr", dir);
	argv[n++] = strdup(bin);
	argv[n++] = strdup("--foreground");
	if (ss_daemon_auto_control) {
		argv[n++] = strdup("--control");
		argv[n++] = subst_dir("@DIR@/control.sock", dir);
	}
	for (; args && *args && n < SS_MAX_ARGS - 1; args++)
		argv[n++] = subst_dir(*args, dir);
	fflush(NULL);
	d->pid = fork();
	if (d->pid == 0)
		child_exec(d, argv, parent);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	if (d->pid < 0)
		return NULL;
	deadline = ss_now_ms() + timeout_ms;
	for (;;) {
		if (parse_stdout(d)) {
			d->ready = true;
			break;
		}
		if (check_exit(d)) {
			parse_stdout(d);
			break;
		}
		if (ss_now_ms() >= deadline) {
			kill(d->pid, SIGKILL);
			ss_daemon_wait_exit(d, SS_TIMEOUT_MS);
			break;
		}
		nap();
	}
	return d;
}

/**
 * ss_daemon_wait_exit() - wait (bounded) for the daemon to exit by itself
 * @d:		daemon
 * @timeout_ms:	bound
 *
 * Return: 0 once it has exited (@d->status set), -ETIMEDOUT otherwise
 */
int ss_daemon_wait_exit(struct ss_daemon *d, int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;

	while (!check_exit(d)) {
		if (ss_now_ms() >= deadline)
			return -ETIMEDOUT;
		nap();
	}
	return 0;
}

/**
 * ss_daemon_stop() - SIGTERM, wait, SIGKILL after @timeout_ms
 * @d:		daemon
 * @timeout_ms:	grace period for a clean exit
 *
 * Return: its wait status (check with WIFEXITED() and friends)
 */
int ss_daemon_stop(struct ss_daemon *d, int timeout_ms)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		if (ss_daemon_wait_exit(d, timeout_ms) < 0) {
			kill(d->pid, SIGKILL);
			ss_daemon_wait_exit(d, SS_TIMEOUT_MS);
		}
	}
	return d->status;
}

/**
 * ss_daemon_url() - first listener URL starting with @prefix
 * @d:		daemon
 * @prefix:	"unix:", "tcp:", "tcp:[" ...
 *
 * Return: the URL, or NULL if the daemon printed none
 */
const char *ss_daemon_url(const struct ss_daemon *d, const char *prefix)
{
	for (size_t i = 0; i < d->nurl; i++)
		if (!strncmp(d->url[i], prefix, strlen(prefix)))
			return d->url[i];
	return NULL;
}

/**
 * ss_daemon_log() - everything the daemon wrote to stderr so far
 * @d:		daemon
 *
 * Return: malloc'd NUL-terminated copy (never NULL: "" if unreadable)
 */
char *ss_daemon_log(const struct ss_daemon *d)
{
	char *s = slurp(d->err_path);

	return s ? s : strdup("");
}

/**
 * ss_daemon_log_end() - offset just past the last complete log line
 * @d:		daemon
 *
 * Return: offset to pass to ss_daemon_wait_log() to see only newer lines
 */
size_t ss_daemon_log_end(const struct ss_daemon *d)
{
	char *s = ss_daemon_log(d), *nl = strrchr(s, '\n');
	size_t end = nl ? (size_t)(nl - s) + 1 : 0;

	free(s);
	return end;
}

/* Search complete lines from *pos; on a hit copy it and move *pos on. */
static bool find_line(const char *log, size_t *pos, const char *needle,
		      char *line, size_t linelen)
{
	size_t start = pos ? *pos : 0;
	const char *p, *nl;

	if (start > strlen(log))
		return false;
	for (p = log + start; (nl = strchr(p, '\n')); p = nl + 1) {
		const char *hit = strstr(p, needle);

		if (!hit || hit >= nl)
			continue;
		if (line && linelen > 0)
			snprintf(line, linelen, "%.*s", (int)(nl - p), p);
		if (pos)
			*pos = (size_t)(nl - log) + 1;
		return true;
	}
	return false;
}

/**
 * ss_daemon_wait_log() - wait for a stderr line containing @needle
 * @d:		daemon
 * @pos:	search from this offset and move it past the hit (NULL: 0)
 * @needle:	substring
 * @line:	if not NULL, the whole matching line
 * @linelen:	size of @line
 * @timeout_ms:	bound
 *
 * Return: 0 if found, -ETIMEDOUT if not in time, -ESRCH if the daemon
 *	   exited without writing it
 */
int ss_daemon_wait_log(const struct ss_daemon *d, size_t *pos,
		       const char *needle, char *line, size_t linelen,
		       int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	bool gone;
	char *log;

	for (;;) {
		gone = check_exit((struct ss_daemon *)(uintptr_t)d);
		log = ss_daemon_log(d);
		if (find_line(log, pos, needle, line, linelen)) {
			free(log);
			return 0;
		}
		free(log);
		if (gone)
			return -ESRCH;
		if (ss_now_ms() >= deadline)
			return -ETIMEDOUT;
		nap();
	}
}

/**
 * ss_log_value() - the number after " @key=" in a log line
 * @line:	log line
 * @key:	counter name, e.g. "drop_tx_queue_full"
 * @val:	output
 *
 * Return: true if @key was found with a number
 */
bool ss_log_value(const char *line, const char *key, long long *val)
{
	size_t klen = strlen(key);
	const char *p = line;
	char *end;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ' || p[-1] == '\t' ||
		     p[-1] == ';' || p[-1] == '(') &&
		    p[klen] == '=') {
			*val = strtoll(p + klen + 1, &end, 10);
			return end != p + klen + 1;
		}
		p += klen;
	}
	return false;
}

/**
 * ss_log_port() - port number from a line like "port 3 (unix ...) ..."
 * @line:	log line
 *
 * Return: the port number, or -1 if there is none
 */
int ss_log_port(const char *line)
{
	const char *p = line;

	while ((p = strstr(p, "port "))) {
		p += 5;
		if (*p >= '0' && *p <= '9')
			return atoi(p);
	}
	return -1;
}

/**
 * ss_daemon_stat() - send SIGUSR1 and read one counter of one port
 * @d:		daemon
 * @port:	port number as logged
 * @key:	counter name
 * @val:	output
 * @timeout_ms:	bound for the dump to appear
 *
 * Return: 0 on success, -ETIMEDOUT if no stats line for @port appeared,
 *	   -ENOENT if the line lacks @key
 */
int ss_daemon_stat(struct ss_daemon *d, int port, const char *key,
		   long long *val, int timeout_ms)
{
	size_t pos = ss_daemon_log_end(d);
	char needle[64], line[2048];
	int ret;

	snprintf(needle, sizeof(needle), "stats port=%d ", port);
	if (d->pid <= 0 || kill(d->pid, SIGUSR1) < 0)
		return -ESRCH;
	ret = ss_daemon_wait_log(d, &pos, needle, line, sizeof(line),
				 timeout_ms);
	if (ret < 0)
		return ret;
	return ss_log_value(line, key, val) ? 0 : -ENOENT;
}

/**
 * ss_daemon_cleanup_all() - SIGKILL every daemon still running, free all
 *
 * Part of ss_cleanup(); also removes the temporary directories.
 */
void ss_daemon_cleanup_all(void)
{
	for (size_t i = 0; i < SS_MAX_DAEMONS; i++) {
		struct ss_daemon *d = daemons[i];

		if (!d)
			continue;
		if (d->pid > 0) {
			kill(d->pid, SIGKILL);
			ss_daemon_wait_exit(d, SS_TIMEOUT_MS);
		}
		free(d);
		daemons[i] = NULL;
	}
	for (size_t i = 0; i < SS_MAX_TMPDIRS; i++) {
		if (tmpdirs[i])
			rm_tree(tmpdirs[i]);
		free(tmpdirs[i]);
		tmpdirs[i] = NULL;
	}
}
