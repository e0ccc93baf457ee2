// SPDX-License-Identifier: MIT
/*
 * slirp_limit.c - bounds on the host sockets a slirp uplink opens for guests
 *
 * DOC: Theory of Operation
 * libslirp (4.7) opens its host sockets synchronously, inside
 * slirp_input(): a TCP SYN for a connection it does not know is connect()ed
 * at once, a UDP datagram from a guest address and port it has no socket
 * for gets one, and a ping to anything but slirp's own addresses gets a
 * ping socket. It tells its embedder about each with register_poll_fd and
 * about each close with unregister_poll_fd. So:
 *
 * - Counting is exact: every registered descriptor is a socket, charged to
 *   the guest whose frame was being input at that moment (a guest is a
 *   source MAC address), or to nobody when it was opened outside a guest's
 *   frame (a port forward accepting a connection): those count toward the
 *   uplink's total only. An unregister gives the socket back.
 * - Admission is decided before the frame goes in, from its headers: a
 *   frame that could open a socket (a TCP SYN without ACK of a connection
 *   with no socket yet, a UDP datagram from a guest address and port with
 *   no socket yet, a ping, a fragment, whose headers cannot be seen) is
 *   refused when the uplink holds @conn_max sockets, when its guest holds
 *   @guest_max, or (a SYN) when its guest has @half_open_max connects in
 *   progress. DHCP, TFTP and pings to slirp itself open nothing and always
 *   pass, so a new guest still gets its lease.
 * - Half-open: a TCP socket starts half-open; libslirp answers the guest's
 *   SYN only once the host connect() completed, so the SYN+ACK it sends is
 *   where the connection stops being half-open (or the close, before it).
 *
 * Tables: sockets by descriptor (an array grown to the highest descriptor
 * registered, which the bounds keep near their count), TCP and UDP sockets
 * also in a chained hash by flow, guests in a chained hash by MAC (a
 * guest's slot is freed with its last socket, so there are never more
 * guests than sockets). Hashes are keyed per uplink.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "transport/slirp_limit.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define BOOTP_SERVER 67
#define TFTP_SERVER 69
#define DHCPV6_SERVER 547
#define ICMP_ECHO 8
#define IPV6_NH_FRAGMENT 44
#define BUCKETS_MIN 64

const char *const slirp_refusal_name[SLIRP_REFUSED__MAX] = {
	[SLIRP_REFUSED_CONN_MAX] = "conn_max",
	[SLIRP_REFUSED_CONN_MAX_GUEST] = "conn_max_guest",
	[SLIRP_REFUSED_HALF_OPEN] = "half_open_max_guest",
};

/**
 * struct pkt - the headers of an Ethernet frame that matter here
 * @proto:	IP protocol, 0 if not IPv4/IPv6 or unreadable
 * @v6:		IPv6
 * @frag:	an IP fragment (its transport header may be missing)
 * @l3:		offset of the IP header
 * @l4:		offset of the transport header
 * @l4len:	bytes from @l4 to the end of the IP packet
 * @src:	source address (4 or 16 bytes in the frame)
 * @dst:	destination address
 * @sport:	source port (network order)
 * @dport:	destination port (network order)
 * @flags:	TCP flags
 * @type:	ICMP type
 */
struct pkt {
	uint8_t proto;
	bool v6, frag;
	size_t l3, l4, l4len;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint8_t flags, type;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static bool parse_ip4(const uint8_t *f, size_t len, struct pkt *k)
{
	const uint8_t *ip = f + ETH_HLEN;
	size_t ihl, total;

	if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = be16(ip + 2);
	if (ihl < 20 || total < ihl || ETH_HLEN + ihl > len)
		return false;
	if (ETH_HLEN + total > len)
		total = len - ETH_HLEN;
	k->proto = ip[9];
	k->frag = (be16(ip + 6) & 0x3fff) != 0; /* MF or an offset */
	k->l4 = ETH_HLEN + ihl;
	k->l4len = total - ihl;
	k->src = ip + 12;
	k->dst = ip + 16;
	return true;
}

static bool parse_ip6(const uint8_t *f, size_t len, struct pkt *k)
{
	const uint8_t *ip = f + ETH_HLEN;
	size_t plen;

	if (len < ETH_HLEN + 40 || (ip[0] >> 4) != 6)
		return false;
	plen = be16(ip + 4);
	if (ETH_HLEN + 40 + plen > len)
		plen = len - ETH_HLEN - 40;
	k->v6 = true;
	k->proto = ip[6];
	k->frag = k->proto == IPV6_NH_FRAGMENT;
	k->l4 = ETH_HLEN + 40;
	k->l4len = plen;
	k->src = ip + 8;
	k->dst = ip + 24;
	return true;
}

/* Fill @k from @f; false if it is no IP packet whose headers can be read
 * (libslirp then opens nothing for it either). */
static bool pkt_parse(const uint8_t *f, size_t len, struct pkt *k)
{
	const uint8_t *l4;

	memset(k, 0, sizeof(*k));
	if (len < ETH_HLEN)
		return false;
	k->l3 = ETH_HLEN;
	if (be16(f + 12) == ETHERTYPE_IPV4) {
		if (!parse_ip4(f, len, k))
			return false;
	} else if (be16(f + 12) == ETHERTYPE_IPV6) {
		if (!parse_ip6(f, len, k))
			return false;
	} else {
		return false;
	}
	if (k->frag)
		return true;
	l4 = f + k->l4;
	if ((k->proto == IPPROTO_TCP && k->l4len >= 20) ||
	    (k->proto == IPPROTO_UDP && k->l4len >= 8)) {
		memcpy(&k->sport, l4, 2);
		memcpy(&k->dport, l4 + 2, 2);
		if (k->proto == IPPROTO_TCP)
			k->flags = l4[13];
	} else if ((k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) &&
		   k->l4len >= 1) {
		k->type = l4[0];
	} else {
		k->proto = 0;
	}
	return true;
}

static void addr_put(uint8_t out[16], const uint8_t *a, bool v6)
{
	if (v6) {
		memcpy(out, a, 16);
		return;
	}
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a, 4);
}

static uint32_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

/**
 * slirp_limit_init() - no sockets, no guests, no bounds yet
 * @l:		the state
 * @seed:	hash key (random per uplink)
 *
 * The caller sets @conn_max, @guest_max, @half_open_max and slirp's
 * addresses before the first frame.
 */
void slirp_limit_init(struct slirp_limit *l, uint64_t seed)
{
	memset(l, 0, sizeof(*l));
	l->seed = seed;
	l->gfree = -1;
}

/**
 * slirp_limit_forget() - drop every socket and guest, keep the counters
 * @l:		the state
 *
 * For after slirp_cleanup(): the instance and its sockets are gone.
 */
void slirp_limit_forget(struct slirp_limit *l)
{
	free(l->sock);
	free(l->sbucket);
	free(l->guest);
	free(l->gbucket);
	l->sock = NULL;
	l->sbucket = NULL;
	l->guest = NULL;
	l->gbucket = NULL;
	l->nsock = l->snb = l->nhashed = l->nguest = l->gnb = l->lost = 0;
	l->gfree = -1;
	l->st.socks = l->st.half_open = l->st.guests = l->st.outside = 0;
	l->in_input = false;
}

/**
 * slirp_limit_fini() - free the tables
 * @l:		the state
 */
void slirp_limit_fini(struct slirp_limit *l)
{
	slirp_limit_forget(l);
}

/* ---- the flow hash ---------------------------------------------------- */

static uint32_t flow_bucket(const struct slirp_limit *l,
			    const struct slirp_flow *k)
{
	return hash_bytes(l->seed, k, sizeof(*k)) & (l->snb - 1);
}

static int32_t flow_find(const struct slirp_limit *l,
			 const struct slirp_flow *k)
{
	int32_t fd;

	if (!l->snb)
		return -1;
	for (fd = l->sbucket[flow_bucket(l, k)]; fd >= 0; fd = l->sock[fd].next)
		if (!memcmp(&l->sock[fd].flow, k, sizeof(*k)))
			return fd;
	return -1;
}

static void flow_link(struct slirp_limit *l, int32_t fd)
{
	uint32_t b = flow_bucket(l, &l->sock[fd].flow);

	l->sock[fd].next = l->sbucket[b];
	l->sbucket[b] = fd;
}

/* Keep at least as many buckets as hashed sockets. */
static int flow_room(struct slirp_limit *l)
{
	uint32_t nb = l->snb ? l->snb : BUCKETS_MIN, i;
	int32_t *nbk;

	while (nb <= l->nhashed)
		nb *= 2;
	if (nb == l->snb)
		return 0;
	nbk = malloc(nb * sizeof(*nbk));
	if (!nbk)
		return -1;
	free(l->sbucket);
	l->sbucket = nbk;
	l->snb = nb;
	for (i = 0; i < nb; i++)
		nbk[i] = -1;
	for (i = 0; i < l->nsock; i++)
		if (l->sock[i].used && l->sock[i].hashed)
			flow_link(l, (int32_t)i);
	return 0;
}

static void flow_unlink(struct slirp_limit *l, int32_t fd)
{
	int32_t *pp = &l->sbucket[flow_bucket(l, &l->sock[fd].flow)];

	while (*pp >= 0 && *pp != fd)
		pp = &l->sock[*pp].next;
	if (*pp == fd)
		*pp = l->sock[fd].next;
	l->nhashed--;
}

/* ---- guests ----------------------------------------------------------- */

static uint32_t guest_bucket(const struct slirp_limit *l, const uint8_t *mac)
{
	return hash_bytes(l->seed, mac, 6) & (l->gnb - 1);
}

static int32_t guest_find(const struct slirp_limit *l, const uint8_t *mac)
{
	int32_t g;

	if (!l->gnb)
		return -1;
	for (g = l->gbucket[guest_bucket(l, mac)]; g >= 0; g = l->guest[g].next)
		if (!memcmp(l->guest[g].mac, mac, 6))
			return g;
	return -1;
}

/* Double the slots and the buckets, rehash. */
static int guest_grow(struct slirp_limit *l)
{
	uint32_t n = l->nguest ? l->nguest * 2 : BUCKETS_MIN, i;
	struct slirp_lguest *ng = realloc(l->guest, n * sizeof(*ng));
	int32_t *nb;

	if (!ng)
		return -1;
	l->guest = ng;
	nb = malloc(n * sizeof(*nb));
	if (!nb)
		return -1;
	free(l->gbucket);
	l->gbucket = nb;
	l->gnb = n;
	for (i = 0; i < n; i++)
		nb[i] = -1;
	l->gfree = -1;
	for (i = n; i-- > 0;) {
		struct slirp_lguest *g = &ng[i];

		if (i >= l->nguest)
			memset(g, 0, sizeof(*g));
		if (g->used) {
			uint32_t b = guest_bucket(l, g->mac);

			g->next = nb[b];
			nb[b] = (int32_t)i;
		} else {
			g->next = l->gfree;
			l->gfree = (int32_t)i;
		}
	}
	l->nguest = n;
	return 0;
}

static int32_t guest_get(struct slirp_limit *l, const uint8_t *mac)
{
	int32_t g = guest_find(l, mac);
	uint32_t b;

	if (g >= 0)
		return g;
	if (l->gfree < 0 && guest_grow(l) < 0)
		return -1;
	g = l->gfree;
	l->gfree = l->guest[g].next;
	memset(&l->guest[g], 0, sizeof(l->guest[g]));
	memcpy(l->guest[g].mac, mac, 6);
	l->guest[g].used = true;
	b = guest_bucket(l, mac);
	l->guest[g].next = l->gbucket[b];
	l->gbucket[b] = g;
	l->st.guests++;
	return g;
}

static void guest_put(struct slirp_limit *l, int32_t g)
{
	int32_t *pp = &l->gbucket[guest_bucket(l, l->guest[g].mac)];

	while (*pp >= 0 && *pp != g)
		pp = &l->guest[*pp].next;
	if (*pp == g)
		*pp = l->guest[g].next;
	l->guest[g].used = false;
	l->guest[g].next = l->gfree;
	l->gfree = g;
	l->st.guests--;
}

/* ---- admission -------------------------------------------------------- */

/* Could libslirp 4.7 open a host socket for this frame from a guest?
 * Fills @fl (and says whether it is looked up in the flow hash). */
static bool may_open(const struct slirp_limit *l, const struct pkt *k,
		     struct slirp_flow *fl, bool *hashed, const char **what)
{
	static const uint8_t dhcp6_mc[16] = { 0xff, 2, [13] = 1, [15] = 2 };
	uint16_t dport = ntohs(k->dport);
	bool to_host = k->v6 ? !memcmp(k->dst, &l->host6, 16)
			     : !memcmp(k->dst, &l->host, 4);

	memset(fl, 0, sizeof(*fl));
	*hashed = false;
	addr_put(fl->gaddr, k->src, k->v6);
	if (k->frag && (k->v6 || k->proto == IPPROTO_TCP ||
			k->proto == IPPROTO_UDP || k->proto == IPPROTO_ICMP)) {
		*what = "a fragment";
		return true;
	}
	fl->proto = k->proto;
	switch (k->proto) {
	case IPPROTO_TCP:
		if (!(k->flags & TCP_SYN) || (k->flags & TCP_ACK))
			return false;
		fl->gport = k->sport;
		fl->fport = k->dport;
		addr_put(fl->faddr, k->dst, k->v6);
		*hashed = true;
		*what = "a TCP connection";
		return true;
	case IPPROTO_UDP:
		/* libslirp answers these itself */
		if (!k->v6 && ((dport == BOOTP_SERVER &&
				(to_host || be32(k->dst) == 0xffffffffu)) ||
			       (dport == TFTP_SERVER && to_host)))
			return false;
		if (k->v6 && ((dport == DHCPV6_SERVER &&
			       (to_host || !memcmp(k->dst, dhcp6_mc, 16))) ||
			      (dport == TFTP_SERVER && to_host)))
			return false;
		fl->gport = k->sport;
		*hashed = true;
		*what = "a UDP flow";
		return true;
	case IPPROTO_ICMP:
		/* a ping to slirp or its DNS address is answered in place */
		if (k->type != ICMP_ECHO || to_host ||
		    !memcmp(k->dst, &l->dns, 4))
			return false;
		addr_put(fl->faddr, k->dst, false);
		*what = "a ping";
		return true;
	default:
		return false;
	}
}

/* The reason to refuse one more socket to guest @g (-1: none yet). */
static int refusal(const struct slirp_limit *l, int32_t g, bool syn)
{
	if (l->st.socks >= l->conn_max)
		return SLIRP_REFUSED_CONN_MAX;
	if (g < 0)
		return SLIRP_ADMIT;
	if (l->guest[g].socks >= l->guest_max)
		return SLIRP_REFUSED_CONN_MAX_GUEST;
	if (syn && l->guest[g].half_open >= l->half_open_max)
		return SLIRP_REFUSED_HALF_OPEN;
	return SLIRP_ADMIT;
}

/**
 * slirp_limit_admit() - may this frame from a guest go into libslirp?
 * @l:		the state
 * @f:		the Ethernet frame
 * @len:	its length
 * @what:	set to what it would open ("a TCP connection"...), for the
 *		message when refused
 *
 * A frame that opens no host socket is always let in. After an admitted
 * frame, the caller runs slirp_input() and then slirp_limit_input_done();
 * sockets registered in between are the frame's guest's.
 *
 * Return: SLIRP_ADMIT, or the enum slirp_refusal (counted) to drop it
 */
int slirp_limit_admit(struct slirp_limit *l, const uint8_t *f, size_t len,
		      const char **what)
{
	struct slirp_flow fl;
	struct pkt k;
	bool hashed = false, opens;
	int r;

	*what = "nothing";
	opens = pkt_parse(f, len, &k) && may_open(l, &k, &fl, &hashed, what);
	if (opens && !(hashed && flow_find(l, &fl) >= 0)) {
		r = refusal(l, guest_find(l, f + 6),
			    fl.proto == IPPROTO_TCP && hashed);
		if (r != SLIRP_ADMIT) {
			l->st.refused[r]++;
			return r;
		}
	}
	l->in_input = true;
	memcpy(l->cur_mac, f + 6, 6);
	if (opens)
		l->cur = fl;
	else
		memset(&l->cur, 0, sizeof(l->cur));
	l->cur_syn = opens && hashed && fl.proto == IPPROTO_TCP;
	l->cur_hash = opens && hashed;
	return SLIRP_ADMIT;
}

/**
 * slirp_limit_input_done() - slirp_input() returned
 * @l:		the state
 */
void slirp_limit_input_done(struct slirp_limit *l)
{
	l->in_input = false;
}

/* ---- libslirp's sockets ----------------------------------------------- */

static int sock_room(struct slirp_limit *l, int fd)
{
	uint32_t n = l->nsock ? l->nsock : BUCKETS_MIN, i;
	struct slirp_lsock *ns;

	while (n <= (uint32_t)fd)
		n *= 2;
	if (n == l->nsock)
		return 0;
	ns = realloc(l->sock, n * sizeof(*ns));
	if (!ns)
		return -1;
	for (i = l->nsock; i < n; i++)
		memset(&ns[i], 0, sizeof(ns[i]));
	l->sock = ns;
	l->nsock = n;
	return 0;
}

/**
 * slirp_limit_register() - libslirp opened host socket @fd
 * @l:		the state
 * @fd:		its descriptor
 *
 * Charged to the guest whose frame is being input, if any.
 */
void slirp_limit_register(struct slirp_limit *l, int fd)
{
	struct slirp_lsock *s;
	int32_t g = -1;

	if (fd < 0)
		return;
	if ((uint32_t)fd < l->nsock && l->sock[fd].used)
		slirp_limit_unregister(l, fd); /* not closed through us */
	if (sock_room(l, fd) < 0 ||
	    (l->in_input && (g = guest_get(l, l->cur_mac)) < 0)) {
		l->lost++;
		goto count;
	}
	s = &l->sock[fd];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->guest = g;
	s->next = -1;
	if (g < 0) {
		l->st.outside++;
		goto count;
	}
	s->flow = l->cur;
	l->guest[g].socks++;
	if (l->cur_syn) {
		s->half_open = true;
		l->guest[g].half_open++;
		l->st.half_open++;
	}
	if (l->cur_hash) {
		l->nhashed++;
		if (flow_room(l) == 0) {
			s->hashed = true;
			flow_link(l, fd);
		} else {
			l->nhashed--;
		}
	}
count:
	l->st.socks++;
	if (l->st.socks > l->st.peak)
		l->st.peak = l->st.socks;
}

static void half_open_end(struct slirp_limit *l, struct slirp_lsock *s)
{
	if (!s->half_open)
		return;
	s->half_open = false;
	l->st.half_open--;
	if (s->guest >= 0)
		l->guest[s->guest].half_open--;
}

/**
 * slirp_limit_unregister() - libslirp is closing host socket @fd
 * @l:		the state
 * @fd:		its descriptor
 */
void slirp_limit_unregister(struct slirp_limit *l, int fd)
{
	struct slirp_lsock *s;

	if (fd < 0 || (uint32_t)fd >= l->nsock || !l->sock[fd].used) {
		if (fd >= 0 && l->lost) {
			l->lost--;
			l->st.socks--;
		}
		return;
	}
	s = &l->sock[fd];
	half_open_end(l, s);
	if (s->hashed)
		flow_unlink(l, fd);
	if (s->guest < 0) {
		l->st.outside--;
	} else if (--l->guest[s->guest].socks == 0) {
		guest_put(l, s->guest);
	}
	s->used = false;
	l->st.socks--;
}

/**
 * slirp_limit_output() - a frame libslirp sends to a guest
 * @l:		the state
 * @f:		the Ethernet frame
 * @len:	its length
 *
 * A SYN+ACK means the host connect() of that connection completed: it is
 * no longer half-open.
 */
void slirp_limit_output(struct slirp_limit *l, const uint8_t *f, size_t len)
{
	struct slirp_flow fl;
	struct pkt k;
	int32_t fd;

	if (!l->st.half_open || !pkt_parse(f, len, &k) || k.frag ||
	    k.proto != IPPROTO_TCP ||
	    (k.flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
		return;
	memset(&fl, 0, sizeof(fl));
	fl.proto = IPPROTO_TCP;
	fl.gport = k.dport;
	fl.fport = k.sport;
	addr_put(fl.gaddr, k.dst, k.v6);
	addr_put(fl.faddr, k.src, k.v6);
	fd = flow_find(l, &fl);
	if (fd >= 0)
		half_open_end(l, &l->sock[fd]);
}

/* ---- a reset for a refused connection --------------------------------- */

static uint32_t sum_bytes(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t sum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/**
 * slirp_limit_rst() - the RST+ACK that refuses a guest's SYN
 * @syn:	the guest's frame (a TCP SYN, IPv4 or IPv6, not a fragment)
 * @len:	its length
 * @out:	the reset, addressed back to the guest as if from the peer
 * @cap:	size of @out (SLIRP_RST_LEN is enough)
 *
 * The guest's connect() then fails at once ("connection refused") instead
 * of retrying its SYN for minutes.
 *
 * Return: length of the frame in @out, or 0 if @syn is no such SYN
 */
size_t slirp_limit_rst(const uint8_t *syn, size_t len, uint8_t *out, size_t cap)
{
	const uint8_t *tcp;
	size_t alen, ip_len, n, doff;
	uint8_t *ip, *th;
	struct pkt k;
	uint32_t s;

	if (!pkt_parse(syn, len, &k) || k.frag || k.proto != IPPROTO_TCP ||
	    !(k.flags & TCP_SYN) || (k.flags & (TCP_ACK | TCP_RST)))
		return 0;
	alen = k.v6 ? 16 : 4;
	ip_len = k.v6 ? 40 : 20;
	n = ETH_HLEN + ip_len + 20;
	if (cap < n)
		return 0;
	tcp = syn + k.l4;
	doff = (size_t)(tcp[12] >> 4) * 4;
	memset(out, 0, n);
	memcpy(out, syn + 6, 6);
	memcpy(out + 6, syn, 6);
	memcpy(out + 12, syn + 12, 2);
	ip = out + ETH_HLEN;
	if (k.v6) {
		ip[0] = 0x60;
		put16(ip + 4, 20);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, k.dst, 16);
		memcpy(ip + 24, k.src, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 40);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, k.dst, 4);
		memcpy(ip + 16, k.src, 4);
		put16(ip + 10, sum_fold(sum_bytes(0, ip, 20)));
	}
	th = ip + ip_len;
	memcpy(th, tcp + 2, 2);
	memcpy(th + 2, tcp, 2);
	/* ACK what the SYN took: the SYN itself, its data and a FIN */
	put32(th + 8, be32(tcp + 4) + 1 +
			      (uint32_t)(doff <= k.l4len ? k.l4len - doff : 0) +
			      (k.flags & TCP_FIN ? 1 : 0));
	th[12] = 5 << 4;
	th[13] = TCP_RST | TCP_ACK;
	s = sum_bytes(0, ip + (k.v6 ? 8 : 12), 2 * alen);
	s += IPPROTO_TCP + 20;
	put16(th + 16, sum_fold(sum_bytes(s, th, 20)));
	return n;
}
