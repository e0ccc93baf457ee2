// SPDX-License-Identifier: MIT
/*
 * path.c - paths in the config: ~, $XDG_RUNTIME_DIR, %t, %h; the
 * directories a config's sockets and files need
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * A config file that names /run/user/1000 starts only for uid 1000; one
 * that says %t starts for everyone. Every path a config or a listener URL
 * gives (unix, unixgram and vde listeners, the control socket, the
 * pidfile, a metrics unix socket, connect and passt socket paths) goes
 * through path_expand() once, when it is parsed. The directories those
 * paths need are made, mode 0700, when the socket or file is (sock.c,
 * vde.c, main.c call path_make_parents()), and --check-config names the
 * ones missing (config_missing_dirs()).
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockswitchd.h"

/**
 * path_runtime_dir() - the directory for the user's sockets
 * @out:	the directory
 * @len:	size of @out
 *
 * $XDG_RUNTIME_DIR when it is set, absolute and a directory; otherwise
 * /tmp/sockswitch-UID, which the switch uses for its own sockets then (it
 * is made mode 0700 when a socket goes there).
 *
 * Return: 1 if @out is $XDG_RUNTIME_DIR, 0 for the fallback, -ENAMETOOLONG
 */
int path_runtime_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		n = snprintf(out, len, "%s", xdg);
		return n >= 0 && (size_t)n < len ? 1 : -ENAMETOOLONG;
	}
	n = snprintf(out, len, "/tmp/sockswitch-%u", (unsigned)getuid());
	return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/**
 * path_home() - the user's home directory: $HOME, else the password file
 *
 * Return: the directory, or NULL if neither names an absolute one
 */
static const char *path_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/')
		return home;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

/**
 * path_var() - which variable starts at @p, if any
 * @p:		text from a '$' or '%'
 * @skip:	set to the length of the variable's name in the text
 *
 * Return: 't' (runtime dir), 'h' (home), '%' (a literal %), 0 for a '$'
 *	   that names none of ours (kept as it is), or -1 for an unknown %
 */
static int path_var(const char *p, size_t *skip)
{
	static const struct {
		const char *name;
		int var;
	} vars[] = {
		{ "${XDG_RUNTIME_DIR}", 't' },
		{ "$XDG_RUNTIME_DIR", 't' },
		{ "${HOME}", 'h' },
		{ "$HOME", 'h' },
		{ "%t", 't' },
		{ "%h", 'h' },
		{ "%%", '%' },
	};
	size_t i, n;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		n = strlen(vars[i].name);
		if (strncmp(p, vars[i].name, n))
			continue;
		/* $HOMEDIR is not $HOME followed by DIR */
		if (p[0] == '$' && p[1] != '{' &&
		    (p[n] == '_' || (p[n] >= 'A' && p[n] <= 'Z') ||
		     (p[n] >= 'a' && p[n] <= 'z') ||
		     (p[n] >= '0' && p[n] <= '9')))
			continue;
		*skip = n;
		return vars[i].var;
	}
	*skip = 1;
	return p[0] == '%' ? -1 : 0;
}

/**
 * path_expand() - expand ~, $XDG_RUNTIME_DIR, $HOME, %t, %h and %% in a path
 * @in:		the path as written
 * @out:	the path expanded
 * @len:	size of @out
 * @err:	on failure, a message quoting @in
 * @errlen:	size of @err
 *
 * A leading "~" or "~/" is the home directory, as are %h, $HOME and
 * ${HOME} anywhere; %t, $XDG_RUNTIME_DIR and ${XDG_RUNTIME_DIR} are
 * path_runtime_dir() (so a path under it works when the variable is not
 * set); "%%" is one '%'. Any other '$' is kept; any other "%X" and
 * "~user" are errors.
 *
 * Return: 0 on success, -EINVAL or -ENAMETOOLONG on failure
 */
int path_expand(const char *in, char *out, size_t len, char *err, size_t errlen)
{
	char rt[PATH_MAX];
	const char *p = in, *val;
	size_t used = 0, skip, n;
	int var;

	if (in[0] == '~' && in[1] != '\0' && in[1] != '/') {
		snprintf(
			err, errlen,
			"`%s': ~user is not supported; write the whole path, or ~/ or %%h for your home",
			in);
		return -EINVAL;
	}
	while (*p) {
		var = *p == '$' || *p == '%' ? path_var(p, &skip) : 0;
		if (p == in && *p == '~') {
			var = 'h';
			skip = 1;
		}
		if (var < 0) {
			snprintf(
				err, errlen,
				"`%s': unknown %%%c; use %%t (runtime dir), %%h (home) or %%%% for a %%",
				in, p[1] ? p[1] : ' ');
			return -EINVAL;
		}
		val = NULL;
		if (var == 't') {
			if (path_runtime_dir(rt, sizeof(rt)) < 0)
				goto too_long;
			val = rt;
		} else if (var == 'h') {
			val = path_home();
			if (!val) {
				snprintf(
					err, errlen,
					"`%s': no home directory ($HOME is not set)",
					in);
				return -EINVAL;
			}
		} else if (var == '%') {
			val = "%";
		}
		if (!val) {
			val = p;
			skip = 1;
			n = 1;
		} else {
			n = strlen(val);
		}
		if (used + n >= len)
			goto too_long;
		memcpy(out + used, val, n);
		used += n;
		p += skip;
	}
	out[used] = '\0';
	return 0;
too_long:
	snprintf(err, errlen, "`%s': longer than %zu bytes once expanded", in,
		 len - 1);
	return -ENAMETOOLONG;
}

/**
 * path_expand_dup() - path_expand() into a new string
 * @in:		the path as written
 * @out:	on success, the expanded path (caller frees)
 * @err:	on failure, the message
 * @errlen:	size of @err
 *
 * Return: 0 on success, -EINVAL, -ENAMETOOLONG or -ENOMEM
 */
int path_expand_dup(const char *in, char **out, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	int rc;

	rc = path_expand(in, buf, sizeof(buf), err, errlen);
	if (rc < 0)
		return rc;
	*out = strdup(buf);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/**
 * path_parent() - the directory part of @path
 * @path:	a file name
 * @dir:	its directory ("." for a bare name, "/" for one in /)
 * @len:	size of @dir
 *
 * Return: 0 on success, -ENAMETOOLONG
 */
static int path_parent(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return snprintf(dir, len, ".") < (int)len ? 0 : -ENAMETOOLONG;
	while (slash > path && slash[-1] == '/')
		slash--;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/**
 * path_make_parents() - make the missing directories above @path, mode 0700
 * @path:	a socket or file about to be made
 *
 * As `mkdir -p -m 0700 $(dirname PATH)`, for what the directories hold is
 * the user's own: the default socket directory is made the same way.
 * Existing directories are left as they are.
 *
 * Return: how many directories were made, or a negative error code (the
 *	   first mkdir() that failed; errno is set too)
 */
int path_make_parents(const char *path)
{
	char dir[PATH_MAX], *s;
	struct stat st;
	int made = 0;

	if (path_parent(path, dir, sizeof(dir)) < 0)
		return -(errno = ENAMETOOLONG);
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -(errno = ENOTDIR);
	for (s = dir + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(dir, 0700) == 0)
				made++;
			else if (errno != EEXIST)
				return -errno;
			*s = c;
		}
		if (!*s)
			break;
	}
	return made;
}

/**
 * path_dir_missing() - is the directory for @path missing?
 * @path:	a socket or file the switch would make
 * @dir:	set to its directory
 * @len:	size of @dir
 *
 * Return: 1 if @dir does not exist, 0 if it does, -ENOTDIR if it is not
 *	   a directory, other negative error codes if it cannot be checked
 */
static int path_dir_missing(const char *path, char *dir, size_t len)
{
	struct stat st;

	if (path_parent(path, dir, len) < 0)
		return -ENAMETOOLONG;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 1 : -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/**
 * struct dir_check - config_missing_dirs()'s caller and its count
 * @fn:		called for each directory missing
 * @opaque:	passed to @fn
 * @count:	how many were reported
 */
struct dir_check {
	void (*fn)(void *opaque, const char *dir, const char *what, int rc);
	void *opaque;
	unsigned count;
};

/**
 * dir_check() - report @path's directory to @dc if it is missing
 * @dc:		the caller
 * @path:	a socket or file the switch would make
 * @what:	what it is, for the report
 */
static void dir_check(struct dir_check *dc, const char *path, const char *what)
{
	char dir[PATH_MAX];
	int rc = path_dir_missing(path, dir, sizeof(dir));

	if (rc != 0) {
		dc->fn(dc->opaque, dir, what, rc);
		dc->count++;
	}
}

/**
 * config_missing_dirs() - the directories @c's sockets and files need that
 *			   are not there (for --check-config)
 * @c:		the config
 * @fn:		called for each: the directory, what needs it (a listener
 *		URL, "the control socket", ...), and the check's result (1:
 *		missing; negative: not a directory, or not reachable)
 * @opaque:	passed to @fn
 *
 * Return: how many were reported
 */
unsigned config_missing_dirs(const struct swd_config *c,
			     void (*fn)(void *opaque, const char *dir,
					const char *what, int rc),
			     void *opaque)
{
	struct dir_check dc = { .fn = fn, .opaque = opaque };
	const struct listen_addr *a;
	struct listen_addr m;
	char err[PATH_MAX];
	size_t i;

	for (i = 0; i < c->nlisten; i++) {
		a = &c->listen[i].addr;
		if (listen_addr_is_file(a))
			dir_check(&dc, a->path, c->listen[i].url);
	}
	if (c->control.path && !c->control.off)
		dir_check(&dc, c->control.path, "the control socket");
	if (c->pidfile)
		dir_check(&dc, c->pidfile, "the pidfile");
	if (c->metrics &&
	    endpoint_url_parse(c->metrics, &m, err, sizeof(err)) == 0 &&
	    m.kind == LISTEN_UNIX)
		dir_check(&dc, m.path, "the metrics socket");
	return dc.count;
}
