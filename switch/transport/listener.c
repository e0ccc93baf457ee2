// SPDX-License-Identifier: MIT
/*
 * listener.c - every listener, whatever its kind: open, close, the start
 * lines, SIGUSR1 counters, and their part of a reload
 *
 * The kinds (stream.c: tcp:, unix:; dgram.c: udp:, unixgram:; vde.c:
 * vde:DIR) embed struct listener and do their work behind struct
 * listener_ops. They are handed their settings resolved from the config
 * (struct listener_settings) and never read the config themselves.
 *
 * DOC: Theory of Operation
 * d->listeners holds every listener in the order it was opened. A reload
 * (the "listen" reload hook) opens the listeners the new config adds in
 * its prepare step, marked fresh, and closes them again if the reload
 * fails. Its commit closes the listeners the new config drops (a stream
 * listener's connections stay attached; datagram ports close with their
 * socket), and hands the ones that stay their new settings: socket file
 * mode and group, changed in place, the datagram idle time and port
 * limit, and which local users may attach to a tcp:, unix: or vde:
 * listener (for new connections); its ports get the new "impair",
 * "max_macs" and "broadcast_limit".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/transport.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13 */
#endif
#define LISTENER_PEER_GROUPS 256 /* supplementary groups looked at */

/* Which ops open a listener of each kind of URL. */
static const struct listener_ops *const listener_kinds[] = {
	[LISTEN_TCP] = &stream_listener_ops,
	[LISTEN_UNIX] = &stream_listener_ops,
	[LISTEN_VDE] = &vde_listener_ops,
	[LISTEN_UDP] = &dgram_listener_ops,
	[LISTEN_UNIXGRAM] = &dgram_listener_ops,
	[LISTEN_VHOST] = &vhost_listener_ops,
};

/**
 * listener_settings_of() - what a listener gets from a config
 * @c:		the config
 * @lc:		the listener's entry in it
 * @s:		the settings, resolved
 */
static void listener_settings_of(const struct swd_config *c,
				 const struct listen_cfg *lc,
				 struct listener_settings *s)
{
	s->mode = lc->mode != CONFIG_MODE_UNSET ? lc->mode : c->socket_mode;
	s->group = lc->group;
	s->idle_s = c->dgram_idle_s;
	s->uids = lc->uids;
	s->max_ports = lc->max_ports ? lc->max_ports : c->core.max_ports / 2;
	if (!s->max_ports)
		s->max_ports = 1;
	s->impair = lc->impair;
	s->max_macs = lc->max_macs;
	s->broadcast_limit = lc->broadcast_limit;
	s->vlan = lc->vlan;
	s->no_edge = lc->no_edge;
	s->bpdu_guard = lc->bpdu_guard;
}

/**
 * listener_start() - bind and start one listener, add it to d->listeners
 * @d:		the daemon
 * @c:		the config it belongs to (socket_mode, dgram_idle)
 * @lc:		what to listen on
 * @out:	the new listener
 *
 * Return: 0 on success, negative error code (already logged) on failure
 */
static int listener_start(struct swd *d, const struct swd_config *c,
			  const struct listen_cfg *lc, struct listener **out)
{
	const struct listener_ops *ops = NULL;
	struct listener_settings s;
	struct listener *l, **tail;
	int rc;

	if ((size_t)lc->addr.kind <
	    sizeof(listener_kinds) / sizeof(listener_kinds[0]))
		ops = listener_kinds[lc->addr.kind];
	if (!ops)
		return -EAFNOSUPPORT;
	listener_settings_of(c, lc, &s);
	rc = ops->open(d, lc, &s, &l);
	if (rc < 0)
		return rc;
	l->ops = ops;
	l->next = NULL;
	l->impair = s.impair;
	l->max_macs = s.max_macs;
	l->broadcast_limit = s.broadcast_limit;
	l->peers = s.uids;
	l->peers_refused = 0;
	l->vlan = s.vlan;
	l->no_edge = s.no_edge;
	l->bpdu_guard = s.bpdu_guard;
	for (tail = &d->listeners; *tail; tail = &(*tail)->next)
		;
	*tail = l;
	*out = l;
	return 0;
}

/**
 * listener_open() - bind and start one listener, add it to d->listeners
 * @d:		the daemon
 * @c:		the config it belongs to (socket_mode, dgram_idle)
 * @lc:		what to listen on
 *
 * Return: 0 on success, negative error code (already logged) on failure
 */
int listener_open(struct swd *d, const struct swd_config *c,
		  const struct listen_cfg *lc)
{
	struct listener *l;

	return listener_start(d, c, lc, &l);
}

/**
 * listener_close() - stop one listener and take it off the list
 * @d:		the daemon
 * @l:		the listener (NULL: nothing to do)
 *
 * What happens to the ports it made is the kind's business: a stream
 * listener's connections stay, a datagram listener's ports close.
 */
void listener_close(struct swd *d, struct listener *l)
{
	struct listener **pp;

	for (pp = &d->listeners; l && *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			log_info("stopped listening on %s", l->url);
			l->ops->close(l);
			return;
		}
	}
}

/**
 * listener_close_all() - stop every listener and remove their socket files
 * @d:		the daemon
 */
void listener_close_all(struct swd *d)
{
	while (d->listeners) {
		struct listener *l = d->listeners;

		d->listeners = l->next;
		l->ops->close(l);
	}
}

/**
 * listener_find() - the running listener started for a configured address
 * @d:		the daemon
 * @want:	address as configured (port 0 stays 0)
 *
 * Return: the listener, or NULL
 */
struct listener *listener_find(struct swd *d, const struct listen_addr *want)
{
	struct listener *l;

	listener_foreach(d, l) if (listen_addr_same(&l->want, want)) return l;
	return NULL;
}

/**
 * listener_print_all() - one line per listener with the QEMU arguments
 * @d:		the daemon
 * @out:	where to print
 *
 * Each line that has QEMU arguments suggests its own netdev id and MAC
 * address (listener_print_device()).
 */
void listener_print_all(const struct swd *d, FILE *out)
{
	const struct listener *l;
	unsigned n = 0;

	listener_foreach(d, l) l->ops->print(l, out, &n);
}

/**
 * listener_print_device() - the end of a start line: QEMU's -device with
 *			     a MAC address of its own
 * @out:	where to print
 * @n:		the QEMU lines printed so far (0 for the first); counted up
 * @hint:	the advice in brackets at the end of the line
 *
 * Line N (from 0) says netdev=netN and mac=52:54:00:12:34:(N+1), so two
 * lines pasted for two guests, or both into one guest, never share a MAC
 * or a netdev id. The numbers carry into the fifth byte after 255 lines.
 */
void listener_print_device(FILE *out, unsigned *n, const char *hint)
{
	unsigned k = *n + 1;

	fprintf(out,
		" -device virtio-net-pci,netdev=net%u,mac=52:54:00:12:%02x:%02x  (%s)\n",
		*n, (0x34 + (k >> 8)) & 0xff, k & 0xff, hint);
	(*n)++;
}

/**
 * listener_port_added() - what every kind does with a port it just added:
 *			   mark where it came from, impair it, bound its
 *			   addresses and its floods (storm control) and
 *			   give it its VLAN mode as configured
 * @d:		the daemon
 * @l:		the listener
 * @p:		the port, added to the switch
 */
void listener_port_added(struct swd *d, struct listener *l, struct port *p)
{
	p->origin = l;
	p->mac_limit = l->max_macs;
	sw_port_set_storm_limit(&d->sw, p, l->broadcast_limit);
	if (l->impair.on)
		swd_port_impair(d, p, &l->impair.cfg, l->impair.seeded);
	if (l->vlan.mode != VLAN_MODE_NONE)
		swd_port_vlan(d, p, &l->vlan);
}

/**
 * listener_port_prepare() - what a port of @l starts with, set before
 *			     sw_port_add(): its spanning-tree edge setting
 *			     and BPDU guard
 * @l:		the listener
 * @p:		the port, not added yet
 */
void listener_port_prepare(const struct listener *l, struct port *p)
{
	p->stp_nonedge = l->no_edge;
	p->bpdu_guard = l->bpdu_guard;
}

/* A reload changed @l's "edge" or "bpdu_guard": its ports get them. */
static void listener_restp(struct swd *d, struct listener *l,
			   const struct listener_settings *n)
{
	struct port *p;
	uint32_t i;

	if (l->no_edge == n->no_edge && l->bpdu_guard == n->bpdu_guard)
		return;
	if (l->no_edge != n->no_edge)
		reload_note(d, "%s: its ports are %s ports", l->url,
			    n->no_edge ? "normal spanning-tree" : "edge");
	if (l->bpdu_guard != n->bpdu_guard)
		reload_note(d, "%s: bpdu_guard %s", l->url,
			    n->bpdu_guard ? "on" : "off");
	l->no_edge = n->no_edge;
	l->bpdu_guard = n->bpdu_guard;
	port_foreach(&d->sw, p, i) {
		if (p->origin != l)
			continue;
		sw_port_set_edge(&d->sw, p, !n->no_edge);
		sw_port_set_bpdu_guard(&d->sw, p, n->bpdu_guard);
	}
}

/* A reload changed @l's VLAN mode: its ports get the new one. */
static void listener_revlan(struct swd *d, struct listener *l,
			    const struct vlan_cfg *n)
{
	char text[VLAN_TEXT_MAX];
	struct port *p;
	uint32_t i;

	if (vlan_cfg_same(&l->vlan, n))
		return;
	l->vlan = *n;
	port_foreach(&d->sw, p, i)
		if (p->origin == l)
			swd_port_vlan(d, p, n);
	vlan_cfg_format(n, text, sizeof(text));
	reload_note(d, "%s: VLAN mode %s for its ports", l->url, text);
}

/* A reload changed @l's "impair": its ports get the new settings. */
static void listener_reimpair(struct swd *d, struct listener *l,
			      const struct listen_impair *n)
{
	struct port *p;
	uint32_t i;

	if (!memcmp(&l->impair, n, sizeof(*n)))
		return;
	l->impair = *n;
	port_foreach(&d->sw, p, i)
		if (p->origin == l)
			swd_port_impair(d, p, n->on ? &n->cfg : NULL,
					n->seeded);
	reload_note(d, "%s: impairment changed for its ports", l->url);
}

/* A reload changed @l's "max_macs": its ports get the new limit (one
 * lowered below what a port holds keeps those entries until they age). */
static void listener_remacs(struct swd *d, struct listener *l, uint32_t n)
{
	struct port *p;
	uint32_t i;

	if (l->max_macs == n)
		return;
	l->max_macs = n;
	port_foreach(&d->sw, p, i)
		if (p->origin == l)
			p->mac_limit = n;
	if (n)
		reload_note(d, "%s: max_macs %u for its ports", l->url, n);
	else
		reload_note(d, "%s: no max_macs for its ports", l->url);
}

/* A reload changed @l's "broadcast_limit": its ports get the new limit,
 * each with a full bucket (one that keeps its limit keeps its bucket). */
static void listener_restorm(struct swd *d, struct listener *l, uint32_t n)
{
	struct port *p;
	uint32_t i;

	if (l->broadcast_limit == n)
		return;
	l->broadcast_limit = n;
	port_foreach(&d->sw, p, i)
		if (p->origin == l)
			sw_port_set_storm_limit(&d->sw, p, n);
	if (n)
		reload_note(d, "%s: broadcast_limit %u/s for its ports", l->url,
			    n);
	else
		reload_note(d, "%s: no broadcast_limit for its ports", l->url);
}

/**
 * listener_uid_allowed() - is @uid one of the users @u lets in
 * @u:		the allow list
 * @uid:	the peer's user
 *
 * The switch's own (effective) uid and root always are: root can reach
 * the switch anyway, and the switch's own user is the usual guest.
 *
 * Return: true if @uid may attach
 */
bool listener_uid_allowed(const struct listen_uids *u, uid_t uid)
{
	size_t i;

	if (u->any || uid == 0 || uid == geteuid())
		return true;
	for (i = 0; i < u->n; i++)
		if (u->uid[i] == uid)
			return true;
	return false;
}

/**
 * listener_who_always() - who may always attach, for refusal messages
 * @who:	"root", or "uid 1000 (the switch's) and root"
 * @len:	size of @who
 */
void listener_who_always(char *who, size_t len)
{
	if (geteuid() == 0)
		snprintf(who, len, "root");
	else
		snprintf(who, len, "uid %u (the switch's) and root",
			 (unsigned)geteuid());
}

/* Is @gid, or one of the peer's supplementary groups (SO_PEERGROUPS, the
 * groups it had when it connected), in "allow_gids"? */
static bool listener_gid_allowed(const struct listen_uids *u, int fd, gid_t gid)
{
	gid_t groups[LISTENER_PEER_GROUPS];
	socklen_t len = sizeof(groups);
	size_t i, j, n = 0;

	if (!u->ngid)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		n = len / sizeof(groups[0]);
	for (i = 0; i < u->ngid; i++) {
		if (u->gid[i] == gid)
			return true;
		for (j = 0; j < n; j++)
			if (u->gid[i] == groups[j])
				return true;
	}
	return false;
}

/**
 * listener_refuse() - close a connection that cannot become a port
 * @d:		the daemon
 * @l:		the listener that accepted it
 * @fd:		the connection, closed here
 * @peer:	who it was, for the log
 * @why:	why it is refused
 *
 * Counted in @l->refused and logged, rate-limited (log_ratelimit_ok()),
 * so that a peer that keeps connecting cannot flood the log.
 */
void listener_refuse(struct swd *d, struct listener *l, int fd,
		     const char *peer, const char *why)
{
	uint64_t held;

	close(fd);
	l->refused++;
	if (!log_ratelimit_ok(&l->rl_refuse, d->now_ms, LOG_BURST, &held))
		return;
	if (held)
		log_warnx("%s: refusing %s: %s (%u attached; %" PRIu64
			  " more refused, not logged)",
			  l->url, peer, why, d->sw.nports, held);
	else
		log_warnx("%s: refusing %s: %s (%u attached)", l->url, peer,
			  why, d->sw.nports);
}

/**
 * listener_peer_check() - may the peer of a unix: or vde: connection attach
 * @l:		the listener
 * @fd:		the accepted connection
 * @why:	on refusal, why (with the fix)
 * @len:	size of @why
 *
 * Without "allow_uids" and "allow_gids" anyone who can open the socket
 * file may. With them, the peer's credentials from connect() time
 * (SO_PEERCRED, SO_PEERGROUPS) must match: the switch's uid, root, a
 * user of allow_uids, or a group of allow_gids (primary or
 * supplementary). A refusal is counted in @l->peers_refused; the caller
 * closes @fd and logs @why (rate-limited).
 *
 * Return: 0 if the peer may attach, -EACCES if not
 */
int listener_peer_check(struct listener *l, int fd, char *why, size_t len)
{
	const struct listen_uids *u = &l->peers;
	socklen_t clen = sizeof(struct ucred);
	struct ucred cr;
	char who[48];

	if (!u->given)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &clen) < 0) {
		snprintf(why, len,
			 "cannot tell which user it is (SO_PEERCRED: %s)",
			 strerror(errno));
		goto refused;
	}
	if (listener_uid_allowed(u, cr.uid) ||
	    listener_gid_allowed(u, fd, cr.gid))
		return 0;
	listener_who_always(who, sizeof(who));
	snprintf(
		why, len,
		"uid %u gid %u may not attach (allowed: %s%s%s); add \"allow_uids\": [%u] or one of its groups to \"allow_gids\" on this listener in the config",
		(unsigned)cr.uid, (unsigned)cr.gid, who,
		u->n ? ", allow_uids" : "", u->ngid ? ", allow_gids" : "",
		(unsigned)cr.uid);
refused:
	l->peers_refused++;
	return -EACCES;
}

/* ---- reload: allow lists ------------------------------------------------ */

/* Do two allow lists say the same (in the same order)? */
static bool uids_same(const struct listen_uids *a, const struct listen_uids *b)
{
	return a->any == b->any && a->given == b->given && a->n == b->n &&
	       a->ngid == b->ngid &&
	       !memcmp(a->uid, b->uid, a->n * sizeof(a->uid[0])) &&
	       !memcmp(a->gid, b->gid, a->ngid * sizeof(a->gid[0]));
}

/* "[1000,1001]": @n ids into @out. */
static void ids_format(char *out, size_t size, const unsigned *ids, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%u", i ? "," : "",
				      ids[i]);
}

/* A reload changed who may attach to @l: from now on (connections
 * already attached stay), and the summary says so. */
static void listener_repeers(struct swd *d, struct listener *l,
			     const struct listen_uids *n)
{
	char uids[LISTEN_UIDS_MAX * 11 + 1], gids[LISTEN_UIDS_MAX * 11 + 1];
	unsigned ids[LISTEN_UIDS_MAX];
	size_t i;

	if (uids_same(&l->peers, n))
		return;
	l->peers = *n;
	if (n->any) {
		reload_note(d, "%s allow_any_uid", l->url);
		return;
	}
	if (!n->given && l->want.kind != LISTEN_TCP) {
		reload_note(d, "%s: any user who can open it may attach",
			    l->url);
		return;
	}
	for (i = 0; i < n->n; i++)
		ids[i] = (unsigned)n->uid[i];
	ids_format(uids, sizeof(uids), ids, n->n);
	for (i = 0; i < n->ngid; i++)
		ids[i] = (unsigned)n->gid[i];
	ids_format(gids, sizeof(gids), ids, n->ngid);
	if (n->ngid)
		reload_note(d, "%s allow_uids [%s] allow_gids [%s]", l->url,
			    uids, gids);
	else
		reload_note(d, "%s allow_uids [%s]", l->url, uids);
}

/**
 * listener_log_stats() - log the listener-level counters (SIGUSR1)
 * @d:		the daemon
 */
void listener_log_stats(const struct swd *d)
{
	const struct listener *l;

	listener_foreach(d, l) if (l->ops->log_stats) l->ops->log_stats(l);
}

/**
 * listener_reload_perms() - give a listener's socket file its new mode and
 *			     group (for the kinds' reload op)
 * @d:		the daemon
 * @path:	the listener's socket file
 * @o:		settings in force
 * @n:		settings to apply
 * @url:	the listener as configured, for the summary
 */
void listener_reload_perms(struct swd *d, const char *path,
			   const struct listener_settings *o,
			   const struct listener_settings *n, const char *url)
{
	if (o->mode != n->mode) {
		if (chmod(path, (mode_t)n->mode) < 0)
			log_warn("reload: cannot chmod %s to %04o", path,
				 n->mode);
		else
			reload_note(d, "%s mode %04o", url, n->mode);
	}
	if (o->group != n->group && n->group != CONFIG_GID_UNSET) {
		if (chown(path, (uid_t)-1, n->group) < 0)
			log_warn("reload: cannot give %s to group %u", path,
				 (unsigned)n->group);
		else
			reload_note(d, "%s group %u", url, (unsigned)n->group);
	}
}

/* ---- reload ------------------------------------------------------------- */

static const struct listen_cfg *cfg_find(const struct swd_config *c,
					 const struct listen_addr *a)
{
	size_t i;

	for (i = 0; i < c->nlisten; i++)
		if (listen_addr_same(&c->listen[i].addr, a))
			return &c->listen[i];
	return NULL;
}

/**
 * listeners_abort() - close the listeners a reload's prepare opened
 * @d:		the daemon
 * @newc:	the config that was to be applied
 * @opaque:	unused
 */
static void listeners_abort(struct swd *d, const struct swd_config *newc,
			    void *opaque)
{
	struct listener *l;
	size_t i;

	(void)opaque;
	for (i = 0; i < newc->nlisten; i++) {
		l = listener_find(d, &newc->listen[i].addr);
		if (l && l->fresh)
			listener_close(d, l);
	}
}

/**
 * listeners_prepare() - open the listeners @newc adds
 * @d:		the daemon
 * @newc:	the config to apply
 * @err:	on failure, which listener
 * @errlen:	size of @err
 * @opaque:	unused
 *
 * Return: 0, or -EADDRNOTAVAIL (the ones opened are closed again)
 */
static int listeners_prepare(struct swd *d, const struct swd_config *newc,
			     char *err, size_t errlen, void *opaque)
{
	const struct listen_cfg *lc;
	struct listener *l;
	size_t i;

	for (i = 0; i < newc->nlisten; i++) {
		lc = &newc->listen[i];
		if (listener_find(d, &lc->addr))
			continue;
		if (listener_start(d, newc, lc, &l) < 0) {
			snprintf(err, errlen, "cannot listen on %s", lc->url);
			listeners_abort(d, newc, opaque);
			return -EADDRNOTAVAIL;
		}
		l->fresh = true;
	}
	return 0;
}

/**
 * listeners_commit() - close the listeners @newc drops, give the others
 *			their new settings, say what changed
 * @d:		the daemon
 * @oldc:	the config in force
 * @newc:	the config applied
 * @opaque:	unused
 */
static void listeners_commit(struct swd *d, const struct swd_config *oldc,
			     const struct swd_config *newc, void *opaque)
{
	struct listener_settings os, ns;
	const struct listen_cfg *lc;
	struct listener *l;
	size_t i;

	(void)opaque;
	for (i = 0; i < oldc->nlisten; i++) {
		l = listener_find(d, &oldc->listen[i].addr);
		lc = cfg_find(newc, &oldc->listen[i].addr);
		if (!lc) {
			listener_close(d, l);
			reload_note(d, "stopped listening on %s",
				    oldc->listen[i].url);
			continue;
		}
		if (!l)
			continue;
		listener_settings_of(oldc, &oldc->listen[i], &os);
		listener_settings_of(newc, lc, &ns);
		listener_reimpair(d, l, &ns.impair);
		listener_remacs(d, l, ns.max_macs);
		listener_restorm(d, l, ns.broadcast_limit);
		listener_repeers(d, l, &ns.uids);
		listener_revlan(d, l, &ns.vlan);
		listener_restp(d, l, &ns);
		if (l->ops->reload)
			l->ops->reload(l, &os, &ns, lc->url);
	}
	for (i = 0; i < newc->nlisten; i++) {
		l = listener_find(d, &newc->listen[i].addr);
		if (l && l->fresh) {
			l->fresh = false;
			reload_note(d, "listening on %s", newc->listen[i].url);
		}
	}
	if (oldc->dgram_idle_s != newc->dgram_idle_s)
		reload_note(d, "dgram_idle %u -> %u",
			    (unsigned)oldc->dgram_idle_s,
			    (unsigned)newc->dgram_idle_s);
}

static const struct reload_hook listeners_hook = {
	.name = "listen",
	.prepare = listeners_prepare,
	.commit = listeners_commit,
	.abort = listeners_abort,
};

/**
 * listeners_register() - take part in every reload: open, close and
 *			  update listeners as the new config says
 * @d:		the daemon
 *
 * Register it before the other reload hooks: new listeners are opened
 * first, and their changes lead the reload's summary.
 *
 * Return: 0 on success, -ENOMEM or -ENOSPC
 */
int listeners_register(struct swd *d)
{
	return reload_hook_add(d, &listeners_hook);
}
