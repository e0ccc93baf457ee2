// SPDX-License-Identifier: MIT
/*
 * control_cmds.c - the built-in control commands and the switch's events
 *
 * query-status, query-ports, query-macs, query-commands, port-disable,
 * port-enable, port-close, impair, mirror-add, mirror-remove,
 * query-mirrors, mac-flush, reload, log-level and subscribe,
 * registered with ctl_register() like any other module's commands; and
 * the JSON form of the core's events (MAC learned, moved, aged, table
 * full) and of ports going up and down. docs/control.md describes every reply.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config/impair_opts.h"
#include "config/vlan_opts.h"
#include "control/control.h"
#include "transport/transport.h"
#include "transport/uplink.h"

#define RELOAD_ERRLEN 1024

static json_t *port_ref_json(const struct port *p)
{
	return json_pack("{s:I,s:s}", "port", (json_int_t)p->id, "name",
			 p->name);
}

/* A port's impairment: its settings ("off" when none) and what it did. */
static json_t *impair_json(const struct port *p)
{
	char text[IMPAIR_SETTINGS_LEN];
	const struct impair *im = p->impair;

	if (!im)
		return json_pack("{s:s}", "settings", "off");
	impair_opts_format(&im->cfg, text, sizeof(text));
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "settings", text, "held",
			 (json_int_t)im->n, "held_bytes", (json_int_t)im->bytes,
			 "duplicated", (json_int_t)im->duplicated, "corrupted",
			 (json_int_t)im->corrupted, "reordered",
			 (json_int_t)im->reordered);
}

/* A port's VLAN mode: "mode", its VLAN or VLANs, and the text form that
 * sockswitchctl vlan takes back. */
static json_t *vlan_json(const struct port *p)
{
	const struct vlan_cfg *c = p->vlan;
	char text[VLAN_TEXT_MAX], list[VLAN_TEXT_MAX];
	json_t *o;

	vlan_cfg_format(c, text, sizeof(text));
	if (!c)
		return json_pack("{s:s,s:s}", "mode", "none", "text", text);
	if (c->mode == VLAN_MODE_ACCESS)
		return json_pack("{s:s,s:i,s:s}", "mode", "access", "vlan",
				 (int)c->vid, "text", text);
	vlan_list_format(c, list, sizeof(list), ',');
	o = json_pack("{s:s,s:s,s:s}", "mode", "trunk", "vlans", list, "text",
		      text);
	if (o && c->vid)
		json_object_set_new(o, "native", json_integer(c->vid));
	return o;
}

/**
 * ctl_stp_json() - the bridge's spanning-tree state, for query-status
 * @d:		the daemon
 *
 * Return: {"enabled": false} when off, else the bridge and root ids,
 *	   root port and cost, timers in use and topology changes
 */
static json_t *ctl_stp_json(const struct swd *d)
{
	const struct stp *s = d->sw.stp;
	char b[24], r[24];

	if (!s)
		return json_pack("{s:b}", "enabled", false);
	stp_id_format(s->bridge_id, b, sizeof(b));
	stp_id_format(s->root_id, r, sizeof(r));
	return json_pack(
		"{s:b,s:s,s:i,s:s,s:b,s:I,s:s?,s:i,s:i,s:i,s:b,s:I,s:f}",
		"enabled", true, "bridge_id", b, "priority",
		(int)s->cfg.priority, "root_id", r, "root", !s->root_port,
		"root_path_cost", (json_int_t)s->root_cost, "root_port",
		s->root_port ? s->root_port->name : NULL, "hello_time",
		(int)(s->hello_ms / 1000), "max_age",
		(int)(s->max_age_ms / 1000), "forward_delay",
		(int)(s->fwd_delay_ms / 1000), "topology_change", s->tc,
		"topology_changes", (json_int_t)s->tc_count,
		"last_topology_change_ago",
		s->tc_count ? (double)(s->last_ms - s->tc_last_ms) / 1000.0
			    : -1.0);
}

/* A port's spanning-tree state, for query-ports (NULL: STP off). */
static json_t *stp_port_json(const struct swd *d, const struct port *p)
{
	const struct stp_port *sp = p->stp;
	char db[24], dr[24];

	if (!sp)
		return NULL;
	stp_id_format(sp->dbridge, db, sizeof(db));
	stp_id_format(sp->droot, dr, sizeof(dr));
	return json_pack(
		"{s:s,s:s,s:b,s:i,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
		"state", stp_state_name(sp->state), "role",
		stp_role_name(stp_port_role(&d->sw, p)), "edge", sp->edge,
		"port_id", (int)sp->port_id, "path_cost",
		(json_int_t)sp->path_cost, "designated_root", dr,
		"designated_bridge", db, "rx_bpdu", (json_int_t)sp->rx_bpdu,
		"tx_bpdu", (json_int_t)sp->tx_bpdu, "rx_tcn",
		(json_int_t)sp->rx_tcn, "tx_tcn", (json_int_t)sp->tx_tcn,
		"rx_bad", (json_int_t)sp->rx_bad, "forward_transitions",
		(json_int_t)sp->transitions);
}

/**
 * ctl_port_json() - everything about one port, as query-ports shows it
 * @d:		the daemon
 * @p:		the port
 *
 * Return: new object, or NULL
 */
json_t *ctl_port_json(const struct swd *d, const struct port *p)
{
	struct uplink_counter uc[UPLINK_COUNTERS_MAX];
	size_t nuc = uplink_port_counters(p, uc, UPLINK_COUNTERS_MAX), k;
	const struct port_stats *st = &p->st;
	struct vxlan_uplink_info vx;
	struct vhost_port_info vh;
	json_t *drops = json_object(), *tc = NULL, *o;
	int i;

	(void)d;
	for (i = 0; drops && i < PORT_DROP__MAX; i++)
		json_object_set_new(drops, port_drop_name[i],
				    json_integer((json_int_t)st->drops[i]));
	o = json_pack(
		"{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b,"
		"s:{s:I,s:I,s:I,s:I,s:I,s:I},"
		"s:{s:I,s:I,s:I,s:I},"
		"s:{s:I,s:I,s:I,s:I},"
		"s:{s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I},s:o?}",
		"id", (json_int_t)p->id, "name", p->name, "transport",
		p->ops->name, "peer", p->descr, "description", p->description,
		"state", swd_port_state(p), "enabled", p->enabled, "capture",
		p->capture, "rx", "frames", (json_int_t)st->rx_frames, "bytes",
		(json_int_t)st->rx_bytes, "broadcast",
		(json_int_t)st->rx_broadcast, "multicast",
		(json_int_t)st->rx_multicast, "forwarded",
		(json_int_t)st->rx_forwarded, "dropped",
		(json_int_t)port_rx_drops(p), "tx", "frames",
		(json_int_t)st->tx_frames, "bytes", (json_int_t)st->tx_bytes,
		"dropped", (json_int_t)port_tx_drops(p), "mirrored",
		(json_int_t)st->mirror_tx, "queue", "frames",
		(json_int_t)p->txq.count, "bytes", (json_int_t)p->txq.bytes,
		"max_frames", (json_int_t)p->txq.max_frames, "max_bytes",
		(json_int_t)p->txq.max_bytes, "mac", "learned",
		(json_int_t)st->mac_new, "moved_in", (json_int_t)st->mac_moves,
		"held", (json_int_t)st->mac_held, "table_full",
		(json_int_t)st->mac_table_full, "evicted",
		(json_int_t)st->mac_evicted, "throttle", "events",
		(json_int_t)st->throttled, "timeouts",
		(json_int_t)st->throttle_timeouts, "drops", drops);
	if (o) {
		json_object_set_new(o, "impair", impair_json(p));
		json_object_set_new(json_object_get(o, "mac"), "count",
				    json_integer((json_int_t)p->mac_count));
		json_object_set_new(json_object_get(o, "mac"), "max_macs",
				    json_integer((json_int_t)p->mac_limit));
		json_object_set_new(o, "vlan", vlan_json(p));
		json_object_set_new(o, "broadcast_limit",
				    json_integer((json_int_t)p->storm_fps));
	}
	if (o) {
		json_object_set_new(o, "bpdu_guard",
				    json_boolean(p->bpdu_guard));
		json_object_set_new(
			o, "bpdu_guard_trips",
			json_integer((json_int_t)p->bpdu_guard_trips));
		if (p->stp)
			json_object_set_new(o, "stp", stp_port_json(d, p));
	}
	if (o && vxlan_uplink_info(p, &vx))
		json_object_set_new(o, "vxlan",
				    json_pack("{s:i,s:s,s:s,s:i}", "vni",
					      (int)vx.vni, "remote", vx.remote,
					      "local", vx.local, "port",
					      (int)vx.port));
	if (o && vhost_port_info(p, &vh))
		json_object_set_new(
			o, "vhost_user",
			json_pack("{s:b,s:I,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I}",
				  "running", vh.running, "features",
				  (json_int_t)vh.features, "regions",
				  (int)vh.regions, "rx_queue_size",
				  (int)vh.rx_size, "tx_queue_size",
				  (int)vh.tx_size, "kicks",
				  (json_int_t)vh.kicks, "calls",
				  (json_int_t)vh.calls, "rx_wait",
				  (json_int_t)vh.rx_wait, "rx_bad_desc",
				  (json_int_t)vh.rx_bad_desc, "queue_stops",
				  (json_int_t)vh.queue_stops));
	/* Counters of the port's transport itself (an mcast uplink's). */
	if (o && nuc && (tc = json_object()) &&
	    json_object_set_new(o, "transport_counters", tc) == 0)
		for (k = 0; k < nuc; k++)
			json_object_set_new(
				tc, uc[k].name,
				json_integer((json_int_t)uc[k].value));
	return o;
}

/* ---- argument helpers ---------------------------------------------------- */

/**
 * arg_port() - the port an argument names: by number, by name, or as
 *		"pN" (port N, whatever its name)
 * @r:		request
 * @key:	argument name ("port")
 * @required:	missing is an error (else *@out = NULL)
 * @out:	the port
 *
 * Return: 0, or -1 after ctl_fail()
 */
static int arg_port(struct ctl_req *r, const char *key, bool required,
		    struct port **out)
{
	json_t *v = json_object_get(r->args, key);
	struct port *p;

	*out = NULL;
	if (!v) {
		if (required)
			ctl_fail(
				r, CTL_ERR_GENERIC,
				"missing argument \"%s\" (port number or name)",
				key);
		return required ? -1 : 0;
	}
	if (json_is_integer(v)) {
		json_int_t id = json_integer_value(v);

		p = id > 0 && id <= SW_MAX_PORTS_LIMIT
			    ? sw_port_by_id(&r->d->sw, (uint32_t)id)
			    : NULL;
		if (!p) {
			ctl_fail(r, CTL_ERR_NO_PORT,
				 "no port %" JSON_INTEGER_FORMAT, id);
			return -1;
		}
		*out = p;
		return 0;
	}
	if (!json_is_string(v)) {
		ctl_fail(r, CTL_ERR_GENERIC,
			 "\"%s\" must be a port number or name", key);
		return -1;
	}
	*out = sw_port_find(&r->d->sw, json_string_value(v));
	if (*out)
		return 0;
	ctl_fail(r, CTL_ERR_NO_PORT, "no port named `%.64s'",
		 json_string_value(v));
	return -1;
}

/* Fail on any argument not in @allowed (NULL-terminated). */
static int args_only(struct ctl_req *r, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(r->args, key, v) {
		const char *const *a;

		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a) {
			ctl_fail(r, CTL_ERR_GENERIC, "unknown argument `%.64s'",
				 key);
			return -1;
		}
	}
	return 0;
}

static const char *const no_args[] = { NULL };
static const char *const port_arg[] = { "port", NULL };

/* ---- queries ---------------------------------------------------------------- */

static json_t *params_json(const struct sw_params *p)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "hub", p->hub,
			 "mac_table_size", (json_int_t)p->mac_table_size,
			 "ageing", (json_int_t)(p->ageing_ms / 1000),
			 "mac_hold_down_ms", (json_int_t)p->hold_down_ms,
			 "max_ports", (json_int_t)p->max_ports, "max_frame",
			 (json_int_t)p->max_frame, "tx_queue_frames",
			 (json_int_t)p->txq_frames, "tx_queue_bytes",
			 (json_int_t)p->txq_bytes, "queue_budget",
			 (json_int_t)p->queue_budget);
}

/* What frames waiting and capture buffers hold, and their bounds. */
static json_t *memory_json(const struct swd *d)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "queued_bytes",
			 (json_int_t)d->sw.queued_bytes, "queue_budget",
			 (json_int_t)d->sw.prm.queue_budget, "capture_buffers",
			 (json_int_t)capture_buffers(d), "capture_budget",
			 (json_int_t)d->cfg.capture_budget, "malloc_trims",
			 (json_int_t)d->malloc_trims);
}

static json_t *cmd_query_status(struct ctl_req *r)
{
	struct swd *d = r->d;
	const struct listener *l;
	json_t *ls = json_array(), *lst = json_array();

	if (args_only(r, no_args) < 0) {
		json_decref(ls);
		json_decref(lst);
		return NULL;
	}
	listener_foreach(d, l)
	{
		if (ls)
			json_array_append_new(ls, json_string(l->url));
		if (lst)
			json_array_append_new(
				lst, json_pack("{s:s,s:I}", "url", l->url,
					       "peers_refused",
					       (json_int_t)l->peers_refused));
	}
	return json_pack(
		"{s:s,s:I,s:f,s:s?,s:s,s:{s:I,s:I,s:I,s:I,s:I},s:o?,s:o?,s:o?,"
		"s:o?,s:o?,s:o?}",
		"version", SOCKSWITCH_VERSION, "pid", (json_int_t)getpid(),
		"uptime", (double)(swd_clock_ms() - d->start_ms) / 1000.0,
		"config", d->cfg.path, "log_level",
		log_level_name(log_get_level()), "counts", "ports",
		(json_int_t)d->sw.nports, "max_ports",
		(json_int_t)d->sw.prm.max_ports, "macs",
		(json_int_t)d->sw.mt.count, "mac_table_size",
		(json_int_t)d->sw.mt.max, "listeners",
		(json_int_t)json_array_size(ls), "listeners", ls,
		"listener_stats", lst, "params", params_json(&d->sw.prm),
		"control", ctl_stats_json(d), "memory", memory_json(d), "stp",
		ctl_stp_json(d));
}

static json_t *cmd_query_ports(struct ctl_req *r)
{
	json_t *a = json_array(), *o;
	struct port *p, *only;
	uint32_t i;

	if (!a || args_only(r, port_arg) < 0 ||
	    arg_port(r, "port", false, &only) < 0) {
		json_decref(a);
		return NULL;
	}
	port_foreach(&r->d->sw, p, i) {
		if (only && p != only)
			continue;
		o = ctl_port_json(r->d, p);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/**
 * struct mac_row - one learned address, for sorting query-macs
 * @key:	vid << 48 | mac
 * @port:	where it lives
 * @age_ms:	since last seen
 */
struct mac_row {
	uint64_t key;
	const struct port *port;
	uint64_t age_ms;
};

static int mac_row_cmp(const void *a, const void *b)
{
	const struct mac_row *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static json_t *cmd_query_macs(struct ctl_req *r)
{
	struct swd *d = r->d;
	const struct mac_entry *e;
	struct mac_row *rows;
	struct port *only;
	size_t n = 0, i;
	json_t *a;

	if (args_only(r, port_arg) < 0 || arg_port(r, "port", false, &only) < 0)
		return NULL;
	rows = calloc(d->sw.mt.count + 1, sizeof(*rows));
	a = json_array();
	if (!rows || !a)
		goto fail;
	mac_table_foreach(&d->sw.mt, e) {
		uint64_t age =
			d->now_ms > e->seen_ms ? d->now_ms - e->seen_ms : 0;

		/* Expired but not swept yet: lookups ignore it too. */
		if (age >= d->sw.mt.ageing_ms || (only && e->port != only) ||
		    n >= d->sw.mt.count)
			continue;
		rows[n].key = e->key;
		rows[n].port = e->port;
		rows[n++].age_ms = age;
	}
	qsort(rows, n, sizeof(*rows), mac_row_cmp);
	for (i = 0; i < n; i++) {
		struct mac_entry tmp = { .key = rows[i].key };
		char m[MAC_STRLEN];
		uint8_t mac[MAC_LEN];

		mac_entry_mac(&tmp, mac);
		if (json_array_append_new(
			    a, json_pack("{s:i,s:s,s:I,s:s,s:f}", "vlan",
					 (int)mac_entry_vid(&tmp), "mac",
					 mac_format(mac, m), "port",
					 (json_int_t)rows[i].port->id, "name",
					 rows[i].port->name, "age",
					 (double)rows[i].age_ms / 1000.0)) < 0)
			goto fail;
	}
	free(rows);
	return a;
fail:
	free(rows);
	json_decref(a);
	return NULL;
}

static json_t *cmd_query_commands(struct ctl_req *r);

/* ---- actions ----------------------------------------------------------------- */

static json_t *port_action(struct ctl_req *r, struct port **p)
{
	if (args_only(r, port_arg) < 0 || arg_port(r, "port", true, p) < 0)
		return NULL;
	if ((*p)->closing)
		return ctl_fail(r, CTL_ERR_NO_PORT, "port %u is closing",
				(*p)->id);
	return port_ref_json(*p);
}

static json_t *cmd_port_enable(struct ctl_req *r, bool on)
{
	struct port *p;
	json_t *ret = port_action(r, &p);

	if (!ret || p->enabled == on)
		return ret;
	sw_port_set_enabled(&r->d->sw, p, on);
	log_info("port %u (%s) %s by control command", p->id, p->descr,
		 on ? "enabled" : "disabled");
	/* PORT_UP/PORT_DOWN come from the core, only if p->up changed:
	 * enabling a port whose transport has no carrier (an uplink that
	 * is retrying) leaves it down, and PORT_UP waits for the link. */
	return ret;
}

static json_t *cmd_port_disable_fn(struct ctl_req *r)
{
	return cmd_port_enable(r, false);
}

static json_t *cmd_port_enable_fn(struct ctl_req *r)
{
	return cmd_port_enable(r, true);
}

static json_t *cmd_port_close(struct ctl_req *r)
{
	struct port *p;
	json_t *ret = port_action(r, &p);

	if (ret)
		swd_port_close(r->d, p, "closed by control command");
	return ret;
}

/*
 * port-name {"port": P, "name": N}: P is called N from now on, in every
 * listing, event and metric label (PORT_RENAMED to subscribers). A name
 * another port has, or one port_name_check() refuses, is an error.
 */
static json_t *cmd_port_name(struct ctl_req *r)
{
	static const char *const allowed[] = { "port", "name", NULL };
	const char *name = json_string_value(json_object_get(r->args, "name"));
	char old[PORT_NAME_LEN];
	const char *why;
	struct port *p, *q;

	if (args_only(r, allowed) < 0 || arg_port(r, "port", true, &p) < 0)
		return NULL;
	if (p->closing)
		return ctl_fail(r, CTL_ERR_NO_PORT, "port %u is closing",
				p->id);
	if (!name)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"missing argument \"name\" (a string)");
	if ((why = port_name_check(name, p->id)))
		return ctl_fail(r, CTL_ERR_GENERIC, "`%.64s': %s", name, why);
	q = sw_port_by_name(&r->d->sw, name);
	if (q && q != p)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"`%s': port %u has that name already", name,
				q->id);
	memcpy(old, p->name, sizeof(old));
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (strcmp(old, name)) {
		log_info("port %u (%s) renamed %s -> %s by control command",
			 p->id, p->descr, old, name);
		ctl_emit(r->d, "PORT_RENAMED",
			 json_pack("{s:I,s:s,s:s,s:s}", "port",
				   (json_int_t)p->id, "name", p->name, "old",
				   old, "transport", p->ops->name));
	}
	return json_pack("{s:I,s:s,s:s}", "port", (json_int_t)p->id, "name",
			 p->name, "old", old);
}

/* "settings": an array of KEY=VALUE strings, or one string of them
 * separated by spaces; "off" alone turns the impairment off. */
static int impair_settings(struct ctl_req *r, struct impair_cfg *c, bool *off,
			   bool *seeded)
{
	json_t *v = json_object_get(r->args, "settings"), *item;
	char buf[IMPAIR_SETTINGS_LEN * 2], err[256], *tok, *save;
	size_t i, n = 0;

	memset(c, 0, sizeof(*c));
	*off = *seeded = false;
	buf[0] = '\0';
	if (json_is_string(v)) {
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			if (!json_is_string(item))
				goto bad;
			n += (size_t)snprintf(
				buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0,
				"%s ", json_string_value(item));
		}
		if (n >= sizeof(buf)) {
			ctl_fail(r, CTL_ERR_GENERIC, "settings too long");
			return -1;
		}
	} else {
		goto bad;
	}
	n = 0;
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save), n++) {
		if (!strcmp(tok, "off")) {
			*off = true;
			continue;
		}
		if (impair_opts_set(c, tok, err, sizeof(err)) < 0) {
			ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
			return -1;
		}
		if (!strncmp(tok, "seed=", 5))
			*seeded = true;
	}
	if (*off && n > 1) {
		ctl_fail(r, CTL_ERR_GENERIC, "`off' takes no other settings");
		return -1;
	}
	if (!n)
		goto bad;
	if (!*off && impair_opts_check(c, err, sizeof(err)) < 0) {
		ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
		return -1;
	}
	return 0;
bad:
	ctl_fail(
		r, CTL_ERR_GENERIC,
		"\"settings\" must be KEY=VALUE strings (loss, delay, jitter, reorder, duplicate, corrupt, rate, mtu, seed), or \"off\"");
	return -1;
}

static json_t *cmd_impair(struct ctl_req *r)
{
	static const char *const allowed[] = { "port", "settings", NULL };
	struct impair_cfg c;
	bool off, seeded;
	struct port *p;
	json_t *o;

	if (args_only(r, allowed) < 0 || arg_port(r, "port", true, &p) < 0 ||
	    impair_settings(r, &c, &off, &seeded) < 0)
		return NULL;
	if (swd_port_impair(r->d, p, off ? NULL : &c, seeded) < 0) {
		ctl_fail(r, CTL_ERR_GENERIC, "out of memory");
		return NULL;
	}
	o = port_ref_json(p);
	if (o)
		json_object_set_new(o, "impair", impair_json(p));
	return o;
}

/*
 * port-vlan {"port": P, "mode": "access N" | "trunk LIST [native N]" |
 * "none"}: P's VLAN mode from now on (its learned addresses are
 * forgotten). The reply shows the mode as query-ports does.
 */
static json_t *cmd_port_vlan(struct ctl_req *r)
{
	static const char *const allowed[] = { "port", "mode", NULL };
	const char *text = json_string_value(json_object_get(r->args, "mode"));
	struct vlan_cfg c;
	char err[256];
	struct port *p;
	json_t *o;

	if (args_only(r, allowed) < 0 || arg_port(r, "port", true, &p) < 0)
		return NULL;
	if (!text)
		return ctl_fail(
			r, CTL_ERR_GENERIC,
			"missing argument \"mode\" (\"access N\", \"trunk LIST [native N]\" or \"none\")");
	if (vlan_opts_parse_text(text, &c, err, sizeof(err)) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
	if (swd_port_vlan(r->d, p, &c) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC, "out of memory");
	o = port_ref_json(p);
	if (o)
		json_object_set_new(o, "vlan", vlan_json(p));
	return o;
}

/* ---- mirroring ------------------------------------------------------------- */

static const char *const mirror_dir_name[] = {
	[SW_MIRROR_RX] = "rx",
	[SW_MIRROR_TX] = "tx",
	[SW_MIRROR_BOTH] = "both",
};

static json_t *mirror_json(const struct sw_mirror *m)
{
	return json_pack("{s:o,s:o,s:s}", "source", port_ref_json(m->src),
			 "destination", port_ref_json(m->dst), "direction",
			 mirror_dir_name[m->dir]);
}

/* The two ports of a mirror-add or mirror-remove. */
static int mirror_ports(struct ctl_req *r, const char *const *allowed,
			struct port **src, struct port **dst)
{
	if (args_only(r, allowed) < 0 || arg_port(r, "source", true, src) < 0 ||
	    arg_port(r, "destination", true, dst) < 0)
		return -1;
	return 0;
}

static json_t *cmd_mirror_add(struct ctl_req *r)
{
	static const char *const allowed[] = { "source", "destination",
					       "direction", NULL };
	json_t *v = json_object_get(r->args, "direction");
	const char *dname = v ? json_string_value(v) : "both";
	struct sw_mirror m = { 0 };
	unsigned dir;
	int rc;

	if (mirror_ports(r, allowed, &m.src, &m.dst) < 0)
		return NULL;
	for (dir = SW_MIRROR_RX; dir <= SW_MIRROR_BOTH; dir++)
		if (dname && !strcmp(dname, mirror_dir_name[dir]))
			break;
	if (dir > SW_MIRROR_BOTH)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"\"direction\" must be rx, tx or both");
	m.dir = dir;
	rc = sw_mirror_add(&r->d->sw, m.src, m.dst, dir);
	if (rc == -EINVAL)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"port %s cannot mirror to itself", m.src->name);
	if (rc == -EEXIST)
		return ctl_fail(
			r, CTL_ERR_GENERIC,
			"port %s already mirrors to port %s (mirror-remove it first)",
			m.src->name, m.dst->name);
	if (rc == -EMLINK)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"port %s already has %d mirror sessions",
				m.src->name, SW_MIRROR_PER_SOURCE);
	if (rc < 0)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"the switch already has %d mirror sessions",
				SW_MIRROR_MAX);
	log_info("mirror %u (%s) -> %u (%s) %s added by control command",
		 m.src->id, m.src->name, m.dst->id, m.dst->name,
		 mirror_dir_name[dir]);
	return mirror_json(&m);
}

static json_t *cmd_mirror_remove(struct ctl_req *r)
{
	static const char *const allowed[] = { "source", "destination", NULL };
	struct sw_mirror m = { 0 };
	struct sw *sw = &r->d->sw;
	uint32_t i;

	if (mirror_ports(r, allowed, &m.src, &m.dst) < 0)
		return NULL;
	for (i = 0; i < sw->nmirrors; i++)
		if (sw->mirrors[i].src == m.src && sw->mirrors[i].dst == m.dst)
			m = sw->mirrors[i];
	if (sw_mirror_remove(sw, m.src, m.dst) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"port %s does not mirror to port %s",
				m.src->name, m.dst->name);
	log_info("mirror %u (%s) -> %u (%s) removed by control command",
		 m.src->id, m.src->name, m.dst->id, m.dst->name);
	return mirror_json(&m);
}

static json_t *cmd_query_mirrors(struct ctl_req *r)
{
	const struct sw *sw = &r->d->sw;
	json_t *a;
	uint32_t i;

	if (args_only(r, no_args) < 0 || !(a = json_array()))
		return NULL;
	for (i = 0; i < sw->nmirrors; i++)
		json_array_append_new(a, mirror_json(&sw->mirrors[i]));
	return a;
}

static json_t *cmd_mac_flush(struct ctl_req *r)
{
	struct swd *d = r->d;
	struct port *p, *only;
	unsigned n = 0;
	uint32_t i;

	if (args_only(r, port_arg) < 0 || arg_port(r, "port", false, &only) < 0)
		return NULL;
	port_foreach(&d->sw, p, i)
		if (!only || p == only)
			n += mac_table_flush_port(&d->sw.mt, p);
	log_info("mac table flushed%s%s: %u entries", only ? " for port " : "",
		 only ? only->name : "", n);
	return json_pack("{s:i}", "flushed", (int)n);
}

static json_t *cmd_reload(struct ctl_req *r)
{
	char err[RELOAD_ERRLEN], sum[RELOAD_ERRLEN];

	if (args_only(r, no_args) < 0)
		return NULL;
	if (swd_reload(r->d, "control command", err, sizeof(err), sum,
		       sizeof(sum)) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
	return json_pack("{s:s}", "changes", sum);
}

/*
 * log-level {"level": L}: the daemon logs at L from now on (a reload
 * applies the config's level again if that changed). The change itself
 * is logged at info, whichever of the two levels shows it.
 */
static json_t *cmd_log_level(struct ctl_req *r)
{
	static const char *const level_arg[] = { "level", NULL };
	const char *name = json_string_value(json_object_get(r->args, "level"));
	enum log_level old = log_get_level(), lvl;

	if (args_only(r, level_arg) < 0)
		return NULL;
	if (!name)
		return ctl_fail(
			r, CTL_ERR_GENERIC,
			"missing argument \"level\" (error, warning, info or debug)");
	if (log_level_parse(name, &lvl) < 0)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"`%.64s' is not error, warning, info or debug",
				name);
	log_set_level(lvl > old ? lvl : old);
	log_info("log level %s -> %s by control command", log_level_name(old),
		 log_level_name(lvl));
	/* d->cfg keeps the configured level: a reload resets the run-time
	 * one only when the config's log_level itself changes. */
	log_set_level(lvl);
	return json_pack("{s:s,s:s}", "old", log_level_name(old), "new",
			 log_level_name(lvl));
}

static json_t *cmd_subscribe(struct ctl_req *r)
{
	if (args_only(r, no_args) < 0)
		return NULL;
	ctl_subscribe(r->client);
	return json_object();
}

static const struct ctl_cmd builtin_cmds[] = {
	{ "query-status", cmd_query_status,
	  "version, uptime, config file, counts, limits, listeners" },
	{ "query-ports", cmd_query_ports,
	  "every port (or {\"port\": P}): state and counters" },
	{ "query-macs", cmd_query_macs,
	  "learned addresses (or {\"port\": P}'s): vlan, mac, port, age" },
	{ "query-commands", cmd_query_commands, "the commands and their help" },
	{ "port-disable", cmd_port_disable_fn,
	  "{\"port\": P}: stop forwarding to and from P" },
	{ "port-enable", cmd_port_enable_fn,
	  "{\"port\": P}: forward to and from P again" },
	{ "port-close", cmd_port_close, "{\"port\": P}: disconnect P" },
	{ "port-name", cmd_port_name,
	  "{\"port\": P, \"name\": N}: call P N in listings, events and metrics" },
	{ "impair", cmd_impair,
	  "{\"port\": P, \"settings\": [\"loss=1%\", \"delay=20ms\", ...]}: impair frames leaving P (replaces its settings; [\"off\"] stops)" },
	{ "port-vlan", cmd_port_vlan,
	  "{\"port\": P, \"mode\": \"access N\" | \"trunk LIST [native N]\" | \"none\"}: P's VLAN mode" },
	{ "mirror-add", cmd_mirror_add,
	  "{\"source\": S, \"destination\": D, \"direction\"?: \"rx\"|\"tx\"|\"both\"}: copy S's frames to D" },
	{ "mirror-remove", cmd_mirror_remove,
	  "{\"source\": S, \"destination\": D}: stop copying S's frames to D" },
	{ "query-mirrors", cmd_query_mirrors,
	  "the mirror sessions: source, destination, direction" },
	{ "mac-flush", cmd_mac_flush,
	  "forget learned addresses (all, or {\"port\": P}'s)" },
	{ "reload", cmd_reload, "re-read the config file and apply changes" },
	{ "log-level", cmd_log_level,
	  "{\"level\": L}: log at L (error, warning, info, debug) from now on" },
	{ "subscribe", cmd_subscribe,
	  "send events on this connection from now on" },
};

static json_t *cmd_query_commands(struct ctl_req *r)
{
	if (args_only(r, no_args) < 0)
		return NULL;
	return ctl_commands_json(r->d);
}

/* ---- events ------------------------------------------------------------------ */

/* A MAC event, to subscribers. Context: the forwarding path: queues only. */
static void ctl_mac_event(struct swd *d, const struct sw_event_info *e)
{
	static const char *const names[] = {
		[SW_EV_MAC_NEW] = "MAC_LEARNED",
		[SW_EV_MAC_MOVED] = "MAC_MOVED",
		[SW_EV_MAC_AGED] = "MAC_AGED",
		[SW_EV_MAC_TABLE_FULL] = "MAC_TABLE_FULL",
		[SW_EV_MAC_EVICTED] = "MAC_EVICTED",
	};
	char m[MAC_STRLEN];
	json_t *data;

	data = json_pack("{s:i,s:s}", "vlan", (int)e->vid, "mac",
			 mac_format(e->mac, m));
	if (!data)
		return;
	if (e->from)
		json_object_set_new(data, "from", port_ref_json(e->from));
	if (e->to)
		json_object_set_new(data, "to", port_ref_json(e->to));
	if (e->ev == SW_EV_MAC_TABLE_FULL)
		json_object_set_new(data, "size", json_integer(d->sw.mt.max));
	ctl_emit(d, names[e->ev], data);
}

/* One address on two ports (the logger's finding), to subscribers. */
static void ctl_conflict_event(struct swd *d, const struct swd_mac_conflict *c)
{
	char m[MAC_STRLEN];

	ctl_emit(d, "MAC_CONFLICT",
		 json_pack("{s:i,s:s,s:o,s:o,s:s}", "vlan", (int)c->vid, "mac",
			   mac_format(c->mac, m), "on", port_ref_json(c->on),
			   "also", port_ref_json(c->also), "how", c->how));
}

/* A port went up or down, to subscribers. */
static void ctl_port_event(struct swd *d, struct port *p, bool up,
			   const char *cause)
{
	ctl_emit(d, up ? "PORT_UP" : "PORT_DOWN",
		 json_pack("{s:I,s:s,s:s,s:s,s:s}", "port", (json_int_t)p->id,
			   "name", p->name, "transport", p->ops->name, "peer",
			   p->descr, "cause", cause));
}

/*
 * The core's port events as PORT_UP/PORT_DOWN (docs/control.md). A port
 * that closes is reported once it is removed, with its close reason,
 * whether or not it was up then; one removed without being closed (a VDE
 * client whose handshake failed) was never announced.
 */
static void ctl_core_event(struct swd *d, const struct sw_event_info *e)
{
	struct port *p = e->port;

	switch (e->cause) {
	case SW_CAUSE_ADDED:
	case SW_CAUSE_CARRIER:
		ctl_port_event(d, p, e->ev == SW_EV_PORT_UP, "connected");
		break;
	case SW_CAUSE_ENABLED:
	case SW_CAUSE_DISABLED:
		ctl_port_event(d, p, e->ev == SW_EV_PORT_UP,
			       e->ev == SW_EV_PORT_UP ? "enabled" : "disabled");
		break;
	case SW_CAUSE_NO_CARRIER:
		ctl_port_event(d, p, false, e->why ? e->why : "no carrier");
		break;
	case SW_CAUSE_STP:
		ctl_port_event(d, p, e->ev == SW_EV_PORT_UP,
			       e->ev == SW_EV_PORT_UP ? "stp forwarding"
						      : "stp not forwarding");
		break;
	case SW_CAUSE_BPDU_GUARD:
		ctl_port_event(d, p, false, "bpdu guard");
		break;
	case SW_CAUSE_CLOSING:
		break; /* reported at removal */
	case SW_CAUSE_REMOVED:
		if (e->ev == SW_EV_PORT_REMOVED && p->closing)
			ctl_port_event(d, p, false, p->close_reason);
		break;
	}
}

/* Spanning tree's events and BPDU guards (docs/control.md). */
static void ctl_stp_event(struct swd *d, const struct sw_event_info *e)
{
	const struct stp *s = d->sw.stp;
	struct port *p = e->port;

	switch (e->ev) {
	case SW_EV_STP_PORT:
		if (p && p->stp)
			ctl_emit(
				d, "STP_PORT",
				json_pack(
					"{s:o,s:s,s:s,s:b}", "port",
					port_ref_json(p), "state",
					stp_state_name(p->stp->state), "role",
					stp_role_name(stp_port_role(&d->sw, p)),
					"edge", p->stp->edge));
		break;
	case SW_EV_STP_ROOT:
		if (s)
			ctl_emit(d, "STP_ROOT", ctl_stp_json(d));
		break;
	case SW_EV_STP_TC:
		if (s)
			ctl_emit(d, "STP_TOPOLOGY_CHANGE",
				 json_pack("{s:I}", "topology_changes",
					   (json_int_t)s->tc_count));
		break;
	case SW_EV_BPDU_GUARD:
		ctl_emit(d, "BPDU_GUARD",
			 json_pack("{s:o,s:I}", "port", port_ref_json(p),
				   "trips", (json_int_t)p->bpdu_guard_trips));
		break;
	default:
		break;
	}
}

/* The control layer's subscription: events to subscribed clients. */
static void ctl_hook(struct swd *d, const struct swd_event *ev, void *opaque)
{
	(void)opaque;
	if (!ctl_has_subscribers(d))
		return;
	switch (ev->type) {
	case SWD_EV_SW:
		if (ev->sw->ev == SW_EV_MIRROR_REMOVED)
			ctl_emit(d, "MIRROR_REMOVED",
				 json_pack("{s:o,s:o,s:o}", "source",
					   port_ref_json(ev->sw->from),
					   "destination",
					   port_ref_json(ev->sw->to), "removed",
					   port_ref_json(ev->sw->port)));
		else if (sw_event_is_mac(ev->sw->ev))
			ctl_mac_event(d, ev->sw);
		else if (ev->sw->ev >= SW_EV_STP_PORT)
			ctl_stp_event(d, ev->sw);
		else
			ctl_core_event(d, ev->sw);
		break;
	case SWD_EV_RELOAD_DONE:
		ctl_emit(d, "RELOAD_DONE",
			 json_pack("{s:s,s:s}", "trigger", ev->trigger,
				   "changes", ev->text));
		break;
	case SWD_EV_RELOAD_FAILED:
		ctl_emit(d, "RELOAD_FAILED",
			 json_pack("{s:s,s:s}", "trigger", ev->trigger, "error",
				   ev->text));
		break;
	case SWD_EV_MAC_CONFLICT:
		ctl_conflict_event(d, ev->conflict);
		break;
	}
}

/**
 * ctl_cmds_register() - register the built-in commands
 * @d:		the daemon
 *
 * Return: 0 on success, -ENOMEM
 */
int ctl_cmds_register(struct swd *d)
{
	int rc = swd_hook_add(d, ctl_hook, NULL);

	if (rc < 0)
		return rc;
	return ctl_register(d, builtin_cmds,
			    sizeof(builtin_cmds) / sizeof(builtin_cmds[0]));
}
