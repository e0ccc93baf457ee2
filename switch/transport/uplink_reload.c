// SPDX-License-Identifier: MIT
/*
 * uplink_reload.c - uplinks reload themselves: keep, stop and start them
 *
 * DOC: Theory of Operation
 * A reload compares the running uplinks with the new config's "uplinks"
 * and "connect" lists by kind and canonical spec (uplink_cfg_same()).
 * An uplink whose spec is unchanged is not touched: its device or
 * connection, its port number, counters, learned addresses and slirp
 * forwards added at run time all stay. One that is gone from the config
 * is stopped and its port closed; a new one is registered and makes its
 * first attempt, as at start. Each uplink owns a copy of its config entry,
 * so the old config can be freed under the kept ones. prepare() only
 * checks that the new ones fit under max_ports (the removed ones' ports
 * are freed after the reload, so they do not make room in it).
 *
 * The hook reads only the new config's uplink list and max_ports, which
 * the reload engine hands to every hook.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/uplink.h"

/* Index of the first entry of @c like @uc not yet @taken, or -1. */
static long cfg_match(const struct swd_config *c, const struct uplink_cfg *uc,
		      const bool *taken)
{
	size_t i;

	for (i = 0; i < c->nuplinks; i++)
		if (!taken[i] && uplink_cfg_same(&c->uplinks[i], uc))
			return (long)i;
	return -1;
}

/*
 * Walk the running uplinks against @c: mark in @taken the entries they
 * match; with @stop, close the ones that match none. Return: how many
 * entries of @c are not running yet.
 */
static size_t uplinks_diff(struct swd *d, const struct swd_config *c,
			   bool *taken, bool stop)
{
	size_t fresh = c->nuplinks;
	struct port *p;
	uint32_t i;

	/* swd_port_close() only marks the port: the walk stays valid. */
	port_foreach(&d->sw, p, i) {
		struct uplink *u = uplink_of(p);
		long j;

		if (!u || p->closing)
			continue;
		j = cfg_match(c, u->cfg, taken);
		if (j >= 0) {
			taken[j] = true;
			fresh--;
		} else if (stop) {
			log_info(
				"reload: uplink %s removed from the config, stopping it",
				u->what);
			uplink_remove(
				u, "uplink removed from the config by reload");
		}
	}
	return fresh;
}

static int uplinks_prepare(struct swd *d, const struct swd_config *newc,
			   char *err, size_t errlen, void *opaque)
{
	bool *taken = calloc(newc->nuplinks + 1, sizeof(*taken));
	size_t fresh;

	(void)opaque;
	if (!taken) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fresh = uplinks_diff(d, newc, taken, false);
	free(taken);
	if (fresh && d->sw.nports + fresh > newc->core.max_ports) {
		snprintf(
			err, errlen,
			"no room for %zu new uplink(s): %u ports attached, max_ports %u",
			fresh, d->sw.nports, newc->core.max_ports);
		return -ENOSPC;
	}
	return 0;
}

/* The reload's summary: uplinks stopped and started, by the rule
 * uplinks_diff() applies. */
static void uplinks_note(struct swd *d, const struct swd_config *oc,
			 const struct swd_config *nc)
{
	size_t i, j;

	for (i = 0; i < oc->nuplinks; i++) {
		for (j = 0; j < nc->nuplinks; j++)
			if (uplink_cfg_same(&oc->uplinks[i], &nc->uplinks[j]))
				break;
		if (j == nc->nuplinks)
			reload_note(d, "stopped uplink %s",
				    oc->uplinks[i].spec);
	}
	for (j = 0; j < nc->nuplinks; j++) {
		for (i = 0; i < oc->nuplinks; i++)
			if (uplink_cfg_same(&oc->uplinks[i], &nc->uplinks[j]))
				break;
		if (i == oc->nuplinks)
			reload_note(d, "started uplink %s",
				    nc->uplinks[j].spec);
	}
}

static void uplinks_commit(struct swd *d, const struct swd_config *oldc,
			   const struct swd_config *newc, void *opaque)
{
	bool *taken = calloc(newc->nuplinks + 1, sizeof(*taken));
	size_t j;

	(void)opaque;
	uplinks_note(d, oldc, newc);
	if (!taken) {
		log_error("reload: out of memory; uplinks left as they were");
		return;
	}
	uplinks_diff(d, newc, taken, true);
	for (j = 0; j < newc->nuplinks; j++) {
		if (taken[j])
			continue;
		log_info("reload: new uplink %s", newc->uplinks[j].spec);
		uplink_add(d, &newc->uplinks[j]);
	}
	free(taken);
}

static const struct reload_hook uplink_reload_hook = {
	.name = "uplinks",
	.prepare = uplinks_prepare,
	.commit = uplinks_commit,
};

/**
 * uplinks_reload_register() - take part in reloads (start, stop, keep)
 * @d:		the daemon
 *
 * Return: 0 on success, negative error code
 */
int uplinks_reload_register(struct swd *d)
{
	return reload_hook_add(d, &uplink_reload_hook);
}
