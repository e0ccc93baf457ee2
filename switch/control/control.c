// SPDX-License-Identifier: MIT
/*
 * control.c - the control socket: clients, framing, dispatch and events
 *
 * A unix stream socket (mode 0600 unless configured) speaking
 * newline-delimited JSON in the style of QEMU's QMP: a request
 * {"execute": NAME, "arguments": {...}, "id": ANY} gets one reply line,
 * {"return": ..., "id": ANY} or {"error": {"class": ..., "desc": ...}}.
 * A client that ran "subscribe" also gets event lines. docs/control.md is
 * the reference.
 *
 * DOC: Theory of Operation
 * Everything is nonblocking and driven by libev. Each client has a bounded
 * input buffer (CTL_LINE_MAX: a longer line is answered with an error and
 * the client is disconnected) and an output buffer. A client with more
 * than CTL_OUT_PAUSE bytes of replies unsent is not read from until it
 * catches up, so pipelined requests cannot grow memory. Events cannot wait:
 * a subscriber whose unsent output would pass CTL_OUT_MAX is disconnected,
 * counted and logged. Events are only queued from the forwarding path,
 * never written there. Clients are freed in the daemon's deferred pass, never
 * inside their own callbacks. Commands live in tables that any module adds
 * with ctl_register(); this file only dispatches.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>

#include "control_int.h"

static struct ctl *ctl_get(struct swd *d)
{
	struct ctl *c = d->ctl;

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->d = d;
	c->fd = -1;
	c->next_id = 1;
	d->ctl = c;
	return c;
}

/**
 * ctl_register() - add a table of commands
 * @d:		the daemon
 * @cmds:	the table; must outlive the daemon (static)
 * @n:		entries
 *
 * A name registered twice keeps its first handler.
 *
 * Return: 0 on success, -ENOMEM
 */
int ctl_register(struct swd *d, const struct ctl_cmd *cmds, size_t n)
{
	struct ctl *c = ctl_get(d);
	struct ctl_cmdset *s, **tail;

	if (!c || !(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->cmds = cmds;
	s->n = n;
	for (tail = &c->sets; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	return 0;
}

/**
 * ctl_lookup() - a registered command by name
 * @c:		control state
 * @name:	command name
 *
 * Return: the command, or NULL
 */
const struct ctl_cmd *ctl_lookup(const struct ctl *c, const char *name)
{
	const struct ctl_cmdset *s;
	size_t i;

	for (s = c->sets; s; s = s->next)
		for (i = 0; i < s->n; i++)
			if (!strcmp(s->cmds[i].name, name))
				return &s->cmds[i];
	return NULL;
}

/**
 * ctl_commands_json() - every registered command, for query-commands
 * @d:		the daemon
 *
 * Return: new array of {"name", "help"}, or NULL
 */
json_t *ctl_commands_json(const struct swd *d)
{
	const struct ctl_cmdset *s;
	json_t *a = json_array();
	size_t i;

	for (s = d->ctl ? d->ctl->sets : NULL; a && s; s = s->next)
		for (i = 0; i < s->n; i++)
			json_array_append_new(a,
					      json_pack("{s:s,s:s?}", "name",
							s->cmds[i].name, "help",
							s->cmds[i].help));
	return a;
}

/**
 * ctl_fail() - set a request's error
 * @r:		the request
 * @cls:	CTL_ERR_GENERIC, CTL_ERR_NO_PORT...
 * @fmt:	description
 *
 * Return: NULL, for the handler to return
 */
json_t *ctl_fail(struct ctl_req *r, const char *cls, const char *fmt, ...)
{
	va_list ap;

	r->err_class = cls;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return NULL;
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl *c = container_of(w, struct ctl, io);
	int i, fd;

	(void)revents;
	for (i = 0; i < 16; i++) {
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			accept_failed(loop, &c->io, &c->backoff, "control");
			return;
		}
		if (c->nclients >= CTL_CLIENTS_MAX &&
		    !ctl_client_evict_idle(c)) {
			uint64_t held;

			c->st.refused++;
			if (log_ratelimit_ok(&c->rl_refuse, c->d->now_ms,
					     LOG_BURST, &held))
				log_warnx(
					"control: %d subscribers connected, the maximum; refusing another (%" PRIu64
					" more not logged)",
					CTL_CLIENTS_MAX, held);
			close(fd);
			continue;
		}
		ctl_client_new(c, fd);
	}
}

/* ---- the listening socket ------------------------------------------------ */

/* Does a live socket answer at @path? (unix_path_check() would say so
 * too, but its advice is about listeners.) */
static bool ctl_path_taken(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	bool taken;
	int fd;

	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    strlen(path) >= sizeof(sa.sun_path))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	strcpy(sa.sun_path, path);
	taken = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		errno == EAGAIN || errno == EINPROGRESS;
	close(fd);
	return taken;
}

static int ctl_bind(struct ctl *c, const struct swd_config *cfg)
{
	int mode = cfg->control.mode != CONFIG_MODE_UNSET ? cfg->control.mode
							  : SOCKET_MODE_DEFAULT;
	const char *path = cfg->control.path;
	int rc;

	if (strlen(path) >= sizeof(c->path)) {
		log_error("control socket path %s is longer than %zu bytes",
			  path, sizeof(c->path) - 1);
		return -ENAMETOOLONG;
	}
	if (ctl_path_taken(path)) {
		/* The default path is handled by ctl_open() with a warning. */
		if (!cfg->control.is_default)
			log_error(
				"another switch already has its control socket at %s; stop it, or give this one another with --control PATH (--control none: no control socket)",
				path);
		return -EADDRINUSE;
	}
	rc = unix_path_check(path, SOCK_STREAM, &c->file);
	if (rc < 0)
		return rc;
	snprintf(c->path, sizeof(c->path), "%s", path); /* ctl_unbind() */
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	rc = unix_bind_path(c->fd, path, mode, cfg->control.group, &c->file);
	if (rc < 0)
		return rc;
	if (listen(c->fd, 16) < 0) {
		rc = -errno;
		log_warn("control socket %s", path);
		return rc;
	}
	return 0;
}

static void ctl_unbind(struct ctl *c)
{
	if (c->d->loop) {
		ev_io_stop(c->d->loop, &c->io);
		ev_timer_stop(c->d->loop, &c->backoff);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->path[0])
		unix_unlink_ours(c->path, &c->file);
	c->path[0] = '\0';
}

/**
 * ctl_open() - start listening on the control socket @c names
 * @d:		the daemon
 * @cfg:	config with control.path set (NULL path: nothing to do)
 *
 * An open control socket is closed first (reload to another path keeps
 * the connected clients). If the default path is held by another switch,
 * this warns and runs without one.
 *
 * Return: 0 on success, negative error code (logged) on failure
 */
int ctl_open(struct swd *d, const struct swd_config *cfg)
{
	struct ctl *c = ctl_get(d);
	struct ctl tmp;
	int rc;

	if (!c)
		return -ENOMEM;
	if (!cfg->control.path || cfg->control.off) {
		ctl_unbind(c);
		return 0;
	}
	if (c->fd >= 0 && !strcmp(c->path, cfg->control.path)) {
		/* Same socket: only its permissions may have changed. */
		if (cfg->control.mode != CONFIG_MODE_UNSET &&
		    chmod(c->path, (mode_t)cfg->control.mode) < 0)
			log_warn("cannot chmod %s", c->path);
		if (cfg->control.group != CONFIG_GID_UNSET &&
		    chown(c->path, (uid_t)-1, cfg->control.group) < 0)
			log_warn("cannot chown %s", c->path);
		return 0;
	}
	memset(&tmp, 0, sizeof(tmp));
	tmp.d = d;
	tmp.fd = -1;
	rc = ctl_bind(&tmp, cfg);
	if (rc < 0) {
		ctl_unbind(&tmp);
		if (cfg->control.is_default && rc == -EADDRINUSE) {
			log_warnx(
				"running without a control socket: %s belongs to another switch (use --control PATH)",
				cfg->control.path);
			return 0;
		}
		return rc;
	}
	ctl_unbind(c);
	c->fd = tmp.fd;
	memcpy(c->path, tmp.path, sizeof(c->path));
	c->file = tmp.file;
	ev_io_init(&c->io, ctl_accept_cb, c->fd, EV_READ);
	accept_backoff_init(&c->backoff, &c->io);
	ev_io_start(d->loop, &c->io);
	return 0;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool ctl_changed(const struct swd_config *o, const struct swd_config *n)
{
	return !str_same(o->control.path, n->control.path) ||
	       o->control.off != n->control.off ||
	       o->control.mode != n->control.mode ||
	       o->control.group != n->control.group;
}

/**
 * ctl_reload_prepare() - bind the control socket @newc names, if it moved
 * @d:		the daemon
 * @newc:	the config to apply
 * @err:	on failure, the path and why
 * @errlen:	size of @err
 * @opaque:	unused
 *
 * The clients connected stay; the old socket is closed once the new one
 * is bound (ctl_open()).
 *
 * Return: 0, or a negative error code
 */
static int ctl_reload_prepare(struct swd *d, const struct swd_config *newc,
			      char *err, size_t errlen, void *opaque)
{
	int rc;

	(void)opaque;
	if (!ctl_changed(&d->cfg, newc))
		return 0;
	rc = ctl_open(d, newc);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s",
			 newc->control.path ? newc->control.path : "(none)",
			 strerror(-rc));
	return rc;
}

/**
 * ctl_reload_abort() - go back to the control socket in force
 * @d:		the daemon
 * @newc:	the config that was to be applied
 * @opaque:	unused
 */
static void ctl_reload_abort(struct swd *d, const struct swd_config *newc,
			     void *opaque)
{
	(void)opaque;
	if (ctl_changed(&d->cfg, newc) && ctl_open(d, &d->cfg) < 0)
		log_warnx("reload: cannot restore the control socket %s",
			  d->cfg.control.path);
}

/**
 * ctl_reload_commit() - say where the control socket is now
 * @d:		the daemon
 * @oldc:	the config in force
 * @newc:	the config applied
 * @opaque:	unused
 */
static void ctl_reload_commit(struct swd *d, const struct swd_config *oldc,
			      const struct swd_config *newc, void *opaque)
{
	(void)opaque;
	if (ctl_changed(oldc, newc))
		reload_note(d, "control socket %s",
			    ctl_path(d) ? ctl_path(d) : "off");
}

static const struct reload_hook ctl_reload_hook = {
	.name = "control socket",
	.prepare = ctl_reload_prepare,
	.commit = ctl_reload_commit,
	.abort = ctl_reload_abort,
};

/**
 * ctl_reload_register() - move the control socket when a reload says so
 * @d:		the daemon
 *
 * Return: 0 on success, -ENOMEM or -ENOSPC
 */
int ctl_reload_register(struct swd *d)
{
	return reload_hook_add(d, &ctl_reload_hook);
}

/**
 * ctl_path() - the control socket's path
 * @d:		the daemon
 *
 * Return: the path, or NULL when there is no control socket
 */
const char *ctl_path(const struct swd *d)
{
	return d->ctl && d->ctl->fd >= 0 ? d->ctl->path : NULL;
}

/**
 * ctl_close() - stop listening and disconnect every client (shutdown)
 * @d:		the daemon
 */
void ctl_close(struct swd *d)
{
	struct ctl_client *cl;

	if (!d->ctl)
		return;
	ctl_unbind(d->ctl);
	for (cl = d->ctl->clients; cl; cl = cl->next)
		ctl_client_kill(cl, NULL);
}

/**
 * ctl_fini() - free the control state (after ctl_close())
 * @d:		the daemon
 */
void ctl_fini(struct swd *d)
{
	struct ctl *c = d->ctl;

	if (!c)
		return;
	ctl_close(d);
	while (c->clients) {
		struct ctl_client *cl = c->clients;

		c->clients = cl->next;
		ctl_client_free(cl);
	}
	while (c->sets) {
		struct ctl_cmdset *s = c->sets;

		c->sets = s->next;
		free(s);
	}
	free(c);
	d->ctl = NULL;
}

/* ---- events ------------------------------------------------------------- */

/**
 * ctl_has_subscribers() - is anyone listening for events
 * @d:		the daemon
 *
 * Return: true if at least one client subscribed
 */
bool ctl_has_subscribers(const struct swd *d)
{
	return d->ctl && d->ctl->nsubs;
}

/**
 * ctl_subscribe() - turn a client into an event subscriber
 * @cl:		the client
 */
void ctl_subscribe(struct ctl_client *cl)
{
	if (cl->subscribed)
		return;
	cl->subscribed = true;
	cl->ctl->nsubs++;
}

/**
 * ctl_emit() - send an event to every subscriber
 * @d:		the daemon
 * @event:	its name ("MAC_LEARNED")
 * @data:	its data object; the reference is stolen (may be NULL)
 *
 * Context: any; only queues output. A subscriber that would have more than
 * CTL_OUT_MAX bytes unsent is disconnected.
 */
void ctl_emit(struct swd *d, const char *event, json_t *data)
{
	struct ctl *c = d->ctl;
	struct ctl_client *cl;
	struct timeval tv;
	json_t *ev;
	char *s;
	size_t len;

	if (!ctl_has_subscribers(d)) {
		json_decref(data);
		return;
	}
	gettimeofday(&tv, NULL);
	ev = json_pack("{s:s,s:o,s:{s:I,s:I}}", "event", event, "data",
		       data ? data : json_object(), "timestamp", "seconds",
		       (json_int_t)tv.tv_sec, "microseconds",
		       (json_int_t)tv.tv_usec);
	s = ev ? json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
	json_decref(ev);
	if (!s)
		return;
	c->st.events++;
	len = strlen(s);
	s[len++] = '\n'; /* replaces the NUL: written with its length */
	for (cl = c->clients; cl; cl = cl->next) {
		if (!cl->subscribed || cl->dead)
			continue;
		if (ctl_client_pending(cl) + len > CTL_OUT_MAX) {
			c->st.slow++;
			ctl_client_kill(
				cl,
				"subscriber does not read its events (output buffer over 4 MiB)");
			continue;
		}
		if (ctl_client_append(cl, s, len))
			ev_io_start(d->loop, &cl->wio);
	}
	free(s);
}

/**
 * ctl_stats_json() - the control socket's own counters
 * @d:		the daemon
 *
 * Return: new object, or NULL
 */
json_t *ctl_stats_json(const struct swd *d)
{
	const struct ctl *c = d->ctl;

	return json_pack("{s:s?,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			 "path", ctl_path(d), "clients", c ? c->nclients : 0,
			 "subscribers", c ? c->nsubs : 0, "accepted",
			 (json_int_t)(c ? c->st.accepted : 0), "refused",
			 (json_int_t)(c ? c->st.refused : 0), "evicted",
			 (json_int_t)(c ? c->st.evicted : 0), "commands",
			 (json_int_t)(c ? c->st.commands : 0), "errors",
			 (json_int_t)(c ? c->st.errors : 0),
			 "disconnected_long_line",
			 (json_int_t)(c ? c->st.long_lines : 0),
			 "disconnected_slow", (json_int_t)(c ? c->st.slow : 0),
			 "events", (json_int_t)(c ? c->st.events : 0));
}
