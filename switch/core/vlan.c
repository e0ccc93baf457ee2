// SPDX-License-Identifier: MIT
/*
 * vlan.c - port VLAN modes: classification, egress tagging, member lists
 *
 * DOC: Theory of Operation
 * A port without a mode (p->vlan NULL) carries every VLAN and its frames
 * as they are: untagged frames are VLAN 0, a tagged frame keeps its tag.
 * While no port has a mode the switch has no VLAN state at all (sw->vlan
 * NULL) and forwards exactly as before.
 *
 * Ingress (vlan_classify()): a port with a mode puts each frame in one
 * VLAN or drops it with a reason: an access port takes untagged and
 * priority-tagged (VID 0) frames into its VLAN and drops tagged ones
 * (rx_vlan_tagged); a trunk takes tagged frames of its VLANs
 * (rx_vlan_not_allowed otherwise) and untagged ones into its native VLAN
 * (rx_vlan_untagged without one). Tags it cannot stand for (VID 4095, a
 * second tag, an 802.1ad outer tag, a tag cut short) are rx_vlan_bad.
 * The frame is then learned and looked up under that VLAN; learning
 * ignores a multicast or all-zero source, which on a port with a mode
 * drops the frame as rx_bad_src (sw_learn(); the source is not tested
 * twice per frame).
 *
 * Flooding: sw->vlan->any lists the up ports without a mode, and vl[V]
 * the up ports with a mode that carry V, so a flood in V visits exactly
 * the ports of V. Both are kept by sw_vlan_port_up(), called from the one
 * writer of p->up, and by sw_port_set_vlan(); vl[V] has room reserved
 * for every attached port that carries V, so listing a port never
 * allocates. Only VLANs some port carries have a list.
 *
 * Egress (vlan_egress()): an access port and a trunk's native VLAN get
 * the frame untagged, a trunk's other VLANs tagged, a port without a mode
 * tagged unless it is VLAN 0. A frame is queued as it came when that is
 * already the form wanted; otherwise the one other form is built once per
 * frame (sw_vlan_retag()) in a scratch store that lives, like the receive
 * buffer, until sw_flush() has copied what the ports did not take. Frames
 * in queues are shared between ports, so they are never changed in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

#define VLAN_SCRATCH_CHUNK (64u * 1024)
#define ETH_MIN_LEN 60 /* an untagged frame shorter than this is padded */

/**
 * vlan_cfg_none() - no mode: every VLAN, frames as they are
 * @c:		filled in
 */
void vlan_cfg_none(struct vlan_cfg *c)
{
	memset(c, 0, sizeof(*c));
}

/**
 * vlan_cfg_access() - an access port of VLAN @vid
 * @c:		filled in
 * @vid:	the VLAN (vlan_cfg_check() refuses one outside 1..4094)
 */
void vlan_cfg_access(struct vlan_cfg *c, uint16_t vid)
{
	vlan_cfg_none(c);
	c->mode = VLAN_MODE_ACCESS;
	c->vid = vid;
	vlan_set(c->allowed, vid % VLAN_IDS);
}

/**
 * vlan_cfg_trunk() - a trunk carrying nothing yet, without native VLAN
 * @c:		filled in; add VLANs with vlan_set() or vlan_list_parse()
 *		and a native one in @c->vid (also set in @c->allowed)
 */
void vlan_cfg_trunk(struct vlan_cfg *c)
{
	vlan_cfg_none(c);
	c->mode = VLAN_MODE_TRUNK;
}

/**
 * vlan_cfg_check() - is @c a mode a port can have
 * @c:		the mode
 *
 * Return: NULL if so, else what is wrong, in words
 */
const char *vlan_cfg_check(const struct vlan_cfg *c)
{
	unsigned i, n = 0;

	switch (c->mode) {
	case VLAN_MODE_NONE:
		return NULL;
	case VLAN_MODE_ACCESS:
		if (c->vid < VLAN_VID_MIN || c->vid > VLAN_VID_MAX)
			return "VLAN must be 1..4094";
		return NULL;
	case VLAN_MODE_TRUNK:
		if (vlan_has(c->allowed, 0) ||
		    vlan_has(c->allowed, VLAN_IDS - 1))
			return "trunk VLANs must be 1..4094";
		for (i = 0; i < VLAN_WORDS; i++)
			n += (unsigned)__builtin_popcountll(c->allowed[i]);
		if (!n)
			return "trunk carries no VLAN";
		if (c->vid &&
		    (c->vid > VLAN_VID_MAX || !vlan_has(c->allowed, c->vid)))
			return "native VLAN is not in the trunk's list";
		return NULL;
	}
	return "unknown VLAN mode";
}

/**
 * vlan_cfg_same() - do two modes treat every frame alike
 * @a:		a mode, NULL for none
 * @b:		another, NULL for none
 *
 * Return: true if they are the same mode with the same VLANs
 */
bool vlan_cfg_same(const struct vlan_cfg *a, const struct vlan_cfg *b)
{
	bool an = !a || a->mode == VLAN_MODE_NONE;
	bool bn = !b || b->mode == VLAN_MODE_NONE;

	if (an || bn)
		return an == bn;
	return a->mode == b->mode && a->vid == b->vid &&
	       !memcmp(a->allowed, b->allowed, sizeof(a->allowed));
}

static int vlan_num(const char **s, unsigned *v)
{
	char *end;
	unsigned long n;

	if (**s < '0' || **s > '9')
		return -EINVAL;
	n = strtoul(*s, &end, 10);
	if (n > 65535)
		n = 65535;
	*v = (unsigned)n;
	*s = end;
	return 0;
}

/**
 * vlan_list_parse() - add "N", "A-B" items separated by @sep to a trunk
 * @c:		the trunk; the VLANs are set in @c->allowed
 * @s:		the text, e.g. "10,20-29" with @sep ','
 * @sep:	the separator between items
 * @err:	set to what is wrong on failure
 *
 * Return: 0, or -EINVAL (a VLAN outside 1..4094, a range that is empty or
 * reversed, an empty item or text that is not a number)
 */
int vlan_list_parse(struct vlan_cfg *c, const char *s, char sep,
		    const char **err)
{
	unsigned a, b, v;

	do {
		if (vlan_num(&s, &a) < 0) {
			*err = "expected a VLAN number or range A-B";
			return -EINVAL;
		}
		b = a;
		if (*s == '-') {
			s++;
			if (vlan_num(&s, &b) < 0) {
				*err = "range needs an end: A-B";
				return -EINVAL;
			}
		}
		if (a < VLAN_VID_MIN || a > VLAN_VID_MAX || b < VLAN_VID_MIN ||
		    b > VLAN_VID_MAX) {
			*err = "VLAN must be 1..4094";
			return -EINVAL;
		}
		if (b < a) {
			*err = "range is reversed (A-B needs A <= B)";
			return -EINVAL;
		}
		for (v = a; v <= b; v++)
			vlan_set(c->allowed, v);
		if (*s && *s != sep) {
			*err = "expected a VLAN number or range A-B";
			return -EINVAL;
		}
	} while (*s && *s++);
	return 0;
}

/**
 * vlan_mode_name() - "none", "access" or "trunk"
 * @m:		the mode
 */
const char *vlan_mode_name(enum vlan_mode m)
{
	switch (m) {
	case VLAN_MODE_ACCESS:
		return "access";
	case VLAN_MODE_TRUNK:
		return "trunk";
	default:
		return "none";
	}
}

/**
 * vlan_list_format() - the VLANs of @c as ranges: "10,20-29"
 * @c:		the mode
 * @buf:	the text, cut with "..." if it does not fit
 * @size:	its size (at least 4)
 * @sep:	separator between items
 *
 * Return: length of the text
 */
size_t vlan_list_format(const struct vlan_cfg *c, char *buf, size_t size,
			char sep)
{
	size_t n = 0;
	unsigned v = 0, end;
	int k;

	buf[0] = '\0';
	while (v < VLAN_IDS) {
		if (!vlan_has(c->allowed, v)) {
			v++;
			continue;
		}
		for (end = v;
		     end + 1 < VLAN_IDS && vlan_has(c->allowed, end + 1); end++)
			;
		k = end == v ? snprintf(buf + n, size - n, "%s%u",
					n ? (char[]){ sep, 0 } : "", v)
			     : snprintf(buf + n, size - n, "%s%u-%u",
					n ? (char[]){ sep, 0 } : "", v, end);
		if (k < 0 || (size_t)k >= size - n) {
			n = n + 4 < size ? n : size - 4;
			memcpy(buf + n, "...", 4);
			return n + 3;
		}
		n += (size_t)k;
		v = end + 1;
	}
	return n;
}

/**
 * vlan_cfg_format() - the mode as sockswitchctl takes it back
 * @c:		the mode, NULL for none
 * @buf:	"none", "access 10", "trunk 10,20-29 native 10"
 * @size:	its size (VLAN_TEXT_MAX is enough for short lists)
 *
 * Return: length of the text
 */
size_t vlan_cfg_format(const struct vlan_cfg *c, char *buf, size_t size)
{
	size_t n;

	if (!c || c->mode == VLAN_MODE_NONE)
		return (size_t)snprintf(buf, size, "none");
	if (c->mode == VLAN_MODE_ACCESS)
		return (size_t)snprintf(buf, size, "access %u", c->vid);
	n = (size_t)snprintf(buf, size, "trunk ");
	if (n >= size)
		return size - 1;
	n += vlan_list_format(c, buf + n, size - n, ',');
	if (c->vid && n < size)
		n += (size_t)snprintf(buf + n, size - n, " native %u", c->vid);
	return n < size ? n : size - 1;
}

/* Room for @n more ports in @l; 0 or -ENOMEM. */
static int vlan_list_grow(struct vlan_list *l, uint32_t n)
{
	struct port **np;
	uint32_t cap;

	if (l->cap >= n)
		return 0;
	cap = l->cap ? l->cap * 2 : 4;
	while (cap < n)
		cap *= 2;
	np = realloc(l->p, cap * sizeof(*np));
	if (!np)
		return -ENOMEM;
	l->p = np;
	l->cap = cap;
	return 0;
}

static void vlan_list_add(struct vlan_list *l, struct port *p)
{
	l->p[l->n++] = p;
}

/* Linear in the ports of one VLAN; only on a change of state or mode. */
static void vlan_list_del(struct port **list, uint32_t *n, struct port *p)
{
	uint32_t i;

	for (i = 0; i < *n; i++)
		if (list[i] == p) {
			list[i] = list[--*n];
			return;
		}
}

#define vlan_foreach(map, v, w)                                               \
	for ((w) = 0; (w) < VLAN_WORDS; (w)++)                                \
		for (uint64_t m_ = (map)[w];                                  \
		     m_ && ((v) = (w)*64 + (unsigned)__builtin_ctzll(m_), 1); \
		     m_ &= m_ - 1)

/**
 * sw_vlan_port_up() - list or unlist @p as a flood destination
 * @sw:		the switch, with VLAN state
 * @p:		the port, whose p->up changed to @up
 * @up:		its new state
 *
 * Context: called by the one writer of p->up; never allocates.
 */
void sw_vlan_port_up(struct sw *sw, struct port *p, bool up)
{
	struct sw_vlan *sv = sw->vlan;
	unsigned v, w;

	if (!p->vlan) {
		if (up)
			sv->any[sv->nany++] = p;
		else
			vlan_list_del(sv->any, &sv->nany, p);
		return;
	}
	vlan_foreach(p->vlan->allowed, v, w)
	{
		if (up)
			vlan_list_add(&sv->vl[v], p);
		else
			vlan_list_del(sv->vl[v].p, &sv->vl[v].n, p);
	}
}

/* The first port with a mode: every up port so far carries every VLAN. */
static struct sw_vlan *sw_vlan_new(struct sw *sw)
{
	struct sw_vlan *sv = calloc(1, sizeof(*sv));
	uint32_t i;

	if (!sv)
		return NULL;
	sv->any = calloc(SW_MAX_PORTS_LIMIT, sizeof(*sv->any));
	if (!sv->any) {
		free(sv);
		return NULL;
	}
	for (i = 0; i < sw->nflood; i++)
		sv->any[sv->nany++] = sw->flood[i];
	return sv;
}

/* Drop the reference of a mode's VLANs; free lists no port needs. */
static void vlan_unref(struct sw_vlan *sv, const struct vlan_cfg *c)
{
	unsigned v, w;

	vlan_foreach(c->allowed, v, w)
	{
		struct vlan_list *l = &sv->vl[v];

		if (--l->ref == 0) {
			free(l->p);
			memset(l, 0, sizeof(*l));
		}
	}
}

/* Take a reference on each VLAN of @c with room for one more port. */
static int vlan_ref(struct sw_vlan *sv, const struct vlan_cfg *c)
{
	unsigned v, w, u, x;

	vlan_foreach(c->allowed, v, w)
	{
		if (vlan_list_grow(&sv->vl[v], sv->vl[v].ref + 1) < 0)
			goto undo;
		sv->vl[v].ref++;
	}
	return 0;
undo:
	vlan_foreach(c->allowed, u, x)
	{
		if (u == v)
			return -ENOMEM;
		sv->vl[u].ref--;
	}
	return -ENOMEM;
}

/* Free the VLAN state once no port has a mode (nothing is listed then
 * but ports without a mode, and no copy is waiting for sw_flush()). */
static void sw_vlan_maybe_free(struct sw *sw)
{
	struct sw_vlan *sv = sw->vlan;

	if (!sv || sv->nmoded || sv->scratch)
		return;
	sw_vlan_fini(sw);
}

/**
 * sw_port_set_vlan() - give @p a VLAN mode, change it, or take it away
 * @sw:		the switch
 * @p:		an attached port
 * @c:		the mode (copied), NULL or VLAN_MODE_NONE for none
 *
 * The addresses learned on @p are forgotten: they were learned under
 * its old mode's VLANs.
 *
 * Return: 0, -EINVAL for a mode vlan_cfg_check() refuses, or -ENOMEM;
 * on failure nothing changed
 */
int sw_port_set_vlan(struct sw *sw, struct port *p, const struct vlan_cfg *c)
{
	struct vlan_cfg *nc = NULL;
	struct sw_vlan *sv = sw->vlan;
	bool fresh = false;

	if (c && c->mode == VLAN_MODE_NONE)
		c = NULL;
	if (c && vlan_cfg_check(c))
		return -EINVAL;
	if (vlan_cfg_same(p->vlan, c))
		return 0;
	if (c) {
		nc = malloc(sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		*nc = *c;
		if (!sv) {
			sv = sw->vlan = sw_vlan_new(sw);
			fresh = true;
		}
		if (!sv || vlan_ref(sv, nc) < 0) {
			free(nc);
			if (fresh)
				sw_vlan_maybe_free(sw);
			return -ENOMEM;
		}
	}
	if (p->up)
		sw_vlan_port_up(sw, p, false);
	if (p->vlan) {
		vlan_unref(sv, p->vlan);
		sv->nmoded--;
		free(p->vlan);
	}
	p->vlan = nc;
	p->pvid = nc ? nc->vid : 0;
	if (nc)
		sv->nmoded++;
	if (p->up)
		sw_vlan_port_up(sw, p, true);
	if (p->mac_count) /* a scan of the table: not for a new port */
		mac_table_flush_port(&sw->mt, p);
	sw_vlan_maybe_free(sw);
	return 0;
}

/**
 * sw_vlan_port_removed() - @p left the switch: its mode goes with it
 * @sw:		the switch
 * @p:		the port, already down
 */
void sw_vlan_port_removed(struct sw *sw, struct port *p)
{
	if (p->vlan)
		sw_port_set_vlan(sw, p, NULL);
}

/**
 * sw_vlan_reserve() - make room for both retagged forms of one frame
 * @sw:		the switch, with VLAN state
 * @len:	the frame's length
 *
 * Return: 0, or -ENOMEM (the frame is then dropped, rx_vlan_nomem)
 */
int sw_vlan_reserve(struct sw *sw, size_t len)
{
	struct sw_vlan *sv = sw->vlan;
	struct vlan_scratch *c = sv->scratch;
	size_t need = 2 * (TXQ_HDR_LEN + len + VLAN_TAG_LEN + ETH_MIN_LEN);

	if (c && c->cap - c->used >= need)
		return 0;
	if (c && !c->used && !c->next) { /* the kept chunk is too small */
		free(c);
		sv->scratch = c = NULL;
	}
	c = malloc(sizeof(*c) +
		   (need > VLAN_SCRATCH_CHUNK ? need : VLAN_SCRATCH_CHUNK));
	if (!c)
		return -ENOMEM;
	c->cap = need > VLAN_SCRATCH_CHUNK ? need : VLAN_SCRATCH_CHUNK;
	c->used = 0;
	c->next = sv->scratch;
	sv->scratch = c;
	return 0;
}

/**
 * sw_vlan_retag() - a copy of @frame in the other form, until sw_flush()
 * @sw:		the switch, after sw_vlan_reserve(sw, @len)
 * @frame:	the frame as received
 * @len:	its length
 * @fi:		as vlan_classify() (or frame_parse() for a port without a
 *		mode) filled it in: @fi->vid is the frame's VLAN
 * @form:	VLAN_UNTAGGED_FORM (the tag removed, padded to 60 bytes) or
 *		VLAN_TAGGED_FORM (one tag with @fi->vid; a priority tag's
 *		PCP is kept)
 * @out_len:	set to the copy's length
 *
 * Return: the copy, with its stream header (TXQ_HDR_LEN bytes) before it
 */
const uint8_t *sw_vlan_retag(struct sw *sw, const uint8_t *frame, size_t len,
			     const struct frame_info *fi,
			     enum vlan_tagging form, size_t *out_len)
{
	struct vlan_scratch *c = sw->vlan->scratch;
	size_t body = fi->tagged ? 12 + VLAN_TAG_LEN : 12;
	size_t n = len - body; /* EtherType and payload */
	uint8_t *h = c->data + c->used, *f = h + TXQ_HDR_LEN;
	uint16_t tci;
	size_t out;

	memcpy(f, frame, 12);
	if (form == VLAN_TAGGED_FORM) {
		tci = fi->tagged ? (uint16_t)(vlan_get16(frame + 14) & 0xe000)
				 : 0;
		tci |= fi->vid;
		f[12] = ETH_P_8021Q_TPID >> 8;
		f[13] = ETH_P_8021Q_TPID & 0xff;
		f[14] = (uint8_t)(tci >> 8);
		f[15] = (uint8_t)tci;
		memcpy(f + 16, frame + body, n);
		out = 16 + n;
	} else {
		memcpy(f + 12, frame + body, n);
		out = 12 + n;
		if (out < ETH_MIN_LEN) {
			memset(f + out, 0, ETH_MIN_LEN - out);
			out = ETH_MIN_LEN;
		}
	}
	h[0] = (uint8_t)(out >> 24);
	h[1] = (uint8_t)(out >> 16);
	h[2] = (uint8_t)(out >> 8);
	h[3] = (uint8_t)out;
	c->used += TXQ_HDR_LEN + out;
	*out_len = out;
	return f;
}

/**
 * sw_vlan_batch_end() - sw_flush() copied every queued frame: reuse the
 * scratch store (one chunk is kept), or free the VLAN state if no port
 * has a mode any more
 * @sw:		the switch
 */
void sw_vlan_batch_end(struct sw *sw)
{
	struct sw_vlan *sv = sw->vlan;
	struct vlan_scratch *c, *next;

	if (!sv || !sv->scratch)
		return;
	c = sv->scratch->next;
	sv->scratch->next = NULL;
	sv->scratch->used = 0;
	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	if (!sv->nmoded) {
		free(sv->scratch);
		sv->scratch = NULL;
		sw_vlan_maybe_free(sw);
	}
}

/**
 * sw_vlan_fini() - free the VLAN state
 * @sw:		the switch
 */
void sw_vlan_fini(struct sw *sw)
{
	struct sw_vlan *sv = sw->vlan;
	struct vlan_scratch *c, *next;
	unsigned v;

	if (!sv)
		return;
	for (c = sv->scratch; c; c = next) {
		next = c->next;
		free(c);
	}
	for (v = 0; v < VLAN_IDS; v++)
		free(sv->vl[v].p);
	free(sv->any);
	free(sv);
	sw->vlan = NULL;
}
