// SPDX-License-Identifier: MIT
/*
 * uplink_cmds.c - control commands for uplinks: hostfwd-add, -remove, -list,
 * query-slirp
 *
 * (Uplinks reload themselves: transport/uplink_reload.c.)
 *
 * hostfwd-add, hostfwd-remove and hostfwd-list drive the slirp API of
 * transport/slirp.c for one slirp uplink, named by "port" or the only one;
 * query-slirp shows its host sockets, their bounds and the refusals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/control.h"
#include "transport/uplink.h"

/* The slirp uplink "port" names (number or name), or the only one; @cmd
 * names the command in the message when there is none. */
static struct port *slirp_port_arg(struct ctl_req *r, const char *cmd)
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
			 "no slirp uplink: %s needs --uplink slirp", cmd);
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

	if (hostfwd_args(r, true, &rule) < 0 ||
	    !(p = slirp_port_arg(r, "hostfwd")))
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

	if (hostfwd_args(r, true, &rule) < 0 ||
	    !(p = slirp_port_arg(r, "hostfwd")))
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

	if (hostfwd_args(r, false, NULL) < 0 ||
	    !(p = slirp_port_arg(r, "hostfwd")))
		return NULL;
	a = json_array();
	for (i = 0; a && (t = slirp_uplink_hostfwd_at(p, i)); i++)
		json_array_append_new(a, json_string(t));
	return json_pack("{s:I,s:s,s:o?}", "port", (json_int_t)p->id, "name",
			 p->name, "rules", a);
}

static json_t *cmd_query_slirp(struct ctl_req *r)
{
	struct slirp_uplink_stats s;
	json_t *refused;
	struct port *p;
	int i;

	if (hostfwd_args(r, false, NULL) < 0 ||
	    !(p = slirp_port_arg(r, "query-slirp")))
		return NULL;
	if (!slirp_uplink_stats(p, &s))
		return ctl_fail(r, CTL_ERR_GENERIC, "port %u has not started",
				p->id);
	refused = json_object();
	for (i = 0; refused && i < SLIRP_REFUSED__MAX; i++)
		json_object_set_new(refused, slirp_refusal_name[i],
				    json_integer((json_int_t)s.st.refused[i]));
	return json_pack(
		"{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o?,s:I}", "port",
		(json_int_t)p->id, "name", p->name, "conn_max",
		(json_int_t)s.conn_max, "conn_max_guest",
		(json_int_t)s.conn_max_guest, "half_open_max_guest",
		(json_int_t)s.half_open_max_guest, "sockets",
		(json_int_t)s.st.socks, "half_open", (json_int_t)s.st.half_open,
		"guests", (json_int_t)s.st.guests, "forwarded",
		(json_int_t)s.st.outside, "peak", (json_int_t)s.st.peak,
		"refused", refused, "resets", (json_int_t)s.st.rst);
}

static const struct ctl_cmd uplink_cmds[] = {
	{ "hostfwd-add", cmd_hostfwd_add,
	  "{\"port\"?: P, \"rule\": \"tcp:[HOST]:HPORT-[GUEST]:GPORT\"}: "
	  "forward a host port into a slirp uplink" },
	{ "hostfwd-remove", cmd_hostfwd_remove,
	  "{\"port\"?: P, \"rule\": \"tcp:[HOST]:HPORT\"}: remove a forward" },
	{ "hostfwd-list", cmd_hostfwd_list,
	  "{\"port\"?: P}: a slirp uplink's forwards" },
	{ "query-slirp", cmd_query_slirp,
	  "{\"port\"?: P}: a slirp uplink's host sockets, bounds, refusals" },
};

/**
 * uplink_cmds_register() - add the hostfwd commands to the control socket
 * @d:		the daemon
 *
 * Return: 0 on success, negative error code
 */
int uplink_cmds_register(struct swd *d)
{
	return ctl_register(d, uplink_cmds,
			    sizeof(uplink_cmds) / sizeof(uplink_cmds[0]));
}
