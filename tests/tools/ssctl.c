// SPDX-License-Identifier: MIT
/*
 * ssctl.c - a control socket client for integration tests
 *
 * Newline-delimited JSON over a unix stream socket, read with poll() and
 * bounded waits. Replies are matched by position (one request at a time);
 * events seen on the way are queued.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ssclient.h"
#include "ssctl.h"

/**
 * ss_ctl_connect() - connect and read the greeting
 * @path:	control socket
 * @rcvbuf:	SO_RCVBUF, or 0 for the default
 *
 * Return: the connection, or NULL with errno set
 */
struct ss_ctl *ss_ctl_connect(const char *path, int rcvbuf)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ss_ctl *c = calloc(1, sizeof(*c));

	if (!c || strlen(path) >= sizeof(sa.sun_path)) {
		free(c);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	c->events = json_array();
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ss_ctl_close(c);
		return NULL;
	}
	c->hello = ss_ctl_read(c, SS_TIMEOUT_MS);
	if (!c->hello) {
		ss_ctl_close(c);
		errno = EPROTO;
		return NULL;
	}
	return c;
}

/**
 * ss_ctl_close() - disconnect and free
 * @c:		connection, may be NULL
 */
void ss_ctl_close(struct ss_ctl *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	json_decref(c->events);
	json_decref(c->hello);
	free(c);
}

/**
 * ss_ctl_send_line() - send text as is (blocking until sent or failed)
 * @c:		connection
 * @line:	bytes to send (add the newline yourself)
 *
 * Return: 0, or a negative error code
 */
int ss_ctl_send_line(struct ss_ctl *c, const char *line)
{
	size_t len = strlen(line), off = 0;
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

	while (off < len) {
		ssize_t r = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (poll(&pfd, 1, SS_TIMEOUT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (r < 0)
			return -errno;
		off += (size_t)r;
	}
	return 0;
}

/* Take one complete line out of the buffer, parsed. */
static json_t *take_line(struct ss_ctl *c)
{
	char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
	json_t *v;
	size_t n;

	if (!nl)
		return NULL;
	n = (size_t)(nl - c->buf) + 1;
	v = json_loadb(c->buf, n - 1, 0, NULL);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return v ? v : json_string("(unparsable line)");
}

/**
 * ss_ctl_read() - the next line from the daemon, parsed
 * @c:		connection
 * @timeout_ms:	bound
 *
 * Return: the value (new reference), or NULL on timeout or end of file
 */
json_t *ss_ctl_read(struct ss_ctl *c, int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	json_t *v;

	for (;;) {
		int left = (int)(deadline - ss_now_ms());
		ssize_t r;

		v = take_line(c);
		if (v || c->eof)
			return v;
		if (c->cap - c->len < 65536) {
			char *nb = realloc(c->buf, c->cap + 65536);

			if (!nb)
				return NULL;
			c->buf = nb;
			c->cap += 65536;
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->eof = true;
			continue;
		}
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return NULL;
	}
}

/**
 * ss_ctl_cmd() - run one command and wait for its reply
 * @c:		connection
 * @cmd:	command name
 * @args:	arguments (stolen), or NULL
 *
 * Return: the reply object ("return" or "error"), or NULL on timeout
 */
json_t *ss_ctl_cmd(struct ss_ctl *c, const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:s}", "execute", cmd), *v;
	char *s;
	int rc;

	if (args)
		json_object_set_new(req, "arguments", args);
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!s)
		return NULL;
	rc = ss_ctl_send_line(c, s);
	if (rc == 0)
		rc = ss_ctl_send_line(c, "\n");
	free(s);
	if (rc < 0)
		return NULL;
	while ((v = ss_ctl_read(c, SS_TIMEOUT_MS))) {
		if (!json_object_get(v, "event"))
			return v;
		json_array_append_new(c->events, v);
	}
	return NULL;
}

static bool ev_is(const json_t *v, const char *name)
{
	const char *e = json_string_value(json_object_get(v, "event"));

	return e && !strcmp(e, name);
}

/**
 * ss_ctl_event() - wait for the next event called @name, skipping others
 * @c:		a subscribed connection
 * @name:	event name
 * @timeout_ms:	bound
 *
 * Return: the event (new reference), or NULL if none came in time
 */
json_t *ss_ctl_event(struct ss_ctl *c, const char *name, int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	json_t *v;

	while (json_array_size(c->events)) {
		v = json_incref(json_array_get(c->events, 0));
		json_array_remove(c->events, 0);
		if (ev_is(v, name))
			return v;
		json_decref(v);
	}
	for (;;) {
		int left = (int)(deadline - ss_now_ms());

		v = ss_ctl_read(c, left > 0 ? left : 0);
		if (!v)
			return NULL;
		if (ev_is(v, name))
			return v;
		json_decref(v);
	}
}

/**
 * ss_ctl_port() - the entry for port @id in a query-ports array
 * @ports:	the "return" array
 * @id:		port number
 *
 * Return: borrowed object, or NULL
 */
json_t *ss_ctl_port(json_t *ports, long long id)
{
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p)
		if (json_integer_value(json_object_get(p, "id")) == id)
			return p;
	return NULL;
}
