// SPDX-License-Identifier: MIT
/*
 * uplink_ctl.c - uplinks at run time: reload and the hostfwd commands
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
 * hostfwd-add, hostfwd-remove and hostfwd-list drive the slirp API of
 * transport/slirp.c for one slirp uplink, named by "port" or the only one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/control.h"
#include "transport/uplink.h"

/* ---- reload ------------------------------------------------------------ */

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

static void uplinks_commit(struct swd *d, const struct swd_config *oldc,
			   const struct swd_config *newc, void *opaque)
{
	bool *taken = calloc(newc->nuplinks + 1, sizeof(*taken));
	size_t j;

	(void)oldc;
	(void)opaque;
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

/* ---- hostfwd commands ---------------------------------------------------- */

/* The slirp uplink "port" names (number or name), or the only one. */
static struct port *slirp_port_arg(struct ctl_req *r)
{
	json_t *v = json_object_get(r->args, "port");
	struct port *p, *found = NULL;
	unsigned n = 0;
	uint32_t i;

	if (v && !json_is_integer(v) && !json_is_string(v)) {
		ctl_fail(r, CTL_ERR_GENERIC,
			 "\"port\" must be a port number or name");
		return NULL;
	}
	port_foreach(&r->d->sw, p, i) {
		if (!slirp_uplink_is(p) || p->closing)
			continue;
		n++;
		if (!v ||
		    (json_is_integer(v) &&
		     json_integer_value(v) == (json_int_t)p->id) ||
		    (json_is_string(v) &&
		     !strcmp(json_string_value(v), p->name)))
			found = p;
	}
	if (!n) {
		ctl_fail(r, CTL_ERR_GENERIC,
			 "no slirp uplink: hostfwd needs --uplink slirp");
		return NULL;
	}
	if (!v && n > 1) {
		ctl_fail(r, CTL_ERR_GENERIC,
			 "%u slirp uplinks: say which with \"port\"", n);
		return NULL;
	}
	if (!found)
		ctl_fail(r, CTL_ERR_NO_PORT, "port %s is not a slirp uplink",
			 json_is_string(v) ? json_string_value(v) : "given");
	return found;
}

/* Fail on an argument other than "port" and (with @rule) "rule". */
static int hostfwd_args(struct ctl_req *r, bool rule, const char **out)
{
	const char *key;
	json_t *v;

	json_object_foreach(r->args, key, v) {
		if (strcmp(key, "port") && (!rule || strcmp(key, "rule"))) {
			ctl_fail(r, CTL_ERR_GENERIC, "unknown argument `%.64s'",
				 key);
			return -1;
		}
	}
	if (!rule)
		return 0;
	v = json_object_get(r->args, "rule");
	if (!json_is_string(v)) {
		ctl_fail(
			r, CTL_ERR_GENERIC,
			"missing argument \"rule\" (a string, QEMU hostfwd syntax)");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static json_t *hostfwd_result(struct port *p, const char *rule)
{
	return json_pack("{s:I,s:s,s:s}", "port", (json_int_t)p->id, "name",
			 p->name, "rule", rule);
}

static json_t *cmd_hostfwd_add(struct ctl_req *r)
{
	const char *rule;
	struct port *p;
	char err[256];

	if (hostfwd_args(r, true, &rule) < 0 || !(p = slirp_port_arg(r)))
		return NULL;
	if (slirp_uplink_hostfwd_add(p, rule, err, sizeof(err)) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
	return hostfwd_result(p, rule);
}

static json_t *cmd_hostfwd_remove(struct ctl_req *r)
{
	char err[256], key[128], *dash;
	const char *rule;
	struct port *p;

	if (hostfwd_args(r, true, &rule) < 0 || !(p = slirp_port_arg(r)))
		return NULL;
	/* The rule as added works too: only its host side counts. */
	snprintf(key, sizeof(key), "%s", rule);
	dash = strchr(key, '-');
	if (dash)
		*dash = '\0';
	if (slirp_uplink_hostfwd_remove(p, key, err, sizeof(err)) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
	return hostfwd_result(p, key);
}

static json_t *cmd_hostfwd_list(struct ctl_req *r)
{
	json_t *a;
	const char *t;
	struct port *p;
	size_t i;

	if (hostfwd_args(r, false, NULL) < 0 || !(p = slirp_port_arg(r)))
		return NULL;
	a = json_array();
	for (i = 0; a && (t = slirp_uplink_hostfwd_at(p, i)); i++)
		json_array_append_new(a, json_string(t));
	return json_pack("{s:I,s:s,s:o?}", "port", (json_int_t)p->id, "name",
			 p->name, "rules", a);
}

static const struct ctl_cmd uplink_cmds[] = {
	{ "hostfwd-add", cmd_hostfwd_add,
	  "{\"port\"?: P, \"rule\": \"tcp:[HOST]:HPORT-[GUEST]:GPORT\"}: "
	  "forward a host port into a slirp uplink" },
	{ "hostfwd-remove", cmd_hostfwd_remove,
	  "{\"port\"?: P, \"rule\": \"tcp:[HOST]:HPORT\"}: remove a forward" },
	{ "hostfwd-list", cmd_hostfwd_list,
	  "{\"port\"?: P}: a slirp uplink's forwards" },
};

/**
 * uplink_ctl_register() - take part in reloads, add the hostfwd commands
 * @d:		the daemon
 *
 * Return: 0 on success, negative error code
 */
int uplink_ctl_register(struct swd *d)
{
	int rc = reload_hook_add(d, &uplink_reload_hook);

	if (rc < 0)
		return rc;
	return ctl_register(d, uplink_cmds,
			    sizeof(uplink_cmds) / sizeof(uplink_cmds[0]));
}
