// SPDX-License-Identifier: MIT
/*
 * control_client.c - one control connection: buffers, lines, replies
 *
 * Reads request lines into a bounded buffer, runs them through the
 * command registry (control.c) and queues the replies; writes without
 * blocking; pauses reading while too many replies are unsent; kills a
 * client on a line above CTL_LINE_MAX. Dead clients are freed by the
 * daemon's deferred pass (swd_defer()), never in their own
 * callbacks. See control.c for the design.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>

#include "control_int.h"

/*
 * Take @cl off the client list. Its own @next stays as it was, so a walk
 * of the list that is standing on @cl (ctl_emit(), ctl_close()) goes on
 * to the right client; the memory is freed in the deferred pass.
 */
static void ctl_client_unlink(struct ctl *c, struct ctl_client *cl)
{
	struct ctl_client **pp;

	for (pp = &c->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			c->nclients--;
			return;
		}
	}
}

static void ctl_client_free_deferred(struct swd_deferred *x);

/**
 * ctl_client_kill() - close a client now, free it after this iteration
 * @cl:		the client
 * @why:	reason for the log (info level), or NULL (debug level)
 */
void ctl_client_kill(struct ctl_client *cl, const char *why)
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
	ctl_client_unlink(c, cl);
	swd_defer(c->d, &cl->defer, ctl_client_free_deferred);
}

/**
 * ctl_client_free() - free a closed client's memory
 * @cl:		the client
 */
void ctl_client_free(struct ctl_client *cl)
{
	free(cl->in);
	free(cl->out);
	free(cl);
}

static void ctl_client_free_deferred(struct swd_deferred *x)
{
	ctl_client_free(container_of(x, struct ctl_client, defer));
}

/**
 * ctl_client_pending() - bytes queued for a client, not yet written
 * @cl:		the client
 *
 * Return: byte count
 */
size_t ctl_client_pending(const struct ctl_client *cl)
{
	return cl->out_len - cl->out_off;
}

/**
 * ctl_client_append() - queue output for a client (not written yet)
 * @cl:		the client
 * @s:		bytes
 * @len:	how many
 *
 * Return: true, or false if memory ran out (the client is then killed)
 */
bool ctl_client_append(struct ctl_client *cl, const char *s, size_t len)
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
				ctl_client_pending(cl));
			cl->out_len -= cl->out_off;
			cl->out_off = 0;
			need = cl->out_len + len;
		}
		while (cap < need)
			cap *= 2;
		if (cap != cl->out_cap) {
			nb = realloc(cl->out, cap);
			if (!nb) {
				ctl_client_kill(cl,
						"out of memory for its output");
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

	while (ctl_client_pending(cl)) {
		ssize_t r = send(cl->fd, cl->out + cl->out_off,
				 ctl_client_pending(cl),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r < 0) {
			ctl_client_kill(cl,
					errno == EPIPE || errno == ECONNRESET
						? NULL
						: "write error");
			return false;
		}
		cl->out_off += (size_t)r;
	}
	if (ctl_client_pending(cl))
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
	if (ctl_client_pending(cl) < CTL_OUT_PAUSE && !ev_is_active(&cl->rio))
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
		ctl_client_kill(cl, "out of memory for a reply");
		return false;
	}
	ok = ctl_client_append(cl, s, strlen(s)) &&
	     ctl_client_append(cl, "\n", 1);
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
		while (!cl->dead && ctl_client_pending(cl) < CTL_OUT_PAUSE &&
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
		if (ctl_client_pending(cl) >= CTL_OUT_PAUSE) {
			/* Not read from until it takes its replies. */
			ev_io_stop(loop, &cl->rio);
			break;
		}
		if (!memchr(line, '\n', left))
			break;
	}
	memmove(cl->in, line, left);
	cl->in_len = left;
	if (ctl_client_pending(cl) < CTL_OUT_PAUSE)
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
		ctl_client_kill(cl, r < 0 && errno != ECONNRESET ? "read error"
								 : NULL);
		return;
	}
	cl->in_len += (size_t)r;
	cl->active_ms = cl->ctl->d->now_ms;
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
	ctl_client_kill(cl, "sent a line longer than 64 KiB");
}

/**
 * ctl_client_evict_idle() - make room: close the client idle the longest
 * @c:		control state, with CTL_CLIENTS_MAX clients
 *
 * Subscribers are kept (they wait for events by design); of the others,
 * the one that sent nothing for the longest goes, so connections that
 * just sit there cannot keep sockswitchctl out.
 *
 * Return: true if a client was closed
 */
bool ctl_client_evict_idle(struct ctl *c)
{
	struct ctl_client *cl, *victim = NULL;

	for (cl = c->clients; cl; cl = cl->next)
		if (!cl->subscribed &&
		    (!victim || cl->active_ms < victim->active_ms ||
		     (cl->active_ms == victim->active_ms &&
		      cl->id < victim->id)))
			victim = cl;
	if (!victim)
		return false;
	c->st.evicted++;
	ctl_client_kill(victim, NULL);
	return true;
}

/**
 * ctl_client_new() - start serving an accepted connection
 * @c:		control state
 * @fd:		the connection (nonblocking); owned from now on
 */
void ctl_client_new(struct ctl *c, int fd)
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
	cl->active_ms = c->d->now_ms;
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
