// SPDX-License-Identifier: MIT
/*
 * metrics_ports.c - the per-port series of a metrics scrape, formatted fast
 *
 * A switch with 1,000 ports has about 30,000 per-port lines (2.3 MB). With
 * stdio, each line cost a formatted print and each label a locked
 * character-by-character escape, which held the loop for tens of
 * milliseconds per scrape. Here the labels of every port are escaped once
 * per scrape into one buffer, numbers are converted by hand, and lines are
 * appended to a growing buffer with plain copies.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/impair_opts.h"
#include "control/metrics_int.h"
#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"
#include "transport/uplink.h"

/**
 * tb_room() - make room for @n more bytes in @b
 * @b:		the buffer
 * @n:		bytes about to be appended
 *
 * Return: false (and @b marked failed) if out of memory
 */
bool tb_room(struct tbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void tb_put(struct tbuf *b, const char *s, size_t n)
{
	if (!tb_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void tb_str(struct tbuf *b, const char *s)
{
	tb_put(b, s, strlen(s));
}

static void tb_u64(struct tbuf *b, uint64_t v)
{
	char d[20];
	size_t n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	tb_put(b, d + n, sizeof(d) - n);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void tb_label(struct tbuf *b, const char *key, const char *val)
{
	tb_str(b, key);
	tb_put(b, "=\"", 2);
	for (; *val; val++) {
		if (*val == '\\')
			tb_put(b, "\\\\", 2);
		else if (*val == '"')
			tb_put(b, "\\\"", 2);
		else if (*val == '\n')
			tb_put(b, "\\n", 2);
		else
			tb_put(b, val, 1);
	}
	tb_put(b, "\"", 1);
}

static void tb_head(struct tbuf *b, const char *name, const char *type,
		    const char *help)
{
	tb_put(b, "# HELP ", 7);
	tb_str(b, name);
	tb_put(b, " ", 1);
	tb_str(b, help);
	tb_put(b, "\n# TYPE ", 8);
	tb_str(b, name);
	tb_put(b, " ", 1);
	tb_str(b, type);
	tb_put(b, "\n", 1);
}

/**
 * struct port_metric - one per-port series taken from struct port_stats
 * @name:	metric name
 * @type:	counter or gauge
 * @help:	HELP text
 * @off:	offset of the uint64_t in struct port_stats
 */
struct port_metric {
	const char *name;
	const char *type;
	const char *help;
	size_t off;
};

#define PST(f) offsetof(struct port_stats, f)

static const struct port_metric port_metrics[] = {
	{ "sockswitch_port_rx_frames_total", "counter",
	  "Frames received on the port, dropped ones included.",
	  PST(rx_frames) },
	{ "sockswitch_port_rx_bytes_total", "counter",
	  "Bytes of the frames received on the port.", PST(rx_bytes) },
	{ "sockswitch_port_rx_broadcast_frames_total", "counter",
	  "Broadcast frames received on the port.", PST(rx_broadcast) },
	{ "sockswitch_port_rx_multicast_frames_total", "counter",
	  "Multicast (not broadcast) frames received on the port.",
	  PST(rx_multicast) },
	{ "sockswitch_port_rx_forwarded_frames_total", "counter",
	  "Received frames handed to the forwarding decision.",
	  PST(rx_forwarded) },
	{ "sockswitch_port_tx_queued_frames_total", "counter",
	  "Frames accepted into the port's transmit queue.", PST(tx_queued) },
	{ "sockswitch_port_tx_frames_total", "counter",
	  "Frames written to the port's peer.", PST(tx_frames) },
	{ "sockswitch_port_tx_bytes_total", "counter",
	  "Bytes of the frames written to the port's peer.", PST(tx_bytes) },
	{ "sockswitch_port_mac_learned_total", "counter",
	  "Source addresses learned on the port.", PST(mac_new) },
	{ "sockswitch_port_mac_moves_total", "counter",
	  "Addresses that moved to the port from another port.",
	  PST(mac_moves) },
	{ "sockswitch_port_mac_hold_down_total", "counter",
	  "Address moves to the port refused by the hold-down time.",
	  PST(mac_held) },
	{ "sockswitch_port_mac_table_full_total", "counter",
	  "Source addresses learned on the port while the MAC table was full (each evicted another address).",
	  PST(mac_table_full) },
	{ "sockswitch_port_mac_evicted_total", "counter",
	  "Addresses learned on the port that were evicted for a new address (the port at its share of the table, or the table full and the port holding the most).",
	  PST(mac_evicted) },
	{ "sockswitch_port_throttled_total", "counter",
	  "Times reading the port paused: a unicast destination's queue was over its high-water mark.",
	  PST(throttled) },
	{ "sockswitch_port_throttle_timeouts_total", "counter",
	  "Of those, pauses ended by the throttle_ms bound, not by the destination draining.",
	  PST(throttle_timeouts) },
	{ "sockswitch_port_mirror_tx_frames_total", "counter",
	  "Mirrored copies queued on the port (a mirror session's destination); also in tx.",
	  PST(mirror_tx) },
};

static uint64_t stat_at(const struct port *p, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)&p->st + off, sizeof(v));
	return v;
}

/**
 * struct port_labels - every port's labels, escaped once per scrape
 * @text:	the labels back to back, each `{port="N",name="..",transport=".."`
 *		without the closing brace
 * @off:	where port i's labels begin in @text (@off[i + 1]: where they
 *		end)
 */
struct port_labels {
	struct tbuf text;
	size_t *off;
};

/* NAME{labels[,reason="R"]} VALUE: one line of a series. */
static void put_line(struct tbuf *b, const char *name, size_t name_len,
		     const struct port_labels *pl, uint32_t i,
		     const char *reason, uint64_t v)
{
	size_t n = pl->off[i + 1] - pl->off[i];

	if (!tb_room(b, name_len + n + 64))
		return;
	memcpy(b->p + b->len, name, name_len);
	b->len += name_len;
	memcpy(b->p + b->len, pl->text.p + pl->off[i], n);
	b->len += n;
	if (reason) {
		tb_put(b, ",reason=\"", 9);
		tb_str(b, reason);
		tb_put(b, "\"", 1);
	}
	tb_put(b, "} ", 2);
	tb_u64(b, v);
	tb_put(b, "\n", 1);
}

static int labels_build(struct port_labels *pl, const struct sw *sw)
{
	const struct port *p;
	uint32_t i;

	memset(pl, 0, sizeof(*pl));
	pl->off = calloc((size_t)sw->nports + 1, sizeof(*pl->off));
	if (!pl->off)
		return -1;
	port_foreach(sw, p, i) {
		pl->off[i] = pl->text.len;
		tb_put(&pl->text, "{port=\"", 7);
		tb_u64(&pl->text, p->id);
		tb_put(&pl->text, "\",", 2);
		tb_label(&pl->text, "name", p->name);
		tb_put(&pl->text, ",", 1);
		tb_label(&pl->text, "transport", p->ops->name);
	}
	pl->off[sw->nports] = pl->text.len;
	return pl->text.failed ? -1 : 0;
}

/*
 * One line per port of a setting: the port's labels, then @labels adds
 * its own (after a comma) and returns the line's value.
 */
static void put_setting(struct tbuf *b, const struct sw *sw,
			const struct port_labels *pl, const char *name,
			const char *help,
			uint64_t (*labels)(struct tbuf *b, const struct sw *sw,
					   const struct port *p))
{
	const struct port *p;
	uint32_t i;

	tb_head(b, name, "gauge", help);
	port_foreach(sw, p, i) {
		uint64_t v;

		tb_put(b, name, strlen(name));
		tb_put(b, pl->text.p + pl->off[i], pl->off[i + 1] - pl->off[i]);
		tb_put(b, ",", 1);
		v = labels(b, sw, p);
		tb_put(b, "} ", 2);
		tb_u64(b, v);
		tb_put(b, "\n", 1);
	}
}

/* 1 with the settings as a label for an impaired port, 0 with "off". */
static uint64_t impaired_labels(struct tbuf *b, const struct sw *sw,
				const struct port *p)
{
	(void)sw;
	char set[IMPAIR_SETTINGS_LEN];

	if (p->impair)
		impair_opts_format(&p->impair->cfg, set, sizeof(set));
	else
		snprintf(set, sizeof(set), "off");
	tb_label(b, "settings", set);
	return p->impair != NULL;
}

/* Spanning tree: state and role as labels; the value is the state's 802.1D
 * number (0 disabled, 1 blocking, 2 listening, 3 learning, 4 forwarding). */
static uint64_t stp_labels(struct tbuf *b, const struct sw *sw,
			   const struct port *p)
{
	tb_label(b, "state", p->stp ? stp_state_name(p->stp->state) : "off");
	tb_put(b, ",", 1);
	tb_label(b, "role",
		 p->stp ? stp_role_name(stp_port_role(sw, p)) : "off");
	return p->stp ? (uint64_t)p->stp->state : 0;
}

/* The VLAN mode as labels; the value is the VLAN untagged frames belong
 * to (access VLAN or native), 0 for none. */
static uint64_t vlan_labels(struct tbuf *b, const struct sw *sw,
			    const struct port *p)
{
	char list[VLAN_TEXT_MAX] = "";

	if (p->vlan && p->vlan->mode == VLAN_MODE_TRUNK)
		vlan_list_format(p->vlan, list, sizeof(list), ',');
	else if (p->vlan)
		snprintf(list, sizeof(list), "%u", p->vlan->vid);
	tb_label(b, "mode",
		 vlan_mode_name(p->vlan ? p->vlan->mode : VLAN_MODE_NONE));
	tb_put(b, ",", 1);
	tb_label(b, "vlans", list);
	return p->vlan ? p->vlan->vid : 0;
}

/*
 * The counters of the ports' transports (an mcast uplink's echoes): one
 * series per counter name, sockswitch_port_NAME_total, with a line for
 * each port that has it. Only uplinks have such counters, so this walks
 * them once per name they use.
 */
static void put_transport_counters(struct tbuf *b, const struct sw *sw,
				   const struct port_labels *pl)
{
	struct uplink_counter c[UPLINK_COUNTERS_MAX], o[UPLINK_COUNTERS_MAX];
	const char *done[8];
	size_t ndone = 0, n, k, j, on, len;
	const struct port *p, *q;
	uint32_t i, qi;
	char name[96];

	port_foreach(sw, p, i) {
		n = uplink_port_counters(p, c, UPLINK_COUNTERS_MAX);
		for (k = 0; k < n; k++) {
			for (j = 0; j < ndone && strcmp(done[j], c[k].name);
			     j++)
				;
			if (j < ndone ||
			    ndone == sizeof(done) / sizeof(done[0]))
				continue;
			done[ndone++] = c[k].name;
			len = (size_t)snprintf(name, sizeof(name),
					       "sockswitch_port_%s_total",
					       c[k].name);
			tb_head(b, name, "counter", c[k].help);
			port_foreach(sw, q, qi) {
				on = uplink_port_counters(q, o,
							  UPLINK_COUNTERS_MAX);
				for (j = 0; j < on; j++)
					if (!strcmp(o[j].name, c[k].name))
						put_line(b, name, len, pl, qi,
							 NULL, o[j].value);
			}
		}
	}
}

/* vhost-user ports: their transport's counters, a family each (lines only
 * for vhost-user ports; no family without one). */
static void put_vhost(struct tbuf *b, const struct sw *sw,
		      const struct port_labels *pl)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fam[] = {
		{ "sockswitch_port_vhost_user_kicks_total",
		  "vhost-user ports: eventfd reads that found the guest's kicks (both queues).",
		  offsetof(struct vhost_port_info, kicks) },
		{ "sockswitch_port_vhost_user_calls_total",
		  "vhost-user ports: interrupts (call eventfd writes) sent to the guest.",
		  offsetof(struct vhost_port_info, calls) },
		{ "sockswitch_port_vhost_user_rx_wait_total",
		  "vhost-user ports: flushes that left frames queued because the guest had no receive buffers.",
		  offsetof(struct vhost_port_info, rx_wait) },
		{ "sockswitch_port_vhost_user_queue_stops_total",
		  "vhost-user ports: times the guest stopped its queues (reset, reboot, shutdown).",
		  offsetof(struct vhost_port_info, queue_stops) },
	};
	struct vhost_port_info vh;
	const struct port *p;
	size_t f;
	uint32_t i;

	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		bool head = false;

		port_foreach(sw, p, i) {
			uint64_t v;

			if (!vhost_port_info(p, &vh))
				continue;
			if (!head)
				tb_head(b, fam[f].name, "counter", fam[f].help);
			head = true;
			memcpy(&v, (const char *)&vh + fam[f].off, sizeof(v));
			put_line(b, fam[f].name, strlen(fam[f].name), pl, i,
				 NULL, v);
		}
	}
}

/* vxlan uplinks: the VNI as the value, the remote, local address and UDP
 * port as labels (a line only for each vxlan port). */
static void put_vxlan(struct tbuf *b, const struct sw *sw,
		      const struct port_labels *pl)
{
	static const char name[] = "sockswitch_port_vxlan_vni";
	struct vxlan_uplink_info vx;
	const struct port *p;
	bool head = false;
	uint32_t i;

	port_foreach(sw, p, i) {
		if (!vxlan_uplink_info(p, &vx))
			continue;
		if (!head)
			tb_head(b, name, "gauge",
				"A vxlan uplink's VNI; its remote VTEP, local address and UDP port are labels.");
		head = true;
		tb_put(b, name, sizeof(name) - 1);
		tb_put(b, pl->text.p + pl->off[i], pl->off[i + 1] - pl->off[i]);
		tb_put(b, ",", 1);
		tb_label(b, "remote", vx.remote);
		tb_put(b, ",", 1);
		tb_label(b, "local", vx.local);
		tb_put(b, ",udp_port=\"", 11);
		tb_u64(b, vx.port);
		tb_put(b, "\"} ", 3);
		tb_u64(b, vx.vni);
		tb_put(b, "\n", 1);
	}
}

/**
 * metrics_put_ports() - append every per-port series to @b
 * @b:		the scrape so far
 * @sw:		the switch
 *
 * Return: 0, or -1 when out of memory (@b is then marked failed)
 */
int metrics_put_ports(struct tbuf *b, const struct sw *sw)
{
	const struct port_metric *m;
	struct port_labels pl;
	const struct port *p;
	uint32_t i;
	size_t k, n;
	int r;

	if (labels_build(&pl, sw) < 0) {
		free(pl.off);
		free(pl.text.p);
		b->failed = true;
		return -1;
	}
	for (k = 0; k < sizeof(port_metrics) / sizeof(port_metrics[0]); k++) {
		m = &port_metrics[k];
		n = strlen(m->name);
		tb_head(b, m->name, m->type, m->help);
		port_foreach(sw, p, i)
			put_line(b, m->name, n, &pl, i, NULL,
				 stat_at(p, m->off));
	}
	tb_head(b, "sockswitch_port_drops_total", "counter",
		"Frames dropped, by port and reason.");
	n = strlen("sockswitch_port_drops_total");
	port_foreach(sw, p, i)
		for (r = 0; r < PORT_DROP__MAX; r++)
			put_line(b, "sockswitch_port_drops_total", n, &pl, i,
				 port_drop_name[r], p->st.drops[r]);
	tb_head(b, "sockswitch_port_up", "gauge",
		"1 if the port forwards, 0 if it is disabled, closing, without a carrier or kept from forwarding by spanning tree.");
	n = strlen("sockswitch_port_up");
	port_foreach(sw, p, i)
		put_line(b, "sockswitch_port_up", n, &pl, i, NULL, p->up);
	tb_head(b, "sockswitch_port_tx_queue_frames", "gauge",
		"Frames waiting in the port's transmit queue.");
	n = strlen("sockswitch_port_tx_queue_frames");
	port_foreach(sw, p, i)
		put_line(b, "sockswitch_port_tx_queue_frames", n, &pl, i, NULL,
			 p->txq.count);
	tb_head(b, "sockswitch_port_broadcast_limit", "gauge",
		"Storm control: frames per second the port may have flooded (broadcast, multicast, unknown unicast), 0 if no limit; the excess is counted as drops reason rx_storm.");
	n = strlen("sockswitch_port_broadcast_limit");
	port_foreach(sw, p, i)
		put_line(b, "sockswitch_port_broadcast_limit", n, &pl, i, NULL,
			 p->storm_fps);
	put_setting(
		b, sw, &pl, "sockswitch_port_impaired",
		"1 if frames leaving the port are impaired; the settings label says how (sockswitchctl impair).",
		impaired_labels);
	put_setting(
		b, sw, &pl, "sockswitch_port_vlan",
		"The port's VLAN mode (none, access, trunk) and VLANs; the value is the VLAN of its untagged frames (access or native), 0 if none (sockswitchctl vlan).",
		vlan_labels);
	if (sw->stp)
		put_setting(
			b, sw, &pl, "sockswitch_port_stp_state",
			"Spanning tree: the port's 802.1D state (0 disabled, 1 blocking, 2 listening, 3 learning, 4 forwarding), with state and role as labels.",
			stp_labels);
	put_transport_counters(b, sw, &pl);
	put_vxlan(b, sw, &pl);
	put_vhost(b, sw, &pl);
	free(pl.off);
	free(pl.text.p);
	return b->failed ? -1 : 0;
}
