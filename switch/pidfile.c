// SPDX-License-Identifier: MIT
/*
 * pidfile.c - the locked pidfile, and why a path cannot be used
 *
 * The pidfile is opened (O_NOFOLLOW) and locked with flock() before any
 * listener is opened, and the descriptor is kept for the life of the
 * process; --daemon's child inherits it, and the lock with it. The lock,
 * not the number in the file, says whether a switch is running: a stale
 * file naming a pid that some other process has reused since never blocks
 * a start, and a second switch with the same pidfile fails at once.
 *
 * path_hint() turns EACCES and ENOENT on a socket or pidfile path into the
 * directory at fault and what to do about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockswitchd.h"

/* One directory @dir we cannot use for @need: say why, into @buf. */
static bool dir_hint(const char *dir, int need, char *buf, size_t len)
{
	struct stat st;

	if (access(dir, need) == 0)
		return false;
	if (stat(dir, &st) == 0)
		snprintf(
			buf, len,
			"; you (uid %u) cannot %s the directory %s (owner uid %u, mode %04o): use a directory of your own, such as $XDG_RUNTIME_DIR, or change its permissions",
			(unsigned)getuid(),
			need == X_OK ? "enter" : "create files in", dir,
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	else
		snprintf(
			buf, len,
			"; you (uid %u) cannot %s the directory %s: use a directory of your own, such as $XDG_RUNTIME_DIR",
			(unsigned)getuid(),
			need == X_OK ? "enter" : "create files in", dir);
	return true;
}

/**
 * path_hint() - the cause and the fix for an error on a file path
 * @path:	the socket or pidfile path
 * @err:	the positive errno it failed with
 * @buf:	"; ..." to append to a message, or "" when there is no hint
 * @len:	size of @buf
 *
 * For EACCES, names the first directory on the way that we may not enter
 * (search permission), or the last one if we may not create files in it;
 * for ENOENT, the missing directory.
 *
 * Return: @buf
 */
const char *path_hint(const char *path, int err, char *buf, size_t len)
{
	char dir[PATH_MAX], *slash;

	buf[0] = '\0';
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return buf;
	slash = strrchr(dir, '/');
	if (!slash)
		return buf;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (err == ENOENT && access(dir, F_OK) < 0) {
		snprintf(
			buf, len,
			"; the directory %s does not exist: create it (mode 0700) or choose another path",
			dir);
		return buf;
	}
	if (err != EACCES)
		return buf;
	/* Walk down from the root: the first one we may not enter. */
	for (slash = strchr(dir + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (dir_hint(dir, X_OK, buf, len))
			return buf;
		*slash = '/';
	}
	if (!dir_hint(dir, X_OK, buf, len))
		dir_hint(dir, W_OK | X_OK, buf, len);
	return buf;
}

/* The pid in the locked file, for the message; 0 if unreadable. */
static long pidfile_read(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/**
 * pidfile_open() - open and lock the pidfile, before anything else starts
 * @path:	the pidfile; a missing directory is made, mode 0700
 *
 * Return: the locked descriptor (keep it open until exit), or a negative
 *	   error code (logged with the cause and the fix)
 */
int pidfile_open(const char *path)
{
	char hint[PATH_MAX + 256];
	int fd, err;
	long pid;

	if (path_make_parents(path) < 0) {
		err = errno;
		log_error(
			"cannot create the directory for the pidfile %s: %s%s",
			path, strerror(err),
			path_hint(path, err, hint, sizeof(hint)));
		return -err;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		log_error("cannot open pidfile %s: %s%s", path, strerror(err),
			  err == ELOOP
				  ? "; it is a symbolic link, which is "
				    "not followed: remove it"
				  : path_hint(path, err, hint, sizeof(hint)));
		return -err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno;
		pid = pidfile_read(fd);
		close(fd);
		if (err == EWOULDBLOCK) {
			log_error(
				"pidfile %s is locked by another sockswitch (pid %ld) that is still running: stop it, or give this one another --pidfile",
				path, pid);
			return -EEXIST;
		}
		log_error("cannot lock pidfile %s: %s", path, strerror(err));
		return -err;
	}
	return fd;
}

/**
 * pidfile_write() - write our pid into the locked pidfile
 * @fd:		from pidfile_open()
 * @path:	for messages
 *
 * Called after --daemon's fork, so the pid is the switch's.
 *
 * Return: 0 on success, negative error code (logged) on failure
 */
int pidfile_write(int fd, const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		int err = errno;

		log_error("cannot write pidfile %s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

/**
 * pidfile_close() - remove the pidfile, then release the lock
 * @fd:		from pidfile_open(), or -1 (nothing to do)
 * @path:	the pidfile
 */
void pidfile_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	unlink(path);
	close(fd);
}
