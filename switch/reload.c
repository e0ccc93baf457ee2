// SPDX-License-Identifier: MIT
/*
 * reload.c - live reconfiguration: apply a new config to a running switch
 *
 * SIGHUP and the control command "reload" come here. The new config is
 * built the way start-up built the first one (main.c supplies the builder:
 * file, then command-line options, then defaults) and the difference is
 * applied; ports are never touched, so attached guests keep forwarding.
 *
 * DOC: Theory of Operation
 * This file is the engine; the modules do the work through their reload
 * hooks (struct reload_hook), in registration order: the listeners
 * (transport/listener.c), the control socket (control/control.c), the open
 * file limit (main.c), uplinks, metrics. Everything that can fail happens
 * before anything is given up: every hook prepares (new listeners are
 * opened, a moved control socket is bound...), then the core takes its
 * new limits. If any step fails, the steps before it are undone and the
 * running configuration stays as it was; the error is logged, returned and
 * sent as a RELOAD_FAILED event. Only then does every hook commit (removed
 * listeners are closed, connections they accepted stay attached; socket
 * permissions are updated...) and the log level change. pidfile and daemon
 * cannot change while running: a reload that changes them logs that a
 * restart is needed and keeps the old ones.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitchd.h"

#define RELOAD_HOOKS_MAX 16

/**
 * struct summary - what a reload changed, as one line
 * @buf:	the text
 * @len:	its size
 * @used:	bytes written
 */
struct summary {
	char *buf;
	size_t len;
	size_t used;
};

static void sum_vadd(struct summary *s, const char *fmt, va_list ap)
{
	int n;

	if (s->used + 2 >= s->len)
		return;
	if (s->used) {
		s->buf[s->used++] = ';';
		s->buf[s->used++] = ' ';
		s->buf[s->used] = '\0';
	}
	n = vsnprintf(s->buf + s->used, s->len - s->used, fmt, ap);
	if (n > 0)
		s->used += (size_t)n < s->len - s->used ? (size_t)n
							: s->len - s->used - 1;
}

static void __attribute__((format(printf, 2, 3)))
sum_add(struct summary *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sum_vadd(s, fmt, ap);
	va_end(ap);
}

/**
 * struct reload_state - how to build a config, and who else reloads
 * @build:	main.c's builder
 * @opaque:	its argument
 * @hooks:	modules' hooks, in registration order
 * @nhooks:	how many
 * @sum:	the summary of the reload being committed, or NULL
 */
struct reload_state {
	reload_build_fn build;
	void *opaque;
	struct reload_hook hooks[RELOAD_HOOKS_MAX];
	size_t nhooks;
	struct summary *sum;
};

/**
 * reload_note() - add a change to the summary of the reload in progress
 * @d:		the daemon
 * @fmt:	what changed ("listening on unix:/run/x.sock")
 *
 * Context: a reload hook's commit(); elsewhere it does nothing.
 */
void reload_note(struct swd *d, const char *fmt, ...)
{
	struct reload_state *rs = d->reload;
	va_list ap;

	if (!rs || !rs->sum)
		return;
	va_start(ap, fmt);
	sum_vadd(rs->sum, fmt, ap);
	va_end(ap);
}

static struct reload_state *reload_get(struct swd *d)
{
	if (!d->reload)
		d->reload = calloc(1, sizeof(*d->reload));
	return d->reload;
}

/**
 * reload_set_builder() - say how a reload builds its config
 * @d:		the daemon
 * @fn:		builder
 * @opaque:	its argument
 *
 * Return: 0 on success, -ENOMEM
 */
int reload_set_builder(struct swd *d, reload_build_fn fn, void *opaque)
{
	struct reload_state *rs = reload_get(d);

	if (!rs)
		return -ENOMEM;
	rs->build = fn;
	rs->opaque = opaque;
	return 0;
}

/**
 * reload_hook_add() - take part in every reload (see struct reload_hook)
 * @d:		the daemon
 * @h:		the hook (copied); any callback may be NULL
 *
 * Return: 0 on success, -ENOMEM or -ENOSPC
 */
int reload_hook_add(struct swd *d, const struct reload_hook *h)
{
	struct reload_state *rs = reload_get(d);

	if (!rs)
		return -ENOMEM;
	if (rs->nhooks >= RELOAD_HOOKS_MAX)
		return -ENOSPC;
	rs->hooks[rs->nhooks++] = *h;
	return 0;
}

/**
 * reload_fini() - free the reload state
 * @d:		the daemon
 */
void reload_fini(struct swd *d)
{
	free(d->reload);
	d->reload = NULL;
}

static void sum_params(struct summary *s, const struct sw_params *o,
		       const struct sw_params *n)
{
#define SUM_FIELD(f, name)                                  \
	do {                                                \
		if (o->f != n->f)                           \
			sum_add(s, "%s %llu -> %llu", name, \
				(unsigned long long)o->f,   \
				(unsigned long long)n->f);  \
	} while (0)
	SUM_FIELD(mac_table_size, "mac_table_size");
	SUM_FIELD(mac_port_share, "mac_port_share");
	SUM_FIELD(ageing_ms, "ageing_ms");
	SUM_FIELD(hold_down_ms, "mac_hold_down_ms");
	SUM_FIELD(max_ports, "max_ports");
	SUM_FIELD(max_frame, "max_frame");
	SUM_FIELD(txq_frames, "tx_queue_frames");
	SUM_FIELD(txq_bytes, "tx_queue_bytes");
	SUM_FIELD(queue_budget, "queue_budget");
	SUM_FIELD(hub, "hub");
#undef SUM_FIELD
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int prepare_hooks(struct swd *d, const struct swd_config *nc,
			 size_t *done, char *err, size_t errlen)
{
	struct reload_state *rs = d->reload;
	char herr[512];

	for (*done = 0; *done < rs->nhooks; (*done)++) {
		struct reload_hook *h = &rs->hooks[*done];

		herr[0] = '\0';
		if (h->prepare &&
		    h->prepare(d, nc, herr, sizeof(herr), h->opaque) < 0) {
			snprintf(err, errlen, "%s: %s", h->name, herr);
			return -EINVAL;
		}
	}
	return 0;
}

static void abort_hooks(struct swd *d, const struct swd_config *nc, size_t n)
{
	struct reload_state *rs = d->reload;

	while (n--)
		if (rs->hooks[n].abort)
			rs->hooks[n].abort(d, nc, rs->hooks[n].opaque);
}

/* Everything that may fail; on failure all of it is undone. */
static int reload_prepare(struct swd *d, struct swd_config *nc, char *err,
			  size_t errlen)
{
	size_t nhooks = 0;
	int rc;

	rc = prepare_hooks(d, nc, &nhooks, err, errlen);
	if (rc < 0)
		goto undo_hooks;
	rc = sw_set_params(&d->sw, &nc->core);
	if (rc < 0) {
		snprintf(err, errlen, "cannot apply the new limits: %s",
			 strerror(-rc));
		goto undo_hooks;
	}
	return 0;
undo_hooks:
	abort_hooks(d, nc, nhooks);
	return rc;
}

/* Nothing here may fail in a way that needs undoing. The hooks commit
 * first (listeners, then the control socket, lead the summary), then the
 * core's parameters and the log level. */
static void reload_commit(struct swd *d, struct swd_config *nc,
			  struct summary *s)
{
	static const char *const lvl[] = { "error", "warning", "info",
					   "debug" };
	struct swd_config *oc = &d->cfg;
	struct reload_state *rs = d->reload;
	size_t i;

	if (!str_same(oc->pidfile, nc->pidfile) || oc->daemon != nc->daemon)
		log_warnx(
			"reload: pidfile and daemon cannot change while running; restart to apply them");
	free(nc->pidfile);
	nc->pidfile = oc->pidfile ? strdup(oc->pidfile) : NULL;
	nc->daemon = oc->daemon;
	rs->sum = s;
	for (i = 0; i < rs->nhooks; i++)
		if (rs->hooks[i].commit)
			rs->hooks[i].commit(d, oc, nc, rs->hooks[i].opaque);
	rs->sum = NULL;
	if (oc->stp_on != nc->stp_on ||
	    (nc->stp_on && memcmp(&oc->stp, &nc->stp, sizeof(nc->stp)))) {
		swd_stp_apply(d, nc);
		sum_add(s, "stp %s",
			nc->stp_on ? "on, settings applied" : "off");
	}
	sum_params(s, &oc->core, &nc->core);
	if (nc->core.max_ports < d->sw.nports)
		log_warnx(
			"reload: %u ports attached, above the new max_ports %u; they stay until they close",
			d->sw.nports, nc->core.max_ports);
	if (oc->log_level != nc->log_level) {
		log_set_level(nc->log_level);
		sum_add(s, "log_level %s -> %s", lvl[oc->log_level],
			lvl[nc->log_level]);
	}
	config_fini(oc);
	*oc = *nc;
	if (!s->used)
		sum_add(s, "no changes");
}

/**
 * swd_reload() - re-read the config and apply what changed
 * @d:		the daemon
 * @why:	"SIGHUP", "control command"... for the log and the event
 * @err:	on failure, why nothing changed
 * @errlen:	size of @err
 * @summary:	on success, what changed ("no changes" if nothing)
 * @sumlen:	size of @summary
 *
 * Context: from a libev callback (signal or control client); ports are
 * not touched.
 *
 * Return: 0 on success, negative error code (nothing changed) on failure
 */
int swd_reload(struct swd *d, const char *why, char *err, size_t errlen,
	       char *summary, size_t sumlen)
{
	struct summary s = { summary, sumlen, 0 };
	struct swd_event ev = { .trigger = why };
	struct reload_state *rs = d->reload;
	struct swd_config nc;
	int rc;

	summary[0] = '\0';
	if (!rs || !rs->build) {
		snprintf(err, errlen, "reload is not available");
		rc = -ENOTSUP;
		goto fail;
	}
	rc = rs->build(&nc, err, errlen, rs->opaque);
	if (rc < 0)
		goto fail;
	nc.core.hash_secret = d->cfg.core.hash_secret;
	rc = reload_prepare(d, &nc, err, errlen);
	if (rc < 0) {
		config_fini(&nc);
		goto fail;
	}
	reload_commit(d, &nc, &s);
	log_info("reload (%s): %s", why, summary);
	ev.type = SWD_EV_RELOAD_DONE;
	ev.text = summary;
	swd_emit(d, &ev);
	return 0;
fail:
	log_error("reload (%s) failed, configuration unchanged: %s", why, err);
	ev.type = SWD_EV_RELOAD_FAILED;
	ev.text = err;
	swd_emit(d, &ev);
	return rc;
}
