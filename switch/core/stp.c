// SPDX-License-Identifier: MIT
/*
 * stp.c - 802.1D spanning tree
 *
 * DOC: Theory of Operation
 * IEEE 802.1D-1998 clause 8, as the Linux bridge (net/bridge/br_stp*.c)
 * and Open vSwitch (lib/stp.c) implement it, so that a sockswitch cabled
 * to a Linux bridge with stp_state 1, to Open vSwitch or to another
 * sockswitch builds one tree with them. The procedures keep the standard's
 * names: record_config(), configuration_update() (root selection, then
 * designated port selection), port_state_selection(), make_forwarding(),
 * make_blocking(), topology_change_detection(), and the six timers.
 *
 * Timers count down in milliseconds; sw_stp_tick() (the daemon calls it
 * every STP_TICK_MS, tests with whatever clock they like) subtracts the
 * time since the last tick and runs what expired. Nothing here reads a
 * clock, does I/O or logs: BPDUs go into the ports' transmit queues as
 * copies (sw_send_local()), and what changes is reported through
 * sw->event_cb (SW_EV_STP_*).
 *
 * The port's state decides whether it forwards: a port is up (in the
 * flood list, a destination) only while it forwards (sw.c asks
 * stp_port_forwarding()). A port that is not forwarding still takes
 * BPDUs, which fwd_input() hands to stp_input() before anything else;
 * in the learning state it learns from what it receives, and everything
 * it receives is dropped as rx_stp.
 *
 * Edge ports (the ports accepted on listeners: guests) forward as soon as
 * they attach and take part in no topology change; the first BPDU that
 * arrives on one makes it a normal port, which the tree then places
 * (Linux bridges plugged in "as guests" still take part). Edge or not,
 * a designated port sends a config BPDU every hello time.
 *
 * Received BPDUs are checked before they are believed: the LLC header
 * (42 42 03), protocol 0, a known type (config 0x00, TCN 0x80, an RSTP
 * BPDU 0x02 read as a config BPDU as 802.1D-2004 asks of an STP bridge),
 * the length, and every timer within the 802.1D ranges (max age 6-40 s,
 * hello 1-10 s, forward delay 4-30 s, but 2-3 s as Linux allows it;
 * message age at most max age), and a config BPDU claiming this bridge's
 * id through a port it does not have is forged. A BPDU that fails is
 * counted (rx_bad) and changes nothing. The root's times are adopted
 * within the 802.1D ranges (a 2-3 s forward delay becomes 4 s).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/stp.h"
#include "sockswitch/sw.h"

#define BPDU_LLC_OFF 14
#define BPDU_OFF 17 /* after the 802.3 header and the LLC header */
#define BPDU_CONFIG_LEN 35
#define BPDU_TCN_LEN 4
#define BPDU_TYPE_CONFIG 0x00
#define BPDU_TYPE_RST 0x02
#define BPDU_TYPE_TCN 0x80
#define BPDU_FLAG_TC 0x01
#define BPDU_FLAG_TCA 0x80
#define HOLD_MS 1000 /* 802.1D hold time */
#define MSG_AGE_INCREMENT_MS 1000 /* overestimate of one hop's delay */

/**
 * struct bpdu - a received or sent config BPDU, decoded
 */
struct bpdu {
	uint8_t type;
	uint8_t flags;
	uint64_t root;
	uint32_t cost;
	uint64_t bridge;
	uint16_t port;
	int64_t msg_age_ms, max_age_ms, hello_ms, fwd_delay_ms;
};

/**
 * stp_cfg_default() - priority 32768, hello 2 s, max age 20 s, forward
 * delay 15 s
 * @c:		filled in
 */
void stp_cfg_default(struct stp_cfg *c)
{
	c->priority = STP_PRIORITY_DEFAULT;
	c->hello_s = STP_HELLO_DEFAULT_S;
	c->max_age_s = STP_MAX_AGE_DEFAULT_S;
	c->fwd_delay_s = STP_FWD_DELAY_DEFAULT_S;
}

/**
 * stp_cfg_check() - the 802.1D ranges and relations
 * @c:		settings
 * @why:	set to what is wrong
 *
 * Return: 0, or -EINVAL
 */
int stp_cfg_check(const struct stp_cfg *c, const char **why)
{
	if (c->priority > 65535)
		*why = "priority must be 0-65535 (32768 by default; lower wins the root election)";
	else if (c->hello_s < 1 || c->hello_s > 10)
		*why = "hello_time must be 1-10 seconds";
	else if (c->max_age_s < 6 || c->max_age_s > 40)
		*why = "max_age must be 6-40 seconds";
	else if (c->fwd_delay_s < 4 || c->fwd_delay_s > 30)
		*why = "forward_delay must be 4-30 seconds";
	else if (2 * (c->fwd_delay_s - 1) < c->max_age_s)
		*why = "802.1D needs 2 x (forward_delay - 1) >= max_age";
	else if (c->max_age_s < 2 * (c->hello_s + 1))
		*why = "802.1D needs max_age >= 2 x (hello_time + 1)";
	else
		return 0;
	return -EINVAL;
}

const char *stp_state_name(enum stp_state s)
{
	static const char *const n[] = { "disabled", "blocking", "listening",
					 "learning", "forwarding" };

	return (unsigned)s < 5 ? n[s] : "?";
}

const char *stp_role_name(enum stp_role r)
{
	static const char *const n[] = { "disabled", "root", "designated",
					 "blocked" };

	return (unsigned)r < 4 ? n[r] : "?";
}

/**
 * stp_id_format() - a bridge id as the Linux bridge prints it
 * @id:		priority << 48 | MAC
 * @buf:	"8000.020000000001"
 * @len:	size of @buf (at least 18)
 */
void stp_id_format(uint64_t id, char *buf, unsigned long len)
{
	snprintf(buf, len, "%04x.%012llx", (unsigned)(id >> 48),
		 (unsigned long long)(id & 0xffffffffffffULL));
}

/* Every port that takes part in the tree now: attached while STP is on
 * and operational (sp: its state). */
#define oper_foreach(sw, p, sp, i)                                       \
	port_foreach(sw, p, i)                                           \
		if (!((sp) = (p)->stp) || (sp)->state == STP_DISABLED) { \
		} else

static bool is_designated(const struct stp *s, const struct port *p)
{
	return p->stp->dbridge == s->bridge_id &&
	       p->stp->dport == p->stp->port_id;
}

static bool is_root_bridge(const struct stp *s)
{
	return s->root_id == s->bridge_id;
}

/**
 * stp_port_role() - what the tree makes of @p now
 * @sw:		the switch
 * @p:		a port
 *
 * Return: the role; STP_ROLE_DISABLED without STP or for a port that is
 *	   not operational
 */
enum stp_role stp_port_role(const struct sw *sw, const struct port *p)
{
	if (!sw->stp || !p->stp || p->stp->state == STP_DISABLED)
		return STP_ROLE_DISABLED;
	if (p == sw->stp->root_port)
		return STP_ROLE_ROOT;
	return is_designated(sw->stp, p) ? STP_ROLE_DESIGNATED
					 : STP_ROLE_BLOCKED;
}

static void put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put64(uint8_t *b, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint32_t get16(const uint8_t *b)
{
	return (uint32_t)b[0] << 8 | b[1];
}

static uint64_t get64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* 1/256 s on the wire, milliseconds here (rounded to the nearest). */
static void put_time(uint8_t *b, int64_t ms)
{
	put16(b, (uint32_t)((ms * 256 + 500) / 1000));
}

static int64_t get_time(const uint8_t *b)
{
	return ((int64_t)get16(b) * 1000 + 128) / 256;
}

/* An 802.3 frame to the bridge group address with the LLC header; the
 * BPDU of @blen bytes goes at @f + BPDU_OFF. Padded to 60 bytes. */
static size_t bpdu_frame(const struct stp *s, uint8_t f[64], size_t blen)
{
	static const uint8_t group[6] = { 0x01, 0x80, 0xc2, 0, 0, 0 };

	memset(f, 0, 64);
	memcpy(f, group, 6);
	memcpy(f + 6, s->mac, 6);
	put16(f + 12, (uint32_t)(3 + blen));
	f[14] = 0x42;
	f[15] = 0x42;
	f[16] = 0x03;
	return 60;
}

static void send_config(struct sw *sw, struct port *p, const struct bpdu *b)
{
	uint8_t f[64], *x = f + BPDU_OFF;
	size_t len = bpdu_frame(sw->stp, f, BPDU_CONFIG_LEN);

	x[3] = BPDU_TYPE_CONFIG;
	x[4] = b->flags;
	put64(x + 5, b->root);
	x[13] = (uint8_t)(b->cost >> 24);
	x[14] = (uint8_t)(b->cost >> 16);
	x[15] = (uint8_t)(b->cost >> 8);
	x[16] = (uint8_t)b->cost;
	put64(x + 17, b->bridge);
	put16(x + 25, b->port);
	put_time(x + 27, b->msg_age_ms);
	put_time(x + 29, b->max_age_ms);
	put_time(x + 31, b->hello_ms);
	put_time(x + 33, b->fwd_delay_ms);
	p->stp->tx_bpdu++;
	sw_send_local(sw, p, f, len);
}

static void send_tcn(struct sw *sw, struct port *p)
{
	uint8_t f[64];
	size_t len = bpdu_frame(sw->stp, f, BPDU_TCN_LEN);

	f[BPDU_OFF + 3] = BPDU_TYPE_TCN;
	p->stp->tx_tcn++;
	sw_send_local(sw, p, f, len);
}

static void set_state(struct sw *sw, struct port *p, enum stp_state st)
{
	if (p->stp->state == st)
		return;
	p->stp->state = st;
	if (st == STP_FORWARDING)
		p->stp->transitions++;
	sw_port_stp_changed(sw, p);
}

/* 8.6.1: a config BPDU on designated port @p (or one waits for hold). */
static void transmit_config(struct sw *sw, struct port *p)
{
	struct stp *s = sw->stp;
	struct stp_port *sp = p->stp;
	struct bpdu b;

	if (sp->hold_ms >= 0) {
		sp->config_pending = true;
		return;
	}
	memset(&b, 0, sizeof(b));
	b.root = s->root_id;
	b.cost = s->root_cost;
	b.bridge = s->bridge_id;
	b.port = sp->port_id;
	if (is_root_bridge(s) || !s->root_port)
		b.msg_age_ms = 0;
	else
		b.msg_age_ms = s->root_port->stp->msg_age_rx_ms +
			       s->root_port->stp->msg_age_ms +
			       MSG_AGE_INCREMENT_MS;
	b.max_age_ms = s->max_age_ms;
	b.hello_ms = s->hello_ms;
	b.fwd_delay_ms = s->fwd_delay_ms;
	b.flags = (sp->tc_ack ? BPDU_FLAG_TCA : 0) | (s->tc ? BPDU_FLAG_TC : 0);
	if (b.msg_age_ms >= b.max_age_ms)
		return; /* stale: the root's information has not come */
	sp->tc_ack = false;
	sp->config_pending = false;
	send_config(sw, p, &b);
	sp->hold_ms = HOLD_MS;
}

/* 8.6.2.2: does @b beat what port @p holds? */
/* Cost through a port: saturating, so that a BPDU claiming a cost near
 * 2^32 does not wrap into the cheapest. */
static uint32_t cost_via(const struct stp_port *sp)
{
	return sp->dcost > UINT32_MAX - sp->path_cost
		       ? UINT32_MAX
		       : sp->dcost + sp->path_cost;
}

static bool supersedes(const struct stp *s, const struct stp_port *sp,
		       const struct bpdu *b)
{
	if (b->root != sp->droot)
		return b->root < sp->droot;
	if (b->cost != sp->dcost)
		return b->cost < sp->dcost;
	if (b->bridge != sp->dbridge)
		return b->bridge < sp->dbridge;
	return b->bridge != s->bridge_id || b->port <= sp->dport;
}

static void record_config(struct stp_port *sp, const struct bpdu *b)
{
	sp->droot = b->root;
	sp->dcost = b->cost;
	sp->dbridge = b->bridge;
	sp->dport = b->port;
	sp->msg_age_rx_ms = b->msg_age_ms;
	sp->msg_age_ms = 0; /* started, at the age it came with */
}

static void become_designated(struct stp *s, struct port *p)
{
	struct stp_port *sp = p->stp;

	sp->droot = s->root_id;
	sp->dcost = s->root_cost;
	sp->dbridge = s->bridge_id;
	sp->dport = sp->port_id;
}

/* 8.6.8: the best port towards a root better than this bridge. */
static void root_selection(struct sw *sw)
{
	struct stp *s = sw->stp;
	struct port *p, *rp = NULL;
	struct stp_port *sp, *rs;
	bool changed;
	uint32_t i;

	oper_foreach(sw, p, sp, i)
	{
		if (is_designated(s, p) || sp->droot >= s->bridge_id)
			continue;
		if (!rp) {
			rp = p;
			continue;
		}
		rs = rp->stp;
		if (sp->droot != rs->droot	   ? sp->droot < rs->droot
		    : cost_via(sp) != cost_via(rs) ? cost_via(sp) < cost_via(rs)
		    : sp->dbridge != rs->dbridge   ? sp->dbridge < rs->dbridge
		    : sp->dport != rs->dport	   ? sp->dport < rs->dport
						   : sp->port_id < rs->port_id)
			rp = p;
	}
	changed = rp != s->root_port ||
		  s->root_id != (rp ? rp->stp->droot : s->bridge_id);
	s->root_port = rp;
	s->root_id = rp ? rp->stp->droot : s->bridge_id;
	s->root_cost = rp ? cost_via(rp->stp) : 0;
	if (changed)
		sw_stp_event(sw, SW_EV_STP_ROOT, rp);
}

/* 8.6.9 */
static void designated_port_selection(struct sw *sw)
{
	struct stp *s = sw->stp;
	struct stp_port *sp;
	struct port *p;
	uint32_t i;

	oper_foreach(sw, p, sp, i)
	{
		if (is_designated(s, p) || sp->droot != s->root_id ||
		    s->root_cost < sp->dcost ||
		    (s->root_cost == sp->dcost &&
		     (s->bridge_id < sp->dbridge ||
		      (s->bridge_id == sp->dbridge &&
		       sp->port_id <= sp->dport))))
			become_designated(s, p);
	}
}

static void configuration_update(struct sw *sw)
{
	root_selection(sw);
	designated_port_selection(sw);
}

/* 8.6.14 */
static void topology_change_detection(struct sw *sw)
{
	struct stp *s = sw->stp;

	if (is_root_bridge(s)) {
		s->tc = true;
		s->tc_timer_ms = s->max_age_ms + s->fwd_delay_ms;
	} else if (!s->tc_detected) {
		if (s->root_port)
			send_tcn(sw, s->root_port);
		s->tcn_timer_ms = s->hello_ms;
	}
	if (!s->tc_detected) {
		s->tc_count++;
		s->tc_last_ms = s->last_ms;
		sw_stp_event(sw, SW_EV_STP_TC, NULL);
	}
	s->tc_detected = true;
}

static void make_forwarding(struct sw *sw, struct port *p)
{
	if (p->stp->state != STP_BLOCKING)
		return;
	set_state(sw, p, STP_LISTENING);
	p->stp->fwd_delay_ms = sw->stp->fwd_delay_ms;
}

static void make_blocking(struct sw *sw, struct port *p)
{
	enum stp_state st = p->stp->state;

	if (st == STP_DISABLED || st == STP_BLOCKING)
		return;
	if ((st == STP_FORWARDING || st == STP_LEARNING) && !p->stp->edge)
		topology_change_detection(sw);
	set_state(sw, p, STP_BLOCKING);
	p->stp->fwd_delay_ms = -1;
}

/* 8.6.11 */
static void port_state_selection(struct sw *sw)
{
	struct stp *s = sw->stp;
	struct stp_port *sp;
	struct port *p;
	uint32_t i;

	oper_foreach(sw, p, sp, i)
	{
		if (p == s->root_port) {
			sp->config_pending = false;
			sp->tc_ack = false;
			make_forwarding(sw, p);
		} else if (is_designated(s, p)) {
			sp->msg_age_ms = -1;
			if (sp->edge && sp->state != STP_FORWARDING)
				set_state(sw, p, STP_FORWARDING);
			make_forwarding(sw, p);
		} else {
			sp->config_pending = false;
			sp->tc_ack = false;
			make_blocking(sw, p);
		}
	}
}

static void config_bpdu_generation(struct sw *sw)
{
	struct stp_port *sp;
	struct port *p;
	uint32_t i;

	oper_foreach(sw, p, sp, i) if (is_designated(sw->stp, p))
		transmit_config(sw, p);
}

/* This bridge has just become the root: its own timers, a topology
 * change, hellos. */
static void became_root(struct sw *sw)
{
	struct stp *s = sw->stp;

	s->max_age_ms = (int64_t)s->cfg.max_age_s * 1000;
	s->hello_ms = (int64_t)s->cfg.hello_s * 1000;
	s->fwd_delay_ms = (int64_t)s->cfg.fwd_delay_s * 1000;
	topology_change_detection(sw);
	s->tcn_timer_ms = -1;
	config_bpdu_generation(sw);
	s->hello_timer_ms = s->hello_ms;
}

static void port_init(struct sw *sw, struct port *p)
{
	struct stp_port *sp = p->stp;

	become_designated(sw->stp, p);
	sp->edge = sp->edge_cfg;
	sp->state = STP_BLOCKING;
	sp->tc_ack = sp->config_pending = false;
	sp->msg_age_ms = sp->fwd_delay_ms = sp->hold_ms = -1;
	sp->msg_age_rx_ms = 0;
	if (sp->edge) {
		sp->state = STP_FORWARDING;
		sp->transitions++;
	}
}

static bool port_oper(const struct port *p)
{
	return p->enabled && !p->closing && !p->no_carrier;
}

/**
 * stp_port_oper() - a port became operational or stopped being so
 * @sw:		the switch (STP on)
 * @p:		the port
 * @oper:	enabled, not closing, with a carrier
 *
 * Context: from sw.c's update of p->up; changes the port's STP state
 * without asking sw.c back (the caller derives p->up afterwards).
 */
void stp_port_oper(struct sw *sw, struct port *p, bool oper)
{
	struct stp *s = sw->stp;
	struct stp_port *sp = p->stp;
	bool was_root;

	if (!sp || oper == (sp->state != STP_DISABLED))
		return;
	if (oper) {
		port_init(sw, p);
		port_state_selection(sw);
		if (sp->state != STP_DISABLED && is_designated(s, p))
			transmit_config(sw, p);
		sw_stp_event(sw, SW_EV_STP_PORT, p);
		return;
	}
	was_root = is_root_bridge(s);
	become_designated(s, p);
	sp->state = STP_DISABLED;
	sp->tc_ack = sp->config_pending = false;
	sp->msg_age_ms = sp->fwd_delay_ms = sp->hold_ms = -1;
	configuration_update(sw);
	port_state_selection(sw);
	if (is_root_bridge(s) && !was_root)
		became_root(sw);
	sw_stp_event(sw, SW_EV_STP_PORT, p);
}

/* A port's identifier: priority 128 in the top 4 bits and a 12-bit
 * number below, as 802.1D-2004 and Linux make it: the port's own number
 * when it is below 4096 and free, else the lowest free one (two ports
 * with one id on a segment would both think themselves designated).
 * Return: the id, or 0 when all 4095 are taken. */
static uint16_t port_id_of(struct sw *sw, const struct port *p)
{
	uint8_t used[4096 / 8] = { 0 };
	const struct port *q;
	uint32_t i, n;

	port_foreach(sw, q, i)
		if (q != p && q->stp)
			n = q->stp->port_id & 0xfff,
			used[n / 8] |= (uint8_t)(1u << (n % 8));
	n = p->id;
	if (n == 0 || n > 0xfff || (used[n / 8] & (1u << (n % 8))))
		for (n = 1; n <= 0xfff && (used[n / 8] & (1u << (n % 8))); n++)
			;
	if (n > 0xfff)
		return 0;
	return (uint16_t)((STP_PORT_PRIORITY_DEFAULT >> 4) << 12 | n);
}

/**
 * stp_port_attach() - give a new port its spanning-tree state
 * @sw:		the switch (STP on)
 * @p:		the port (p->stp_nonedge: it does not start as an edge)
 *
 * Return: 0, -ENOMEM, or -ENOSPC when 4095 ports take part already (the
 *	   most 802.1D port ids can tell apart)
 */
int stp_port_attach(struct sw *sw, struct port *p)
{
	uint16_t id = port_id_of(sw, p);
	struct stp_port *sp;

	if (!id)
		return -ENOSPC;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->state = STP_DISABLED;
	sp->edge_cfg = !p->stp_nonedge;
	sp->port_id = id;
	sp->path_cost = STP_PATH_COST_DEFAULT;
	sp->msg_age_ms = sp->fwd_delay_ms = sp->hold_ms = -1;
	p->stp = sp;
	return 0;
}

/**
 * stp_port_detach() - a port leaves: the tree is computed without it
 * @sw:		the switch
 * @p:		the port
 */
void stp_port_detach(struct sw *sw, struct port *p)
{
	if (!p->stp)
		return;
	if (sw->stp)
		stp_port_oper(sw, p, false);
	if (sw->stp && sw->stp->root_port == p)
		sw->stp->root_port = NULL;
	free(p->stp);
	p->stp = NULL;
}

/**
 * stp_port_forwarding() - may @p forward (for sw.c's p->up)
 * @p:		a port of a switch with STP on
 *
 * Return: true in the forwarding state
 */
bool stp_port_forwarding(const struct port *p)
{
	return !p->stp || p->stp->state == STP_FORWARDING;
}

/**
 * stp_port_learning() - does @p learn while it does not forward
 * @p:		a port
 *
 * Return: true in the learning state
 */
bool stp_port_learning(const struct port *p)
{
	return p->stp && p->stp->state == STP_LEARNING;
}

/* ---- received BPDUs ------------------------------------------------------ */

static bool time_ok(int64_t ms, int64_t lo_s, int64_t hi_s)
{
	return ms >= lo_s * 1000 - 4 && ms <= hi_s * 1000 + 4;
}

static int64_t clamp_s(int64_t ms, int64_t lo_s, int64_t hi_s)
{
	return ms < lo_s * 1000	  ? lo_s * 1000
	       : ms > hi_s * 1000 ? hi_s * 1000
				  : ms;
}

/* Decode and check; Return: the type, or -1 (counted as rx_bad). */
static int bpdu_parse(const uint8_t *f, size_t len, struct bpdu *b)
{
	const uint8_t *x = f + BPDU_OFF;
	uint32_t l8023;

	if (len < BPDU_OFF + BPDU_TCN_LEN)
		return -1;
	l8023 = get16(f + 12);
	if (l8023 > 1500 || l8023 < 3 + BPDU_TCN_LEN ||
	    l8023 > len - BPDU_LLC_OFF)
		return -1; /* an EtherType, or longer than the frame */
	if (f[14] != 0x42 || f[15] != 0x42 || f[16] != 0x03)
		return -1;
	if (x[0] || x[1])
		return -1; /* protocol identifier 0: spanning tree */
	memset(b, 0, sizeof(*b));
	b->type = x[3];
	if (b->type == BPDU_TYPE_TCN)
		return BPDU_TYPE_TCN;
	if (b->type != BPDU_TYPE_CONFIG && b->type != BPDU_TYPE_RST)
		return -1;
	if (l8023 < 3 + BPDU_CONFIG_LEN)
		return -1;
	b->flags = x[4];
	b->root = get64(x + 5);
	b->cost = (uint32_t)x[13] << 24 | (uint32_t)x[14] << 16 |
		  (uint32_t)x[15] << 8 | x[16];
	b->bridge = get64(x + 17);
	b->port = (uint16_t)get16(x + 25);
	b->msg_age_ms = get_time(x + 27);
	b->max_age_ms = get_time(x + 29);
	b->hello_ms = get_time(x + 31);
	b->fwd_delay_ms = get_time(x + 33);
	/* Linux bridges allow a forward delay of 2-3 s: such a root's
	 * BPDUs are taken (refusing them would leave the port forwarding),
	 * its forward delay raised to 4 s where it is adopted. */
	if (!time_ok(b->max_age_ms, 6, 40) || !time_ok(b->hello_ms, 1, 10) ||
	    !time_ok(b->fwd_delay_ms, 2, 30) || b->msg_age_ms > b->max_age_ms)
		return -1;
	return BPDU_TYPE_CONFIG;
}

/*
 * A config BPDU that claims to come from this bridge through a port it
 * does not have. Its own BPDUs may come back (two of its ports on one
 * segment, a port looped to itself), and the tree handles them; one with
 * its id from nowhere is forged, and refused.
 */
static bool forged(struct sw *sw, const struct bpdu *b)
{
	struct port *p;
	uint32_t i;

	if (b->bridge != sw->stp->bridge_id)
		return false;
	port_foreach(sw, p, i)
		if (p->stp && p->stp->port_id == b->port)
			return false;
	return true;
}

/* 8.7.1 */
static void received_config(struct sw *sw, struct port *p, const struct bpdu *b)
{
	struct stp *s = sw->stp;
	struct stp_port *sp = p->stp;
	bool was_root = is_root_bridge(s);

	if (supersedes(s, sp, b)) {
		record_config(sp, b);
		configuration_update(sw);
		port_state_selection(sw);
		if (!is_root_bridge(s) && was_root) {
			s->hello_timer_ms = -1;
			if (s->tc_detected) {
				s->tc_timer_ms = -1;
				if (s->root_port)
					send_tcn(sw, s->root_port);
				s->tcn_timer_ms = s->hello_ms;
			}
		}
		if (p == s->root_port) {
			/* record_config_timeout_values(), within 802.1D */
			s->max_age_ms = clamp_s(b->max_age_ms, 6, 40);
			s->hello_ms = clamp_s(b->hello_ms, 1, 10);
			s->fwd_delay_ms = clamp_s(b->fwd_delay_ms, 4, 30);
			s->tc = (b->flags & BPDU_FLAG_TC) != 0;
			config_bpdu_generation(sw);
			if (b->flags & BPDU_FLAG_TCA) {
				s->tc_detected = false;
				s->tcn_timer_ms = -1;
			}
		}
	} else if (is_designated(s, p)) {
		transmit_config(sw, p); /* reply(): the better word wins */
	}
}

/* 8.7.2 */
static void received_tcn(struct sw *sw, struct port *p)
{
	if (!is_designated(sw->stp, p))
		return;
	topology_change_detection(sw);
	p->stp->tc_ack = true;
	transmit_config(sw, p);
}

/**
 * stp_input() - a frame to the bridge group address from @in
 * @sw:		the switch (STP on, or a BPDU guard somewhere)
 * @in:		the port it came from
 * @frame:	the frame
 * @len:	its length
 *
 * Counted as received; never forwarded.
 */
void stp_input(struct sw *sw, struct port *in, const uint8_t *frame, size_t len)
{
	struct stp_port *sp = in->stp;
	struct bpdu b;
	int type;

	if (!sw->stp || !sp || sp->state == STP_DISABLED)
		return;
	type = bpdu_parse(frame, len, &b);
	if (type < 0 || (type == BPDU_TYPE_CONFIG && forged(sw, &b))) {
		sp->rx_bad++;
		return;
	}
	if (sp->edge) {
		/* A bridge where a guest was expected: a normal port now. */
		sp->edge = false;
		sw_stp_event(sw, SW_EV_STP_PORT, in);
	}
	if (type == BPDU_TYPE_TCN) {
		sp->rx_tcn++;
		received_tcn(sw, in);
	} else {
		sp->rx_bpdu++;
		received_config(sw, in, &b);
	}
}

/* ---- timers -------------------------------------------------------------- */

static bool expired(int64_t *t, int64_t dt)
{
	if (*t < 0)
		return false;
	*t -= dt;
	if (*t > 0)
		return false;
	*t = -1;
	return true;
}

static void msg_age_expired(struct sw *sw, struct port *p)
{
	struct stp *s = sw->stp;
	bool was_root = is_root_bridge(s);

	become_designated(s, p);
	configuration_update(sw);
	port_state_selection(sw);
	if (is_root_bridge(s) && !was_root)
		became_root(sw);
}

static bool designated_for_some_port(struct sw *sw)
{
	struct stp_port *sp;
	struct port *p;
	uint32_t i;

	oper_foreach(sw, p, sp, i) if (sp->dbridge == sw->stp->bridge_id &&
				       !sp->edge) return true;
	return false;
}

static void fwd_delay_expired(struct sw *sw, struct port *p)
{
	if (p->stp->state == STP_LISTENING) {
		set_state(sw, p, STP_LEARNING);
		p->stp->fwd_delay_ms = sw->stp->fwd_delay_ms;
	} else if (p->stp->state == STP_LEARNING) {
		set_state(sw, p, STP_FORWARDING);
		if (designated_for_some_port(sw))
			topology_change_detection(sw);
	}
}

/**
 * sw_stp_tick() - run the timers up to @now_ms
 * @sw:		the switch
 * @now_ms:	current time (monotonic)
 *
 * BPDUs it sends are queued; the caller flushes (sw_flush()).
 */
void sw_stp_tick(struct sw *sw, uint64_t now_ms)
{
	struct stp *s = sw->stp;
	struct stp_port *sp;
	struct port *p;
	int64_t dt;
	uint32_t i;

	if (!s)
		return;
	dt = now_ms > s->last_ms ? (int64_t)(now_ms - s->last_ms) : 0;
	s->last_ms = now_ms;
	/* After a stall the timers run late, never early: a timer started
	 * by an expiry in this tick loses at most a second of its time, and
	 * no port skips a state. */
	if (dt > 1000)
		dt = 1000;
	if (expired(&s->hello_timer_ms, dt)) {
		config_bpdu_generation(sw);
		s->hello_timer_ms = s->hello_ms;
	}
	if (expired(&s->tcn_timer_ms, dt)) {
		if (s->root_port)
			send_tcn(sw, s->root_port);
		s->tcn_timer_ms = s->hello_ms;
	}
	if (expired(&s->tc_timer_ms, dt)) {
		s->tc_detected = false;
		s->tc = false;
	}
	oper_foreach(sw, p, sp, i)
	{
		if (sp->msg_age_ms >= 0) {
			sp->msg_age_ms += dt;
			if (sp->msg_age_rx_ms + sp->msg_age_ms >=
			    s->max_age_ms) {
				sp->msg_age_ms = -1;
				msg_age_expired(sw, p);
			}
		}
		if (expired(&sp->fwd_delay_ms, dt))
			fwd_delay_expired(sw, p);
		if (expired(&sp->hold_ms, dt) && sp->config_pending)
			transmit_config(sw, p);
	}
	/* 8.3.5: while the topology changes, addresses age in forward
	 * delay, so that frames find the new paths. */
	sw->mt.ageing_ms = sw->prm.ageing_ms;
	if (s->tc && (uint64_t)s->fwd_delay_ms < sw->prm.ageing_ms)
		sw->mt.ageing_ms = (uint64_t)s->fwd_delay_ms;
}

/**
 * sw_stp_enable() - turn spanning tree on, or change its settings
 * @sw:		the switch
 * @cfg:	settings (stp_cfg_check() passed)
 * @mac:	the bridge's address
 * @now_ms:	current time
 *
 * Every port starts over: edge ports forward at once, the others listen,
 * learn and forward only after 2 x forward delay if the tree lets them.
 *
 * Return: 0, or -ENOMEM or -ENOSPC (over 4095 ports; STP is then off)
 */
int sw_stp_enable(struct sw *sw, const struct stp_cfg *cfg,
		  const uint8_t mac[6], uint64_t now_ms)
{
	struct stp *s = sw->stp;
	struct port *p;
	uint32_t i;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		port_foreach(sw, p, i) {
			int rc = p->stp ? 0 : stp_port_attach(sw, p);

			if (rc < 0) {
				free(s);
				sw_stp_disable(sw);
				return rc;
			}
		}
	}
	s->cfg = *cfg;
	memcpy(s->mac, mac, 6);
	s->bridge_id = (uint64_t)(cfg->priority & 0xffff) << 48;
	for (i = 0; i < 6; i++)
		s->bridge_id |= (uint64_t)mac[i] << (40 - 8 * i);
	s->root_id = s->bridge_id;
	s->root_cost = 0;
	s->root_port = NULL;
	s->tc_detected = s->tc = false;
	s->tcn_timer_ms = s->tc_timer_ms = -1;
	s->last_ms = now_ms;
	s->max_age_ms = (int64_t)cfg->max_age_s * 1000;
	s->hello_ms = (int64_t)cfg->hello_s * 1000;
	s->fwd_delay_ms = (int64_t)cfg->fwd_delay_s * 1000;
	sw->stp = s;
	sw->bpdu_watch = true;
	/* 8.8.1: every operational port from blocking (or edge forwarding). */
	port_foreach(sw, p, i) {
		p->stp->state = STP_DISABLED;
		if (port_oper(p))
			port_init(sw, p);
	}
	port_state_selection(sw);
	port_foreach(sw, p, i)
		sw_port_stp_changed(sw, p);
	config_bpdu_generation(sw);
	s->hello_timer_ms = s->hello_ms;
	return 0;
}

/**
 * sw_stp_disable() - turn spanning tree off: every port forwards
 * @sw:		the switch
 */
void sw_stp_disable(struct sw *sw)
{
	struct stp *s = sw->stp;
	struct port *p;
	uint32_t i;

	sw->stp = NULL;
	sw->bpdu_watch = sw->nguard > 0;
	sw->mt.ageing_ms = sw->prm.ageing_ms;
	port_foreach(sw, p, i) {
		free(p->stp);
		p->stp = NULL;
		sw_port_stp_changed(sw, p);
	}
	free(s);
}

/**
 * sw_port_set_edge() - whether @p starts as an edge port
 * @sw:		the switch
 * @p:		the port
 * @edge:	ports accepted on listeners are (unless "edge": false);
 *		uplinks and --connect ports are not. A port whose setting
 *		changes while STP runs on it starts over (an edge forwards
 *		at once, a normal port listens and learns first)
 */
void sw_port_set_edge(struct sw *sw, struct port *p, bool edge)
{
	p->stp_nonedge = !edge;
	if (!p->stp || p->stp->edge_cfg == edge)
		return;
	p->stp->edge_cfg = edge;
	if (p->stp->state == STP_DISABLED)
		return;
	/* Start over as what it is now. */
	stp_port_oper(sw, p, false);
	stp_port_oper(sw, p, true);
	sw_port_stp_changed(sw, p);
}

/**
 * sw_port_set_bpdu_guard() - disable @p when a BPDU arrives on it
 * @sw:		the switch
 * @p:		the port
 * @guard:	on or off
 */
void sw_port_set_bpdu_guard(struct sw *sw, struct port *p, bool guard)
{
	if (p->bpdu_guard == guard)
		return;
	p->bpdu_guard = guard;
	if (guard)
		sw->nguard++;
	else
		sw->nguard--;
	sw->bpdu_watch = sw->stp || sw->nguard > 0;
}
