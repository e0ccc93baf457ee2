// SPDX-License-Identifier: MIT
/*
 * fuzz_fwd.c - the forwarding core driven by a script of events
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * A switch with four mock ports replays the input as a script: frames
 * (built from a few hosts, or raw bytes), end of batch, a peer that stalls
 * or takes only part of a write, ports removed and added back, disabled
 * and enabled, losing and regaining their carrier or closing, given a
 * storm limit (a frame it drops is still mirrored), the clock
 * moving on, ageing, new tunables, egress impairment turned on, changed
 * and off with settings from the script, its held frames released as the
 * clock passes their time, VLAN modes (access, trunk, none) given to
 * and taken from ports, and mirror sessions started and ended (each
 * frame must make exactly the copies the rules say, see expect_copies()).
 * Every frame is its own exact-size allocation,
 * freed at the end of its batch, so ASan reports any queue entry still
 * borrowing it. After every step the port
 * counters must balance, the bounds must hold, every copied frame must be
 * in the queue's spill store, the flood list must be exactly the ports
 * that are up, and each port's MAC entry count must be exact and within
 * its share (see check_all()). An impaired port holds at most its bounds,
 * as a heap in due order, and every frame it accepted is held, queued or
 * counted as a queue drop.
 *
 * The switch is made once per process and emptied between inputs with
 * sw_reset() (switch_fresh()): sw_init() allocates its port arrays for
 * 65535 ports, which cost far more than a short script.
 *
 * Script: 4 bytes of parameters, then one opcode byte per step followed by
 * its operands; a missing operand reads as 0. tests/fuzz/gen_corpus.py
 * spells the format out.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

#include "fuzz.h"

#define NP 4
#define BATCH_MAX 64 /* frames per receive batch before a forced flush */
#define IOV_MAX_MOCK 64
#define BUDGET_ALL (-1)
#define HOSTS 8

/**
 * struct mock_port - a port whose peer reads as the script says
 * @port:	the port
 * @attached:	added to the switch and not removed since
 * @budget:	bytes the peer takes per flush call, BUDGET_ALL or 0 (stalled)
 * @prev_count:	queued frames before the current step (a lowered bound
 *		keeps frames already queued)
 * @prev_bytes:	queued bytes before the current step
 * @direct:	frames offered to the port while it had no impairment
 * @accepted:	copies its impairment held, ever (duplicates twice)
 */
struct mock_port {
	struct port port;
	bool attached;
	long budget;
	uint32_t prev_count;
	size_t prev_bytes;
	uint64_t direct;
	uint64_t accepted;
};

/**
 * struct run - one script's state
 * @sw:		the switch
 * @mp:		its ports
 * @in:		script cursor
 * @left:	script bytes left
 * @batch:	frames of the current receive batch (each malloc'd)
 * @nbatch:	how many
 * @now:	the clock, milliseconds
 * @deep:	check every held frame after this step (see check_impair())
 * @prev_total:	bytes queued on all ports before the current step (a
 *		lowered queue budget keeps what is queued)
 */
struct run {
	struct sw sw;
	struct mock_port mp[NP];
	const uint8_t *in;
	size_t left;
	uint8_t *batch[BATCH_MAX];
	unsigned nbatch;
	uint64_t now;
	bool deep;
	size_t prev_total;
};

static uint8_t next(struct run *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->in++;
}

static struct mock_port *mock_of(struct port *p)
{
	return container_of(p, struct mock_port, port);
}

/* The peer reads: one writev() of at most @budget bytes (or everything). */
static int mock_flush(struct port *p)
{
	struct mock_port *m = mock_of(p);
	uint8_t hdr[IOV_MAX_MOCK / 2][TXQ_HDR_LEN];
	struct iovec iov[IOV_MAX_MOCK];
	size_t n, i, total;

	FUZZ_ASSERT(m->attached, "flush on a removed port %u", p->id);
	while (m->budget != 0 && !txq_empty(&p->txq)) {
		n = txq_iov(&p->txq, iov, IOV_MAX_MOCK, hdr, true);
		for (i = 0, total = 0; i < n; i++)
			total += iov[i].iov_len;
		if (m->budget != BUDGET_ALL && total > (size_t)m->budget)
			total = (size_t)m->budget;
		p->st.tx_frames +=
			txq_advance(&p->txq, total, true, &p->st.tx_bytes);
		if (m->budget != BUDGET_ALL)
			break;
	}
	return 0;
}

static void mock_close(struct port *p)
{
	(void)p;
}

static const struct port_ops mock_ops = {
	.name = "mock",
	.flush = mock_flush,
	.close = mock_close,
};

static bool is_mock(const struct run *r, const struct port *p)
{
	int i;

	for (i = 0; i < NP; i++)
		if (p == &r->mp[i].port)
			return r->mp[i].attached;
	return false;
}

static void event_cb(void *opaque, const struct sw_event_info *e)
{
	const struct run *r = opaque;
	enum sw_event ev = e->ev;

	if (ev == SW_EV_PORT_UP || ev == SW_EV_PORT_DOWN) {
		/* Reported by the writer of p->up, after the change. */
		FUZZ_ASSERT(e->port && e->port->up == (ev == SW_EV_PORT_UP),
			    "event %d but port up is %d", ev,
			    e->port ? e->port->up : -1);
		FUZZ_ASSERT((e->port->fidx >= 0) == e->port->up,
			    "event %d: flood index %d", ev, e->port->fidx);
		return;
	}
	if (ev == SW_EV_MIRROR_REMOVED) {
		/* Reported while the port is still attached. */
		FUZZ_ASSERT(
			e->port && (e->port == e->from || e->port == e->to) &&
				sw_port_by_id(&r->sw, e->port->id) == e->port &&
				is_mock(r, e->from) && is_mock(r, e->to),
			"mirror session ended for port %p", (void *)e->port);
		return;
	}
	if (ev == SW_EV_PORT_REMOVED) {
		FUZZ_ASSERT(e->port && !e->port->up && e->port->fidx < 0,
			    "removed port still up");
		return;
	}
	FUZZ_ASSERT(e->mac && !mac_is_multicast(e->mac) && !mac_is_zero(e->mac),
		    "event %d for a MAC that must never be learned", ev);
	FUZZ_ASSERT(e->vid <= VLAN_VID_MASK, "event %d: vid %u", ev, e->vid);
	if (ev == SW_EV_MAC_MOVED)
		FUZZ_ASSERT(e->from && e->to && e->from != e->to &&
				    is_mock(r, e->to),
			    "MAC moved from %p to %p", (void *)e->from,
			    (void *)e->to);
	if (ev == SW_EV_MAC_AGED)
		FUZZ_ASSERT(is_mock(r, e->from),
			    "aged entry on a removed port");
	if (ev == SW_EV_MAC_EVICTED)
		FUZZ_ASSERT(is_mock(r, e->from) && e->from->up &&
				    is_mock(r, e->to),
			    "evicted from %p for %p", (void *)e->from,
			    (void *)e->to);
}

/* Touch every queued byte: a frame freed while still queued is a UAF.
 * Same layout as mock_flush() (with headers), since head_off counts them. */
FUZZ_NO_COVERAGE
static void read_queue(const struct txq *q)
{
	uint8_t hdr[IOV_MAX_MOCK / 2][TXQ_HDR_LEN];
	struct iovec iov[IOV_MAX_MOCK];
	volatile uint8_t sink = 0;
	size_t n, i, j;

	n = txq_iov(q, iov, IOV_MAX_MOCK, hdr, true);
	for (i = 0; i < n; i++)
		for (j = 0; j < iov[i].iov_len; j++)
			sink ^= ((const uint8_t *)iov[i].iov_base)[j];
	(void)sink;
}

FUZZ_NO_COVERAGE
static bool flood_listed(const struct run *r, const struct port *p)
{
	uint32_t k;

	for (k = 0; k < r->sw.nflood; k++)
		if (r->sw.flood[k] == p)
			return true;
	return false;
}

/* Frames put on (or refused by) @p's transmit queue, ever, mirrored
 * copies aside. */
static uint64_t egress(const struct port *p)
{
	return p->st.tx_queued - p->st.mirror_tx +
	       p->st.drops[PORT_DROP_TX_QUEUE_FULL] +
	       p->st.drops[PORT_DROP_TX_NOMEM] +
	       p->st.drops[PORT_DROP_TX_BUDGET];
}

/* Mirrored copies for @p, queued or dropped, ever. */
static uint64_t mirrored(const struct port *p)
{
	return p->st.mirror_tx + p->st.drops[PORT_DROP_TX_MIRROR];
}

/* Frames @p's impairment holds now. */
static uint32_t held(const struct port *p)
{
	return p->impair ? p->impair->n : 0;
}

/* Copies @p's impairment has held, ever (its arrival number). */
static uint64_t impair_seq(const struct port *p)
{
	return p->impair ? p->impair->seq : 0;
}

/* Frames @p's impairment dropped, ever. */
static uint64_t impair_drops(const struct port *p)
{
	return p->st.drops[PORT_DROP_IMPAIR_LOSS] +
	       p->st.drops[PORT_DROP_IMPAIR_MTU] +
	       p->st.drops[PORT_DROP_IMPAIR_RATE] +
	       p->st.drops[PORT_DROP_IMPAIR_QUEUE_FULL] +
	       p->st.drops[PORT_DROP_TX_BUDGET];
}

FUZZ_NO_COVERAGE
static bool ent_before(const struct impair_ent *a, const struct impair_ent *b)
{
	return a->due_ms < b->due_ms ||
	       (a->due_ms == b->due_ms && a->seq < b->seq);
}

/* The impaired list, the hold queue's bounds, and its byte count and heap
 * order: every entry when the step asked for it (r->deep) or few are held,
 * since up to IMPAIR_QUEUE_FRAMES of them after every step would make the
 * checks most of the run time. */
FUZZ_NO_COVERAGE
static void check_impair(const struct run *r, const struct port *p)
{
	const struct impair *im = p->impair;
	size_t bytes = 0;
	uint32_t i;

	if (!im) {
		FUZZ_ASSERT(p->iidx < 0, "port %u: not impaired, iidx %d",
			    p->id, p->iidx);
		return;
	}
	FUZZ_ASSERT(p->iidx >= 0 && (uint32_t)p->iidx < r->sw.nimpaired &&
			    r->sw.impaired[p->iidx] == p,
		    "port %u: impaired, iidx %d of %u", p->id, p->iidx,
		    r->sw.nimpaired);
	FUZZ_ASSERT(im->n <= IMPAIR_QUEUE_FRAMES && im->n <= im->cap &&
			    im->bytes <= IMPAIR_QUEUE_BYTES,
		    "port %u: %u frames (cap %u), %zu bytes held", p->id, im->n,
		    im->cap, im->bytes);
	if (!r->deep && im->n > 64)
		return;
	for (i = 0; i < im->n; i++) {
		const struct impair_ent *e = im->heap[i];

		bytes += e->len;
		FUZZ_ASSERT(e->len <= FRAME_MAX_LEN_LIMIT + 4 &&
				    e->seq < im->seq,
			    "port %u: held frame of %u bytes, seq %lu of %lu",
			    p->id, e->len, (unsigned long)e->seq,
			    (unsigned long)im->seq);
		FUZZ_ASSERT(!i || !ent_before(e, im->heap[(i - 1) / 2]),
			    "port %u: heap order broken at %u", p->id, i);
	}
	FUZZ_ASSERT(bytes == im->bytes, "port %u: held %zu bytes, counted %zu",
		    p->id, bytes, im->bytes);
}

FUZZ_NO_COVERAGE
static void check_port(const struct run *r, const struct mock_port *m)
{
	const struct port *p = &m->port;
	const struct port_stats *st = &p->st;
	const struct txq *q = &p->txq;
	const struct txq_chunk *c;
	uint32_t owned = 0;

	FUZZ_ASSERT(st->rx_frames == st->rx_forwarded + port_rx_drops(p),
		    "port %u: rx %lu != forwarded %lu + drops %lu", p->id,
		    (unsigned long)st->rx_frames,
		    (unsigned long)st->rx_forwarded,
		    (unsigned long)port_rx_drops(p));
	FUZZ_ASSERT(st->tx_queued ==
			    st->tx_frames + st->drops[PORT_DROP_TX_CLOSED] +
				    st->drops[PORT_DROP_TX_NOMEM] + q->count,
		    "port %u: queued %lu != sent %lu + closed %lu + nomem %lu"
		    " + left %u",
		    p->id, (unsigned long)st->tx_queued,
		    (unsigned long)st->tx_frames,
		    (unsigned long)st->drops[PORT_DROP_TX_CLOSED],
		    (unsigned long)st->drops[PORT_DROP_TX_NOMEM], q->count);
	FUZZ_ASSERT(q->count <= q->max_frames || q->count <= m->prev_count,
		    "port %u: %u frames queued, bound %u", p->id, q->count,
		    q->max_frames);
	FUZZ_ASSERT(q->bytes <= q->max_bytes || q->bytes <= m->prev_bytes,
		    "port %u: %zu bytes queued, bound %zu", p->id, q->bytes,
		    q->max_bytes);
	FUZZ_ASSERT(q->borrowed <= q->count, "port %u: borrowed %u > %u", p->id,
		    q->borrowed, q->count);
	FUZZ_ASSERT(q->count || !q->head_off, "port %u: empty, head_off %zu",
		    p->id, q->head_off);
	FUZZ_ASSERT(!q->torn, "port %u: torn", p->id);
	for (c = q->spill_head; c; c = c->next) {
		FUZZ_ASSERT(
			c->frames && c->used <= c->cap,
			"port %u: spill chunk with %u frames, %u of %u bytes",
			p->id, c->frames, c->used, c->cap);
		FUZZ_ASSERT(c->next || c == q->spill_tail,
			    "port %u: spill tail stale", p->id);
		owned += c->frames;
	}
	FUZZ_ASSERT(owned == q->count - q->borrowed,
		    "port %u: %u frames in the spill store, %u copied", p->id,
		    owned, q->count - q->borrowed);
	FUZZ_ASSERT(egress(p) + held(p) == m->direct + m->accepted,
		    "port %u: queued or dropped %lu + held %u != offered %lu"
		    " + accepted by the impairment %lu",
		    p->id, (unsigned long)egress(p), held(p),
		    (unsigned long)m->direct, (unsigned long)m->accepted);
	if (!m->attached) {
		FUZZ_ASSERT(!p->impair, "removed port %u still impaired",
			    p->id);
		FUZZ_ASSERT(q->count == 0 && !p->up && !flood_listed(r, p),
			    "removed port %u still has %u frames or is up",
			    p->id, q->count);
		return;
	}
	FUZZ_ASSERT(p->up == (p->enabled && !p->closing && !p->no_carrier),
		    "port %u: up %d, enabled %d closing %d no_carrier %d",
		    p->id, p->up, p->enabled, p->closing, p->no_carrier);
	FUZZ_ASSERT(p->up ? p->fidx >= 0 && (uint32_t)p->fidx < r->sw.nflood &&
				    r->sw.flood[p->fidx] == p
			  : p->fidx < 0,
		    "port %u: up %d but fidx %d", p->id, p->up, p->fidx);
	FUZZ_ASSERT(sw_port_by_id(&r->sw, p->id) == p,
		    "port number %u is not unique", p->id);
	FUZZ_ASSERT(p->idx < r->sw.nports && r->sw.ports[p->idx] == p,
		    "port %u: idx %u stale", p->id, p->idx);
	FUZZ_ASSERT(p->pidx < 0 || ((uint32_t)p->pidx < r->sw.npending &&
				    r->sw.pending[p->pidx] == p),
		    "port %u: pidx %d stale", p->id, p->pidx);
	check_impair(r, p);
	read_queue(q);
}

FUZZ_NO_COVERAGE
/* The switch's total is the sum of the queues and the impairments' holds,
 * within the budget. */
static void check_budget(const struct run *r)
{
	size_t sum = 0, total = r->sw.queued_bytes;
	size_t budget = r->sw.prm.queue_budget;
	int i;

	for (i = 0; i < NP; i++)
		if (r->mp[i].attached)
			sum += r->mp[i].port.txq.bytes +
			       (r->mp[i].port.impair
					? r->mp[i].port.impair->bytes
					: 0);
	FUZZ_ASSERT(total == sum, "queued_bytes %zu, queues and holds %zu",
		    total, sum);
	FUZZ_ASSERT(!budget || total <= budget || total <= r->prev_total,
		    "queued_bytes %zu over the budget %zu", total, budget);
}

static int mock_index(const struct run *r, const struct port *p)
{
	int i;

	for (i = 0; i < NP; i++)
		if (p == &r->mp[i].port)
			return i;
	FUZZ_ASSERT(0, "port %p is not a mock", (const void *)p);
	return 0;
}

/* Sessions name two live ports, differ, and each port counts its own. */
FUZZ_NO_COVERAGE
static void check_mirrors(const struct run *r)
{
	unsigned rx[NP] = { 0 }, tx[NP] = { 0 };
	uint32_t k, j;
	int i;

	FUZZ_ASSERT(r->sw.nmirrors <= SW_MIRROR_MAX, "%u mirror sessions",
		    r->sw.nmirrors);
	for (k = 0; k < r->sw.nmirrors; k++) {
		const struct sw_mirror *m = &r->sw.mirrors[k];

		FUZZ_ASSERT(is_mock(r, m->src) && is_mock(r, m->dst) &&
				    m->src != m->dst &&
				    m->dir >= SW_MIRROR_RX &&
				    m->dir <= SW_MIRROR_BOTH,
			    "mirror session %u: %p -> %p dir %u", k,
			    (void *)m->src, (void *)m->dst, m->dir);
		for (j = 0; j < k; j++)
			FUZZ_ASSERT(r->sw.mirrors[j].src != m->src ||
					    r->sw.mirrors[j].dst != m->dst,
				    "mirror session %u twice", k);
		i = mock_index(r, m->src);
		rx[i] += !!(m->dir & SW_MIRROR_RX);
		tx[i] += !!(m->dir & SW_MIRROR_TX);
	}
	for (i = 0; i < NP; i++)
		FUZZ_ASSERT(r->mp[i].port.mirror_rx == rx[i] &&
				    r->mp[i].port.mirror_tx == tx[i],
			    "port %d: counts %u rx %u tx sessions, has %u %u",
			    i, r->mp[i].port.mirror_rx, r->mp[i].port.mirror_tx,
			    rx[i], tx[i]);
}

FUZZ_NO_COVERAGE
static uint32_t listed(struct port *const *list, uint32_t n,
		       const struct port *p)
{
	uint32_t k, c = 0;

	for (k = 0; k < n; k++)
		c += list[k] == p;
	return c;
}

/* While some port has a VLAN mode: each up port is listed once in each
 * VLAN it carries (a port without a mode in the "any" list), others not;
 * every MAC entry is in a VLAN its port carries. */
FUZZ_NO_COVERAGE
static void check_vlan(const struct run *r)
{
	const struct sw_vlan *sv = r->sw.vlan;
	const struct mac_entry *e;
	uint32_t moded = 0, want, v;
	int i;

	for (i = 0; i < NP; i++)
		moded += r->mp[i].attached && r->mp[i].port.vlan;
	FUZZ_ASSERT(!moded || sv, "%u ports with a mode, no VLAN state", moded);
	if (!sv)
		return;
	FUZZ_ASSERT(sv->nmoded == moded, "nmoded %u, ports with a mode %u",
		    sv->nmoded, moded);
	for (i = 0; i < NP; i++) {
		const struct port *p = &r->mp[i].port;
		bool here = r->mp[i].attached && p->up;

		FUZZ_ASSERT(p->pvid == (p->vlan ? p->vlan->vid : 0),
			    "port %u: pvid %u out of step", p->id, p->pvid);
		FUZZ_ASSERT(listed(sv->any, sv->nany, p) ==
				    (uint32_t)(here && !p->vlan),
			    "port %u: wrong in the any list", p->id);
		for (v = 0; v < 5; v++) {
			want = here && p->vlan && vlan_has(p->vlan->allowed, v);
			FUZZ_ASSERT(listed(sv->vl[v].p, sv->vl[v].n, p) == want,
				    "port %u: wrong in VLAN %u's list", p->id,
				    v);
			FUZZ_ASSERT(sv->vl[v].n <= sv->vl[v].cap &&
					    sv->vl[v].n <= sv->vl[v].ref,
				    "VLAN %u: %u listed, ref %u, cap %u", v,
				    sv->vl[v].n, sv->vl[v].ref, sv->vl[v].cap);
		}
	}
	mac_table_foreach(&r->sw.mt, e)
		FUZZ_ASSERT(vlan_carries(e->port->vlan, mac_entry_vid(e)),
			    "entry of VLAN %u on port %u", mac_entry_vid(e),
			    e->port->id);
}

FUZZ_NO_COVERAGE
static void check_all(struct run *r)
{
	const struct mac_table *t = &r->sw.mt;
	const struct mac_entry *e;
	uint32_t n = 0, attached = 0, up = 0, impaired = 0, on[NP] = { 0 };
	int i;

	for (i = 0; i < NP; i++) {
		check_port(r, &r->mp[i]);
		attached += r->mp[i].attached;
		up += r->mp[i].attached && r->mp[i].port.up;
		impaired += r->mp[i].port.impair != NULL;
	}
	FUZZ_ASSERT(r->sw.nimpaired == impaired, "nimpaired %u, impaired %u",
		    r->sw.nimpaired, impaired);
	FUZZ_ASSERT(r->sw.nports == attached, "nports %u, attached %u",
		    r->sw.nports, attached);
	FUZZ_ASSERT(r->sw.nflood == up, "flood list %u, up %u", r->sw.nflood,
		    up);
	FUZZ_ASSERT(t->count <= t->max, "MAC table %u > max %u", t->count,
		    t->max);
	mac_table_foreach(t, e) {
		n++;
		FUZZ_ASSERT(is_mock(r, e->port) && e->port->up,
			    "entry on a port that is removed or down");
		on[mock_of(e->port) - r->mp]++;
	}
	FUZZ_ASSERT(n == t->count, "MAC table holds %u, count says %u", n,
		    t->count);
	check_vlan(r);
	for (i = 0, n = 0; i < NP; i++) {
		const struct port *p = &r->mp[i].port;

		FUZZ_ASSERT(p->mac_count == on[i],
			    "port %u: mac_count %u, holds %u", p->id,
			    p->mac_count, on[i]);
		FUZZ_ASSERT(p->mac_count <= mac_table_port_limit(t, p),
			    "port %u: %u entries, share %u", p->id,
			    p->mac_count, mac_table_port_limit(t, p));
		n += p->mac_count;
	}
	FUZZ_ASSERT(n == t->count, "port counts sum to %u, table holds %u", n,
		    t->count);
	check_budget(r);
	check_mirrors(r);
	for (i = 0; i < NP; i++) {
		r->mp[i].prev_count = r->mp[i].port.txq.count;
		r->mp[i].prev_bytes = r->mp[i].port.txq.bytes;
	}
	r->prev_total = r->sw.queued_bytes;
}

/* End of a receive batch: flush, then the receive buffer is reused. */
static void end_batch(struct run *r)
{
	unsigned i;

	sw_flush(&r->sw);
	for (i = 0; i < r->nbatch; i++)
		free(r->batch[i]);
	r->nbatch = 0;
}

/* The VLAN a frame from @in is in (as the port's mode puts it), or -1
 * if it does not parse there. */
static int frame_vlan(const struct port *in, const uint8_t *f, size_t len,
		      struct frame_info *fi)
{
	enum vlan_tagging form;

	if (in->vlan)
		return vlan_classify(in->vlan, f, len, fi, &form) < 0 ? fi->vid
								      : -1;
	return frame_parse(f, len, fi) < 0 ? -1 : fi->vid;
}

/* Where a forwarded frame must go: its learned port, or NULL to flood. */
static const struct port *expected_out(const struct run *r, const uint8_t *f,
				       size_t len, const struct port *in)
{
	struct frame_info fi;

	if (r->sw.prm.hub || frame_vlan(in, f, len, &fi) < 0 ||
	    mac_is_multicast(fi.dst))
		return NULL;
	return mac_table_lookup(&r->sw.mt, fi.vid, fi.dst, r->now);
}

/*
 * The mirrored copies a frame from @in must have made (@want, by port):
 * a session copies what its source received (@fwd: forwarded, @rx_drop:
 * well-formed but dropped after the lookup) unless its destination got
 * the frame anyway (the unicast @out, or a flood), and what its source
 * took in (@took) as a unicast destination; never to @in, never to a
 * port that is down.
 */
static void expect_copies(const struct run *r, const struct port *in,
			  const struct port *out, bool fwd, int vid,
			  bool rx_drop, const bool *took, unsigned *want)
{
	uint32_t k;

	for (k = 0; k < r->sw.nmirrors; k++) {
		const struct sw_mirror *m = &r->sw.mirrors[k];
		/* A flood reaches every up port (of its VLAN, with modes). */
		bool flooded = fwd && !out &&
			       (!r->sw.vlan || vid < 0 ||
				vlan_carries(m->dst->vlan, (uint16_t)vid));

		if (m->dst == in || !m->dst->up)
			continue;
		if ((m->dir & SW_MIRROR_RX) && m->src == in &&
		    (rx_drop || (fwd && out != m->dst && !flooded)))
			want[mock_index(r, m->dst)]++;
		if ((m->dir & SW_MIRROR_TX) && fwd && out && m->src == out &&
		    took[mock_index(r, out)])
			want[mock_index(r, m->dst)]++;
	}
}

/* One frame into the switch. A dropped frame reaches no queue; a
 * forwarded one reaches exactly its learned port, which carries its
 * VLAN, or else every other live port that carries it, and never the
 * port it came from. */
static void input(struct run *r, int k, uint8_t *f, size_t len)
{
	struct port *in = &r->mp[k].port;
	uint64_t before[NP], seq0[NP], budget0[NP], got, fwd0, copies;
	uint64_t mir0[NP], txq0[NP], rxd0;
	struct frame_info fi;
	const struct port *out;
	bool live, want, fwd, took[NP];
	unsigned copies_want[NP] = { 0 };
	int i, vid;

	if (!r->mp[k].attached) {
		free(f);
		return;
	}
	if (r->nbatch == BATCH_MAX)
		end_batch(r);
	r->batch[r->nbatch++] = f;
	for (i = 0; i < NP; i++) {
		const struct port *p = &r->mp[i].port;

		before[i] = p->impair ? impair_drops(p) : egress(p);
		seq0[i] = impair_seq(p);
		budget0[i] = p->st.drops[PORT_DROP_TX_BUDGET];
		mir0[i] = mirrored(p);
		txq0[i] = p->st.tx_queued - p->st.mirror_tx;
	}
	rxd0 = in->st.drops[PORT_DROP_RX_LOCAL] +
	       in->st.drops[PORT_DROP_RX_DEST_DOWN] +
	       in->st.drops[PORT_DROP_RX_STORM];
	fwd0 = in->st.rx_forwarded;
	fwd_input(&r->sw, in, f, len, r->now);
	/* Learning happened before the lookup inside, so this is the same
	 * answer fwd_input() got. */
	out = expected_out(r, f, len, in);
	vid = frame_vlan(in, f, len, &fi);
	FUZZ_ASSERT(in->st.rx_forwarded - fwd0 <= 1, "forwarded twice");
	FUZZ_ASSERT(!out || vlan_carries(out->vlan, (uint16_t)vid),
		    "learned port %u does not carry VLAN %d", out->id, vid);
	fwd = in->st.rx_forwarded != fwd0;
	for (i = 0; i < NP; i++) {
		const struct port *p = &r->mp[i].port;

		took[i] = p->impair ? impair_seq(p) != seq0[i]
				    : p->st.tx_queued - p->st.mirror_tx !=
					      txq0[i];
	}
	expect_copies(r, in, out, fwd, vid,
		      in->st.drops[PORT_DROP_RX_LOCAL] +
				      in->st.drops[PORT_DROP_RX_DEST_DOWN] +
				      in->st.drops[PORT_DROP_RX_STORM] !=
			      rxd0,
		      took, copies_want);
	for (i = 0; i < NP; i++)
		FUZZ_ASSERT(mirrored(&r->mp[i].port) - mir0[i] ==
				    copies_want[i],
			    "port %d: %lu mirrored copies, want %u", i,
			    (unsigned long)(mirrored(&r->mp[i].port) - mir0[i]),
			    copies_want[i]);
	for (i = 0; i < NP; i++) {
		struct mock_port *m = &r->mp[i];
		const struct port *p = &m->port;

		/* An impaired port either drops the frame (counted) or holds
		 * one or two copies; any other takes it into its queue (or
		 * counts it as a queue drop). */
		if (p->impair) {
			copies = impair_seq(p) - seq0[i];
			FUZZ_ASSERT(copies <= 1 + !!p->impair->cfg.duplicate,
				    "port %d: impairment held %lu copies", i,
				    (unsigned long)copies);
			m->accepted += copies;
			/* Refused by the queue budget before the impairment
			 * saw it: counted where egress() counts it. */
			m->direct +=
				p->st.drops[PORT_DROP_TX_BUDGET] - budget0[i];
			got = impair_drops(p) - before[i] + !!copies;
		} else {
			got = egress(p) - before[i];
			m->direct += got;
		}
		live = i != k && r->mp[i].attached && r->mp[i].port.up &&
		       vid >= 0 &&
		       vlan_carries(r->mp[i].port.vlan, (uint16_t)vid);
		if (in->st.rx_forwarded == fwd0)
			want = false;
		else if (out)
			want = out == &r->mp[i].port;
		else
			want = live;
		FUZZ_ASSERT(got == want,
			    "port %d got %lu copies, want %d (from port %d, "
			    "%s)",
			    i, (unsigned long)got, want, k,
			    out ? "known unicast" : "flood");
	}
}

static void host_mac(uint8_t *mac, unsigned h)
{
	memset(mac, 0, MAC_LEN);
	if (h == HOSTS - 1) {
		memset(mac, 0xff, MAC_LEN); /* broadcast */
	} else if (h == HOSTS - 2) {
		mac[0] = 0x01; /* multicast */
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[5] = 0x01;
	} else if (h != HOSTS - 3) { /* HOSTS - 3 is all-zero */
		mac[0] = 0x02;
		mac[5] = (uint8_t)h;
	}
}

/* Operands: x = port (2 bits), dst host (3), tag (1); y = src host (3),
 * VLAN id (2), length extra (3). */
static void op_host_frame(struct run *r)
{
	uint8_t x = next(r), y = next(r);
	size_t len = 60 + (size_t)(y >> 5) * 200, hdr = 12;
	uint8_t *f;

	if (len > r->sw.prm.max_frame + 4u)
		len = r->sw.prm.max_frame + 4u;
	f = calloc(1, len);
	if (!f)
		return;
	host_mac(f, (x >> 2) & 7);
	host_mac(f + 6, y & 7);
	if (x & 0x20) {
		f[hdr] = 0x81;
		f[hdr + 2] = 0;
		f[hdr + 3] = (uint8_t)((y >> 3) & 3);
		hdr += 4;
	}
	f[hdr] = 0x08;
	input(r, x & 3, f, len);
}

/* Operands: port, 16-bit length (up to a little over max_frame), then
 * the frame's bytes from the script (zeros once it runs out). */
static void op_raw_frame(struct run *r)
{
	int k = next(r) & 3;
	size_t len =
		((size_t)next(r) << 8 | next(r)) % (r->sw.prm.max_frame + 33u);
	size_t have = len < r->left ? len : r->left;
	uint8_t *f;

	f = malloc(len ? len : 1);
	if (!f)
		return;
	memcpy(f, r->in, have);
	memset(f + have, 0, len - have);
	r->in += have;
	r->left -= have;
	input(r, k, f, len);
}

static void op_budget(struct run *r)
{
	uint8_t b = next(r);
	struct mock_port *m = &r->mp[b & 3];

	b >>= 2;
	m->budget = b == 0 ? 0 : b == 63 ? BUDGET_ALL : (long)b * 7;
}

/* Operand: port (2 bits), requested port number (3 bits, 0 = any). */
static void op_attach(struct run *r)
{
	uint8_t x = next(r);
	struct mock_port *m = &r->mp[x & 3];
	uint32_t want = (x >> 2) & 7;
	bool free_id;
	int rc;

	if (m->attached) {
		sw_port_remove(&r->sw, &m->port);
		m->attached = false;
		return;
	}
	free_id = want && !sw_port_by_id(&r->sw, want);
	rc = sw_port_add(&r->sw, &m->port, &mock_ops, want);
	FUZZ_ASSERT(rc < 0 || !free_id || m->port.id == want,
		    "asked for free port number %u, got %u", want, m->port.id);
	FUZZ_ASSERT(rc == 0 || (rc == -ENOSPC &&
				r->sw.nports >= r->sw.prm.max_ports),
		    "sw_port_add: %d with %u of %u ports", rc, r->sw.nports,
		    r->sw.prm.max_ports);
	m->attached = rc == 0;
	m->prev_count = 0;
	m->prev_bytes = 0;
	if (rc == 0) { /* sw_port_add() zeroed the counters */
		m->direct = 0;
		m->accepted = 0;
	}
}

static void params_from(struct sw_params *prm, uint8_t a, uint8_t b)
{
	prm->mac_table_size = 1 + (a & 7);
	prm->hub = a & 0x80;
	prm->max_ports = a & 0x40 ? NP - 1 : NP;
	prm->txq_frames = 1 + (b & 15);
	prm->max_frame = FRAME_MIN_LEN + (uint32_t)(b >> 4) * 128;
	prm->txq_bytes = (size_t)prm->max_frame * (1 + ((a >> 3) & 7));
	/* Half the scripts share a budget smaller than the queues' sum. */
	prm->queue_budget = b & 1 ? prm->txq_bytes + prm->max_frame : 0;
}

static void op_params(struct run *r)
{
	struct sw_params prm = r->sw.prm;
	uint8_t a = next(r), b = next(r);
	int rc;

	params_from(&prm, a, b);
	rc = sw_set_params(&r->sw, &prm);
	FUZZ_ASSERT(rc == 0, "sw_set_params: %d", rc);
}

/* Operand: port (2 bits), then what (2 bits): toggle enabled (0),
 * toggle the carrier (1), mark closing (2; the daemon would remove it,
 * here it stays closing until the script removes and re-adds it), or a
 * storm limit of the high 4 bits' frames a second (3; 0: none). */
static void op_state(struct run *r)
{
	uint8_t x = next(r);
	struct mock_port *m = &r->mp[x & 3];

	if (!m->attached)
		return;
	switch ((x >> 2) & 3) {
	case 1:
		sw_port_set_carrier(&r->sw, &m->port, m->port.no_carrier, NULL);
		break;
	case 2:
		sw_port_set_closing(&r->sw, &m->port);
		break;
	case 3: /* storm control: 0 (none) to 15 frames a second */
		FUZZ_ASSERT(sw_port_set_storm_limit(&r->sw, &m->port, x >> 4) ==
				    0,
			    "sw_port_set_storm_limit");
		break;
	default:
		sw_port_set_enabled(&r->sw, &m->port, !m->port.enabled);
		break;
	}
}

/* A probability in ppm from one operand byte: 0, or 1/255 up to all. */
static uint32_t ppm_of(uint8_t b)
{
	return b == 255 ? IMPAIR_PPM : (uint32_t)b * 3922;
}

/* Field by field: memcmp() would compare padding. */
static bool cfg_equal(const struct impair_cfg *a, const struct impair_cfg *b)
{
	return a->loss == b->loss && a->ge == b->ge && a->ge_p == b->ge_p &&
	       a->ge_r == b->ge_r && a->ge_loss_bad == b->ge_loss_bad &&
	       a->ge_loss_good == b->ge_loss_good &&
	       a->delay_ms == b->delay_ms && a->jitter_ms == b->jitter_ms &&
	       a->jitter_dist == b->jitter_dist && a->reorder == b->reorder &&
	       a->duplicate == b->duplicate && a->corrupt == b->corrupt &&
	       a->rate_bps == b->rate_bps && a->mtu == b->mtu &&
	       a->seed == b->seed;
}

/*
 * Operands: x = port (2 bits), normal jitter (bit 2), Gilbert-Elliott
 * loss (bit 3); f = which settings follow, one byte each (two for the
 * delay: delay and reorder; four for Gilbert-Elliott), then the seed.
 * Nothing set turns the impairment off, as sw_port_impair() says.
 */
static void op_impair(struct run *r)
{
	uint8_t x = next(r), f = next(r);
	struct mock_port *m = &r->mp[x & 3];
	struct impair_cfg cfg = { 0 };
	uint32_t held0;
	int rc;

	if (f & 1)
		cfg.loss = ppm_of(next(r));
	if (x & 8) {
		cfg.ge = true;
		cfg.ge_p = ppm_of(next(r));
		cfg.ge_r = ppm_of(next(r));
		cfg.ge_loss_bad = ppm_of(next(r));
		cfg.ge_loss_good = ppm_of(next(r));
	}
	if (f & 2) {
		cfg.delay_ms = (uint32_t)next(r) * 16;
		cfg.reorder = ppm_of(next(r));
	}
	if (f & 4)
		cfg.jitter_ms = (uint32_t)next(r) * 8;
	cfg.jitter_dist = x & 4 ? IMPAIR_JITTER_NORMAL : IMPAIR_JITTER_UNIFORM;
	if (f & 8)
		cfg.duplicate = ppm_of(next(r));
	if (f & 16)
		cfg.corrupt = ppm_of(next(r));
	if (f & 32)
		cfg.rate_bps = 8000 * (1 + (uint64_t)next(r) * 16);
	if (f & 64)
		cfg.mtu = (uint32_t)next(r) * 8;
	cfg.seed = next(r);
	if (!m->attached)
		return;
	/* Turning it off queues every held frame at once (check_port()'s
	 * balance sees any lost on the way); a change keeps them held. */
	held0 = held(&m->port);
	rc = sw_port_impair(&r->sw, &m->port, &cfg);
	FUZZ_ASSERT(rc == 0 || rc == -ENOMEM, "sw_port_impair: %d", rc);
	if (!impair_cfg_active(&cfg))
		FUZZ_ASSERT(!m->port.impair, "port %u: impairment not off",
			    m->port.id);
	else if (rc == 0)
		FUZZ_ASSERT(m->port.impair &&
				    cfg_equal(&m->port.impair->cfg, &cfg) &&
				    held(&m->port) >= held0,
			    "port %u: impairment not as set", m->port.id);
}

/* Operand: n; the clock moves on n * 8 ms and the loop's impairment
 * timer fires: release what is due, then write it out. */
static void op_release(struct run *r)
{
	r->now += (uint64_t)next(r) * 8;
	if (r->nbatch)
		end_batch(r);
	sw_impair_release(&r->sw, r->now);
	FUZZ_ASSERT(sw_impair_next_due(&r->sw) > r->now,
		    "a frame due by %lu is still held", (unsigned long)r->now);
	sw_flush(&r->sw);
}

/* Operand: port (2 bits), mode (2 bits: none, access, trunk, trunk with
 * a native VLAN), VLAN a (2 bits), VLAN b (2 bits); VLANs are 1..3 (a
 * 0 reads as 1), a trunk carries a..b (either order) and its native
 * VLAN is a. */
static void op_vlan(struct run *r)
{
	uint8_t x = next(r);
	struct mock_port *m = &r->mp[x & 3];
	unsigned a = (x >> 4) & 3 ? (x >> 4) & 3 : 1;
	unsigned b = (x >> 6) & 3 ? (x >> 6) & 3 : 1, v;
	struct vlan_cfg c;
	int rc;

	if (!m->attached)
		return;
	switch ((x >> 2) & 3) {
	case 0:
		vlan_cfg_none(&c);
		break;
	case 1:
		vlan_cfg_access(&c, (uint16_t)a);
		break;
	default:
		vlan_cfg_trunk(&c);
		for (v = a < b ? a : b; v <= (a < b ? b : a); v++)
			vlan_set(c.allowed, v);
		if ((x >> 2 & 3) == 3)
			c.vid = (uint16_t)a;
		break;
	}
	rc = sw_port_set_vlan(&r->sw, &m->port, &c);
	FUZZ_ASSERT(rc == 0, "sw_port_set_vlan: %d", rc);
	FUZZ_ASSERT(m->port.vlan ? vlan_cfg_same(m->port.vlan, &c)
				 : c.mode == VLAN_MODE_NONE,
		    "port %u: mode not taken", m->port.id);
}

/*
 * Operand: x = source port (2 bits), destination (2), direction (2: 0
 * ends the session, else SW_MIRROR_RX, _TX, _BOTH). Both ports must be
 * attached, as the control command's are.
 */
static void op_mirror(struct run *r)
{
	uint8_t x = next(r);
	struct port *src = &r->mp[x & 3].port, *dst = &r->mp[x >> 2 & 3].port;
	unsigned dir = x >> 4 & 3;
	bool had = false;
	uint32_t k;
	int rc;

	if (!r->mp[x & 3].attached || !r->mp[x >> 2 & 3].attached)
		return;
	for (k = 0; k < r->sw.nmirrors; k++)
		had |= r->sw.mirrors[k].src == src &&
		       r->sw.mirrors[k].dst == dst;
	if (!dir) {
		rc = sw_mirror_remove(&r->sw, src, dst);
		FUZZ_ASSERT(rc == (had ? 0 : -ENOENT), "sw_mirror_remove: %d",
			    rc);
		return;
	}
	rc = sw_mirror_add(&r->sw, src, dst, dir);
	FUZZ_ASSERT(rc == (src == dst ? -EINVAL
			   : had      ? -EEXIST
				      : 0),
		    "sw_mirror_add: %d", rc);
}

static void step(struct run *r, uint8_t op)
{
	struct mock_port *m;

	switch (op % 17) {
	case 0:
	case 1:
		op_host_frame(r);
		break;
	case 2:
		op_raw_frame(r);
		break;
	case 3:
		end_batch(r);
		break;
	case 4:
		op_budget(r);
		break;
	case 5:
		op_attach(r);
		break;
	case 6:
		op_state(r);
		break;
	case 7:
		r->now += (uint64_t)next(r) * 64;
		break;
	case 8:
		sw_expire(&r->sw, r->now);
		break;
	case 9: /* the peer became writable: the loop flushes outside a batch */
		m = &r->mp[next(r) & 3];
		if (m->attached && r->nbatch == 0)
			mock_flush(&m->port);
		break;
	case 10:
		op_params(r);
		break;
	case 11:
		end_batch(r);
		sw_expire(&r->sw, r->now);
		break;
	case 13:
		op_impair(r);
		r->deep = true;
		break;
	case 14:
		op_release(r);
		r->deep = true;
		break;
	case 15:
		op_vlan(r);
		break;
	case 16:
		op_mirror(r);
		break;
	default: /* the transport could not delimit a frame */
		op = next(r);
		m = &r->mp[op & 3];
		if (m->attached)
			fwd_drop(&m->port, next(r),
				 op & 4 ? PORT_DROP_RX_FRAMING
					: PORT_DROP_RX_OVERSIZE);
		break;
	}
}

/*
 * The run and its switch, made on the first input and reused: every input
 * ends with all ports removed, and switch_fresh() empties the rest.
 */
static struct run *run_get(void)
{
	static struct run *r;
	struct sw_params prm;

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	FUZZ_ASSERT(r, "out of memory");
	sw_params_default(&prm);
	FUZZ_ASSERT(sw_init(&r->sw, &prm) == 0, "sw_init");
	return r;
}

/* As a new switch with @prm: core state by sw_reset(), the mocks here. */
static int switch_fresh(struct run *r, const struct sw_params *prm)
{
	int rc;

	FUZZ_ASSERT(r->nbatch == 0, "%u frames left from the last input",
		    r->nbatch);
	memset(r->mp, 0, sizeof(r->mp));
	r->now = 0;
	rc = sw_reset(&r->sw, prm);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "sw_reset: %d", rc);
	if (rc < 0)
		return rc;
	FUZZ_ASSERT(!r->sw.npending && !r->sw.nthrottled && !r->sw.nflood &&
			    !r->sw.nimpaired && !r->sw.mt.count &&
			    !r->sw.nmirrors && !r->sw.now_ms &&
			    !r->sw.table_full_latched,
		    "sw_reset left state behind");
	r->sw.event_cb = event_cb;
	r->sw.event_opaque = r;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r = run_get();
	struct sw_params prm;
	int i;

	if (size < 4)
		return 0;
	sw_params_default(&prm);
	params_from(&prm, data[0], data[1]);
	prm.ageing_ms = 1000 * (1 + (uint64_t)(data[2] & 7));
	prm.hold_down_ms = (uint64_t)(data[2] >> 3 & 3) * 500;
	prm.hash_secret = data[3];
	if (switch_fresh(r, &prm) < 0)
		return 0;
	r->in = data + 4;
	r->left = size - 4;
	for (i = 0; i < NP; i++) {
		r->mp[i].budget = BUDGET_ALL;
		r->mp[i].attached =
			sw_port_add(&r->sw, &r->mp[i].port, &mock_ops, 0) == 0;
	}
	check_all(r);
	while (r->left) {
		r->deep = false;
		step(r, next(r));
		check_all(r);
	}
	end_batch(r);
	r->deep = true;
	check_all(r);
	for (i = 0; i < NP; i++) {
		if (r->mp[i].attached)
			sw_port_remove(&r->sw, &r->mp[i].port);
		r->mp[i].attached = false;
	}
	check_all(r);
	return 0;
}
