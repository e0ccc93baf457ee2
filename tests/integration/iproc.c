// SPDX-License-Identifier: MIT
/*
 * iproc.c - run the real command-line tools tests check against
 *
 * A child runs with stdin from a file (or /dev/null) and stdout and stderr
 * into one file; we poll waitpid() until a deadline and SIGKILL the
 * child's own pid if it is late.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iproc.h"

/**
 * iproc_have() - is @prog an executable in $PATH?
 * @prog:	program name
 *
 * Return: true if found
 */
bool iproc_have(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (n && access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/**
 * iproc_spawn() - start @argv in the background
 * @argv:	program and arguments, NULL-terminated (searched in $PATH)
 * @in_path:	file for its stdin, or NULL for /dev/null
 * @out_path:	file for its stdout and stderr (truncated)
 *
 * Return: its pid, or -1; reap it with iproc_wait()
 */
pid_t iproc_spawn(const char *const *argv, const char *in_path,
		  const char *out_path)
{
	pid_t pid = fork();

	if (pid == 0) {
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	return pid;
}

/**
 * iproc_wait() - wait for @pid to exit, or kill it at the deadline
 * @pid:	from iproc_spawn()
 * @timeout_ms:	deadline
 *
 * Return: its exit status 0-255, or -1 (killed by a signal, or late:
 * then killed by its pid)
 */
int iproc_wait(pid_t pid, int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	int status;
	pid_t r;

	if (pid < 0)
		return -1;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (ss_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(5000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/**
 * iproc_run() - run @argv to completion, or kill it at the deadline
 * @argv:	program and arguments, NULL-terminated (searched in $PATH)
 * @in_path:	file for its stdin, or NULL for /dev/null
 * @out_path:	file for its stdout and stderr (truncated)
 * @timeout_ms:	deadline
 *
 * Return: as iproc_wait()
 */
int iproc_run(const char *const *argv, const char *in_path,
	      const char *out_path, int timeout_ms)
{
	return iproc_wait(iproc_spawn(argv, in_path, out_path), timeout_ms);
}

/**
 * iproc_read() - a whole file as a string
 * @path:	file
 *
 * Return: malloc'd, NUL-terminated text, or NULL
 */
char *iproc_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/**
 * iproc_daemon_line() - the first line of the daemon's stdout with @prefix
 * @d:		daemon
 * @prefix:	how the line starts
 * @line:	the line, without its newline
 * @len:	size of @line
 *
 * Return: true if found
 */
bool iproc_daemon_line(const struct ss_daemon *d, const char *prefix,
		       char *line, size_t len)
{
	char *out = iproc_read(d->out_path), *p;
	bool found = false;

	for (p = out; p && *p;
	     p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			snprintf(line, len, "%.*s", (int)strcspn(p, "\n"), p);
			found = true;
			break;
		}
	}
	free(out);
	return found;
}
