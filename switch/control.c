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
 * never written there. Clients are freed from an ev_prepare watcher, never
 * inside their own callbacks. Commands live in tables that any module adds
 * with ctl_register(); this file only dispatches.
 */
#include <errno.h>
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

#include "sockswitchd.h"

#define CTL_LINE_MAX (64 * 1024)
#define CTL_OUT_PAUSE (256 * 1024)
#define CTL_OUT_MAX (4 * 1024 * 1024)
#define CTL_CLIENTS_MAX 64
#define CTL_READ_CHUNK 4096
#define CTL_BACKOFF_S 1.0
#define CTL_PROTOCOL 1

/**
 * struct ctl_cmdset - one registered table of commands
 * @cmds:	the table (static, not copied)
 * @n:		entries
 * @next:	next table
 */
struct ctl_cmdset {
	const struct ctl_cmd *cmds;
	size_t n;
	struct ctl_cmdset *next;
};

/**
 * struct ctl_client - one control connection
 * @ctl:	owner
 * @next:	next live client
 * @id:		number for the log
 * @fd:		connected socket
 * @rio:	read watcher (stopped while paused)
 * @wio:	write watcher, active while output is pending
 * @in:		input bytes not yet consumed (CTL_LINE_MAX + 1 bytes)
 * @in_len:	bytes in @in
 * @out:	output not yet written
 * @out_len:	bytes in @out
 * @out_off:	bytes of @out already written
 * @out_cap:	size of @out
 * @subscribed:	gets events
 * @dead:	closed, waiting to be freed
 */
struct ctl_client {
	struct ctl *ctl;
	struct ctl_client *next;
	unsigned id;
	int fd;
	ev_io rio;
	ev_io wio;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len;
	size_t out_off;
	size_t out_cap;
	bool subscribed;
	bool dead;
};

/**
 * struct ctl_stats - control socket counters (query-status)
 * @accepted:	connections accepted
 * @refused:	connections refused: CTL_CLIENTS_MAX reached
 * @commands:	requests run
 * @errors:	requests answered with an error
 * @long_lines:	clients disconnected for a line above CTL_LINE_MAX
 * @slow:	subscribers disconnected for not reading their events
 * @events:	events emitted
 */
struct ctl_stats {
	uint64_t accepted;
	uint64_t refused;
	uint64_t commands;
	uint64_t errors;
	uint64_t long_lines;
	uint64_t slow;
	uint64_t events;
};

/**
 * struct ctl - the control socket and command registry
 * @d:		the daemon
 * @fd:		listening socket, or -1 (registry only)
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @reap:	frees dead clients after each loop iteration
 * @path:	socket path
 * @dev:	device of the socket file we created
 * @ino:	its inode, to not remove a successor's socket
 * @sets:	registered command tables
 * @clients:	live clients
 * @nclients:	how many
 * @nsubs:	how many of them subscribed
 * @dead:	some client waits to be freed
 * @next_id:	next client number
 * @st:		counters
 */
struct ctl {
	struct swd *d;
	int fd;
	ev_io io;
	ev_timer backoff;
	ev_prepare reap;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct ctl_cmdset *sets;
	struct ctl_client *clients;
	unsigned nclients;
	unsigned nsubs;
	bool dead;
	unsigned next_id;
	struct ctl_stats st;
};

static void ctl_reap_cb(struct ev_loop *loop, ev_prepare *w, int revents);

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
	ev_prepare_init(&c->reap, ctl_reap_cb);
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

static const struct ctl_cmd *ctl_lookup(const struct ctl *c, const char *name)
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

/* ---- clients ---------------------------------------------------------- */

static void client_kill(struct ctl_client *cl, const char *why)
{
	struct ctl *c = cl->ctl;
	struct ev_loop *loop = c->d->loop;

	if (cl->dead)
		return;
	if (why)
		log_info("control client %u: %s; disconnected", cl->id, why);
	else
		log_debug("control client %u disconnected", cl->id);
	ev_io_stop(loop, &cl->rio);
	ev_io_stop(loop, &cl->wio);
	close(cl->fd);
	cl->fd = -1;
	cl->dead = true;
	if (cl->subscribed)
		c->nsubs--;
	cl->subscribed = false;
	c->dead = true;
	ev_prepare_start(loop, &c->reap);
}

static void client_free(struct ctl_client *cl)
{
	free(cl->in);
	free(cl->out);
	free(cl);
}

static void ctl_reap_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ctl *c = container_of(w, struct ctl, reap);
	struct ctl_client **pp = &c->clients;

	(void)revents;
	while (*pp) {
		struct ctl_client *cl = *pp;

		if (!cl->dead) {
			pp = &cl->next;
			continue;
		}
		*pp = cl->next;
		c->nclients--;
		client_free(cl);
	}
	c->dead = false;
	ev_prepare_stop(loop, w);
}

static size_t client_pending(const struct ctl_client *cl)
{
	return cl->out_len - cl->out_off;
}

/* Append @len bytes; false if memory ran out (the client is killed). */
static bool client_append(struct ctl_client *cl, const char *s, size_t len)
{
	size_t need;
	char *nb;

	if (cl->out_off && cl->out_off == cl->out_len)
		cl->out_off = cl->out_len = 0;
	need = cl->out_len + len;
	if (need > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 4096;

		if (cl->out_off) {
			memmove(cl->out, cl->out + cl->out_off,
				client_pending(cl));
			cl->out_len -= cl->out_off;
			cl->out_off = 0;
			need = cl->out_len + len;
		}
		while (cap < need)
			cap *= 2;
		if (cap != cl->out_cap) {
			nb = realloc(cl->out, cap);
			if (!nb) {
				client_kill(cl, "out of memory for its output");
				return false;
			}
			cl->out = nb;
			cl->out_cap = cap;
		}
	}
	memcpy(cl->out + cl->out_len, s, len);
	cl->out_len += len;
	return true;
}

static void client_process(struct ctl_client *cl);

/* Write what the socket takes now. Return: false if the client died. */
static bool client_flush(struct ctl_client *cl)
{
	struct ev_loop *loop = cl->ctl->d->loop;

	while (client_pending(cl)) {
		ssize_t r =
			send(cl->fd, cl->out + cl->out_off, client_pending(cl),
			     MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0) {
			client_kill(cl, errno == EPIPE || errno == ECONNRESET
						? NULL
						: "write error");
			return false;
		}
		cl->out_off += (size_t)r;
	}
	if (client_pending(cl))
		ev_io_start(loop, &cl->wio);
	else
		ev_io_stop(loop, &cl->wio);
	return true;
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *cl = container_of(w, struct ctl_client, wio);

	(void)loop;
	(void)revents;
	if (!client_flush(cl))
		return;
	/* Caught up: run requests already buffered, resume reading. */
	if (client_pending(cl) < CTL_OUT_PAUSE && !ev_is_active(&cl->rio))
		client_process(cl);
}

/* Queue one JSON value as a line (steals @v). */
static bool client_send_json(struct ctl_client *cl, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10))
		    : NULL;
	bool ok;

	json_decref(v);
	if (!s) {
		client_kill(cl, "out of memory for a reply");
		return false;
	}
	ok = client_append(cl, s, strlen(s)) && client_append(cl, "\n", 1);
	free(s);
	return ok;
}

static json_t *error_json(const char *cls, const char *desc)
{
	return json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
}

static void client_reply_error(struct ctl_client *cl, json_t *id,
			       const char *cls, const char *desc)
{
	json_t *v = error_json(cls, desc);

	cl->ctl->st.errors++;
	if (v && id)
		json_object_set(v, "id", id);
	client_send_json(cl, v);
}

/* Run one request line; replies are queued, not yet written. */
static void client_request(struct ctl_client *cl, const char *line, size_t len)
{
	struct ctl *c = cl->ctl;
	struct ctl_req r = { .d = c->d, .client = cl };
	const struct ctl_cmd *cmd;
	json_t *req, *ret, *id = NULL, *exec, *args, *v;
	json_error_t jerr;
	char desc[600];

	c->st.commands++;
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		snprintf(desc, sizeof(desc), "invalid JSON at column %d: %s",
			 jerr.column, jerr.text);
		client_reply_error(cl, NULL, CTL_ERR_GENERIC, desc);
		return;
	}
	if (!json_is_object(req)) {
		client_reply_error(cl, NULL, CTL_ERR_GENERIC,
				   "a request must be a JSON object");
		goto out;
	}
	id = json_object_get(req, "id");
	exec = json_object_get(req, "execute");
	args = json_object_get(req, "arguments");
	if (!json_is_string(exec)) {
		client_reply_error(cl, id, CTL_ERR_GENERIC,
				   "missing \"execute\": \"COMMAND\"");
		goto out;
	}
	if (args && !json_is_object(args)) {
		client_reply_error(cl, id, CTL_ERR_GENERIC,
				   "\"arguments\" must be an object");
		goto out;
	}
	cmd = ctl_lookup(c, json_string_value(exec));
	if (!cmd) {
		snprintf(
			desc, sizeof(desc),
			"the command %.200s has not been found (query-commands lists them)",
			json_string_value(exec));
		client_reply_error(cl, id, CTL_ERR_NOT_FOUND, desc);
		goto out;
	}
	r.args = args ? json_incref(args) : json_object();
	ret = r.args ? cmd->fn(&r) : NULL;
	json_decref(r.args);
	if (!ret) {
		if (!r.err_class)
			ctl_fail(&r, CTL_ERR_GENERIC, "out of memory");
		log_debug("control client %u: %s: %s", cl->id, cmd->name,
			  r.err);
		client_reply_error(cl, id, r.err_class, r.err);
		goto out;
	}
	v = json_pack("{s:o}", "return", ret);
	if (v && id)
		json_object_set(v, "id", id);
	client_send_json(cl, v);
out:
	json_decref(req);
}

/* Run every complete line in the input buffer while replies drain. */
static void client_process(struct ctl_client *cl)
{
	struct ev_loop *loop = cl->ctl->d->loop;
	char *nl, *line = cl->in;
	size_t left = cl->in_len;

	for (;;) {
		while (!cl->dead && client_pending(cl) < CTL_OUT_PAUSE &&
		       (nl = memchr(line, '\n', left))) {
			size_t len = (size_t)(nl - line);

			if (len && line[len - 1] == '\r')
				len--;
			if (len)
				client_request(cl, line, len);
			left -= (size_t)(nl - line) + 1;
			line = nl + 1;
		}
		if (cl->dead || !client_flush(cl))
			return;
		if (client_pending(cl) >= CTL_OUT_PAUSE) {
			/* Not read from until it takes its replies. */
			ev_io_stop(loop, &cl->rio);
			break;
		}
		if (!memchr(line, '\n', left))
			break;
	}
	memmove(cl->in, line, left);
	cl->in_len = left;
	if (client_pending(cl) < CTL_OUT_PAUSE)
		ev_io_start(loop, &cl->rio);
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *cl = container_of(w, struct ctl_client, rio);
	char desc[128];
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recv(cl->fd, cl->in + cl->in_len, CTL_LINE_MAX + 1 - cl->in_len, 0);
	if (r < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r <= 0) {
		client_kill(cl,
			    r < 0 && errno != ECONNRESET ? "read error" : NULL);
		return;
	}
	cl->in_len += (size_t)r;
	if (cl->in_len <= CTL_LINE_MAX || memchr(cl->in, '\n', cl->in_len)) {
		client_process(cl);
		return;
	}
	/* A full buffer without a newline: this is no request line. */
	cl->ctl->st.long_lines++;
	snprintf(desc, sizeof(desc),
		 "request line longer than %d bytes; disconnecting",
		 CTL_LINE_MAX);
	client_reply_error(cl, NULL, CTL_ERR_GENERIC, desc);
	if (!cl->dead)
		client_flush(cl);
	client_kill(cl, "sent a line longer than 64 KiB");
}

static void ctl_client_new(struct ctl *c, int fd)
{
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	json_t *hello;

	if (cl)
		cl->in = malloc(CTL_LINE_MAX + 1);
	if (!cl || !cl->in) {
		log_warnx("control: out of memory; refusing a client");
		if (cl)
			free(cl);
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->fd = fd;
	cl->id = c->next_id++;
	cl->next = c->clients;
	c->clients = cl;
	c->nclients++;
	c->st.accepted++;
	ev_io_init(&cl->rio, client_read_cb, fd, EV_READ);
	ev_io_init(&cl->wio, client_write_cb, fd, EV_WRITE);
	ev_io_start(c->d->loop, &cl->rio);
	log_debug("control client %u connected", cl->id);
	hello = json_pack("{s:{s:s,s:i}}", "sockswitch", "version",
			  SOCKSWITCH_VERSION, "protocol", CTL_PROTOCOL);
	if (client_send_json(cl, hello))
		client_flush(cl);
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl *c = container_of(w, struct ctl, io);
	int i, fd;

	(void)revents;
	for (i = 0; i < 16; i++) {
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		if (c->nclients >= CTL_CLIENTS_MAX) {
			c->st.refused++;
			log_warnx(
				"control: %d clients connected, the maximum; refusing another",
				CTL_CLIENTS_MAX);
			close(fd);
			continue;
		}
		ctl_client_new(c, fd);
	}
	if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		       errno == ENOMEM)) {
		log_warn("control: cannot accept, pausing for %.0f s",
			 CTL_BACKOFF_S);
		ev_io_stop(loop, &c->io);
		ev_timer_set(&c->backoff, CTL_BACKOFF_S, 0);
		ev_timer_start(loop, &c->backoff);
	}
}

static void ctl_backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl *c = container_of(w, struct ctl, backoff);

	(void)revents;
	ev_io_start(loop, &c->io);
}

/* ---- the listening socket ------------------------------------------------ */

static int ctl_bind(struct ctl *c, const struct sw_config *cfg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int mode = cfg->control.mode != CONFIG_MODE_UNSET ? cfg->control.mode
							  : SOCKET_MODE_DEFAULT;
	const char *path = cfg->control.path;
	struct stat st;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("control socket path %s is longer than %zu bytes",
			  path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	rc = unix_path_check(path);
	if (rc < 0)
		return rc;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	old = umask(0177);
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || stat(path, &st) < 0) {
		rc = -errno;
		log_warn("cannot bind the control socket %s", path);
		return rc;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (chmod(path, (mode_t)mode) < 0 ||
	    (cfg->control.group != CONFIG_GID_UNSET &&
	     chown(path, (uid_t)-1, cfg->control.group) < 0) ||
	    listen(c->fd, 16) < 0) {
		rc = -errno;
		log_warn("control socket %s", path);
		return rc;
	}
	return 0;
}

static void ctl_unbind(struct ctl *c)
{
	struct stat st;

	if (c->d->loop) {
		ev_io_stop(c->d->loop, &c->io);
		ev_timer_stop(c->d->loop, &c->backoff);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->path[0] && stat(c->path, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
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
int ctl_open(struct swd *d, const struct sw_config *cfg)
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
	c->dev = tmp.dev;
	c->ino = tmp.ino;
	ev_io_init(&c->io, ctl_accept_cb, c->fd, EV_READ);
	ev_init(&c->backoff, ctl_backoff_cb);
	ev_io_start(d->loop, &c->io);
	return 0;
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
		client_kill(cl, NULL);
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
	if (d->loop)
		ev_prepare_stop(d->loop, &c->reap);
	while (c->clients) {
		struct ctl_client *cl = c->clients;

		c->clients = cl->next;
		client_free(cl);
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
		if (client_pending(cl) + len > CTL_OUT_MAX) {
			c->st.slow++;
			client_kill(
				cl,
				"subscriber does not read its events (output buffer over 4 MiB)");
			continue;
		}
		if (client_append(cl, s, len))
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

	return json_pack("{s:s?,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "path",
			 ctl_path(d), "clients", c ? c->nclients : 0,
			 "subscribers", c ? c->nsubs : 0, "accepted",
			 (json_int_t)(c ? c->st.accepted : 0), "refused",
			 (json_int_t)(c ? c->st.refused : 0), "commands",
			 (json_int_t)(c ? c->st.commands : 0), "errors",
			 (json_int_t)(c ? c->st.errors : 0),
			 "disconnected_long_line",
			 (json_int_t)(c ? c->st.long_lines : 0),
			 "disconnected_slow", (json_int_t)(c ? c->st.slow : 0),
			 "events", (json_int_t)(c ? c->st.events : 0));
}
