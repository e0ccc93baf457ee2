/* SPDX-License-Identifier: MIT */
/*
 * vlan.h - port VLAN modes: access, trunk, or none (every VLAN as it is)
 *
 * The decisions are pure functions of a port's mode and a frame's header
 * (vlan_classify(), vlan_egress()), so the unit tests can table them. The
 * switch keeps, only while some port has a mode, one member list per VLAN
 * in use plus the list of up ports without a mode (struct sw_vlan), and a
 * scratch store for the retagged copies of the frames of a batch.
 */
#ifndef SOCKSWITCH_VLAN_H
#define SOCKSWITCH_VLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockswitch/frame.h"
#include "sockswitch/port.h"

#define VLAN_VID_MIN 1
#define VLAN_VID_MAX 4094
#define VLAN_IDS 4096
#define VLAN_WORDS (VLAN_IDS / 64)
#define VLAN_TAG_LEN 4
#define VLAN_TEXT_MAX 256 /* vlan_cfg_format(): longer lists end in "..." */

struct sw;

/**
 * enum vlan_mode - how a port treats VLANs
 * @VLAN_MODE_NONE:	every VLAN, frames as they are (untagged is VLAN 0)
 * @VLAN_MODE_ACCESS:	one VLAN, untagged on the wire; tagged frames in
 *			are dropped (rx_vlan_tagged)
 * @VLAN_MODE_TRUNK:	the listed VLANs, tagged on the wire, but the
 *			native one (if any) untagged
 */
enum vlan_mode {
	VLAN_MODE_NONE,
	VLAN_MODE_ACCESS,
	VLAN_MODE_TRUNK,
};

/**
 * struct vlan_cfg - one port's VLAN mode
 * @mode:	the mode
 * @vid:	access: the VLAN; trunk: the native VLAN, or 0 for none
 * @allowed:	trunk: bitmap of the VLANs carried (the native one among
 *		them); access: just @vid
 */
struct vlan_cfg {
	enum vlan_mode mode;
	uint16_t vid;
	uint64_t allowed[VLAN_WORDS];
};

/**
 * enum vlan_tagging - the form a frame leaves a port in
 * @VLAN_UNTAGGED_FORM:	no tag
 * @VLAN_TAGGED_FORM:	one 802.1Q tag with the frame's VLAN
 * @VLAN_OTHER_FORM:	neither (a priority-tagged frame from a port with
 *			a mode): never an egress form, only an ingress one
 */
enum vlan_tagging {
	VLAN_UNTAGGED_FORM,
	VLAN_TAGGED_FORM,
	VLAN_OTHER_FORM,
};

static inline bool vlan_has(const uint64_t *map, unsigned vid)
{
	return map[vid / 64] >> (vid % 64) & 1;
}

static inline void vlan_set(uint64_t *map, unsigned vid)
{
	map[vid / 64] |= 1ULL << (vid % 64);
}

void vlan_cfg_none(struct vlan_cfg *c);
void vlan_cfg_access(struct vlan_cfg *c, uint16_t vid);
void vlan_cfg_trunk(struct vlan_cfg *c);
const char *vlan_cfg_check(const struct vlan_cfg *c);
bool vlan_cfg_same(const struct vlan_cfg *a, const struct vlan_cfg *b);
int vlan_list_parse(struct vlan_cfg *c, const char *s, char sep,
		    const char **err);
const char *vlan_mode_name(enum vlan_mode m);
size_t vlan_list_format(const struct vlan_cfg *c, char *buf, size_t size,
			char sep);
size_t vlan_cfg_format(const struct vlan_cfg *c, char *buf, size_t size);

/**
 * vlan_carries() - does a port in mode @c carry VLAN @vid
 * @c:		the mode, NULL for none (every VLAN)
 * @vid:	the VLAN
 */
static inline bool vlan_carries(const struct vlan_cfg *c, uint16_t vid)
{
	return !c || vlan_has(c->allowed, vid);
}

#define ETH_P_8021AD_TPID 0x88a8
#define ETH_P_QINQ_TPID 0x9100

static inline uint16_t vlan_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * vlan_classify() - the VLAN a frame received on a port with mode @c is in
 * @c:		the port's mode (not NONE)
 * @frame:	the frame
 * @len:	its length
 * @fi:		filled in on success: addresses, @fi->vid the frame's VLAN,
 *		@fi->tagged whether it came with a tag (VID 0 included)

 * @form:	the form it came in: untagged, tagged with its VLAN, or
 *		other (priority-tagged)
 *
 * Inline: it runs for every frame of a port with a mode. The source
 * address is not checked here: the switch drops a multicast or all-zero
 * one as rx_bad_src when learning ignores it.
 *
 * Return: -1 if the frame is to be forwarded, else the enum port_drop
 * reason it is dropped for (@fi->ethertype is not set)
 */
static inline int vlan_classify(const struct vlan_cfg *c, const uint8_t *frame,
				size_t len, struct frame_info *fi,
				enum vlan_tagging *form)
{
	uint16_t type, vid;

	if (len < FRAME_MIN_LEN)
		return PORT_DROP_RX_RUNT;
	fi->dst = frame;
	fi->src = frame + MAC_LEN;
	type = vlan_get16(frame + 12);
	if (type != ETH_P_8021Q_TPID) { /* untagged: the common case */
		if (type == ETH_P_8021AD_TPID || type == ETH_P_QINQ_TPID)
			return PORT_DROP_RX_VLAN_BAD;
		if (!c->vid) /* a trunk without a native VLAN */
			return PORT_DROP_RX_VLAN_UNTAGGED;
		fi->tagged = false;
		fi->vid = c->vid;
		*form = VLAN_UNTAGGED_FORM;
		return -1;
	}
	if (len < FRAME_MIN_LEN + VLAN_TAG_LEN)
		return PORT_DROP_RX_VLAN_BAD; /* a tag cut short */
	vid = vlan_get16(frame + 14) & VLAN_VID_MASK;
	type = vlan_get16(frame + 16);
	if (vid == VLAN_VID_MASK || type == ETH_P_8021Q_TPID ||
	    type == ETH_P_8021AD_TPID || type == ETH_P_QINQ_TPID)
		return PORT_DROP_RX_VLAN_BAD; /* VID 4095, a second tag */
	fi->tagged = true;
	if (!vid) { /* priority-tagged: as untagged */
		if (!c->vid)
			return PORT_DROP_RX_VLAN_UNTAGGED;
		fi->vid = c->vid;
		*form = VLAN_OTHER_FORM;
		return -1;
	}
	if (c->mode == VLAN_MODE_ACCESS)
		return PORT_DROP_RX_VLAN_TAGGED;
	if (!vlan_has(c->allowed, vid))
		return PORT_DROP_RX_VLAN_NOT_ALLOWED;
	fi->vid = vid;
	*form = VLAN_TAGGED_FORM;
	return -1;
}

/**
 * vlan_egress() - the form a frame of VLAN @vid leaves a port in
 * @c:		the port's mode, NULL for none
 * @vid:	the frame's VLAN, one the port carries
 *
 * Return: VLAN_UNTAGGED_FORM (an access port, a trunk's native VLAN, VLAN
 * 0 on a port without a mode) or VLAN_TAGGED_FORM
 */
static inline enum vlan_tagging vlan_egress(const struct vlan_cfg *c,
					    uint16_t vid)
{
	if (!c)
		return vid ? VLAN_TAGGED_FORM : VLAN_UNTAGGED_FORM;
	return c->vid == vid ? VLAN_UNTAGGED_FORM : VLAN_TAGGED_FORM;
}

/**
 * vlan_port_egress() - vlan_egress() for port @p, from p->pvid
 * @p:		the port (p->pvid is its access or native VLAN, else 0)
 * @vid:	the frame's VLAN, one the port carries
 *
 * Return: VLAN_UNTAGGED_FORM if @vid is p->pvid, else VLAN_TAGGED_FORM:
 * the same answer as vlan_egress(p->vlan, @vid) with one load
 */
static inline enum vlan_tagging vlan_port_egress(const struct port *p,
						 uint16_t vid)
{
	return p->pvid == vid ? VLAN_UNTAGGED_FORM : VLAN_TAGGED_FORM;
}

/**
 * struct vlan_list - the up ports with a mode that carry one VLAN
 * @p:		the ports, dense, in no particular order
 * @n:		how many are listed
 * @cap:	room in @p: at least @ref, so listing never allocates
 * @ref:	attached ports with a mode that carry the VLAN, up or not
 */
struct vlan_list {
	struct port **p;
	uint32_t n;
	uint32_t cap;
	uint32_t ref;
};

/**
 * struct vlan_scratch - a chunk of retagged copies, kept until sw_flush()
 * @next:	the next chunk, or NULL
 * @cap:	bytes in @data
 * @used:	bytes taken
 * @data:	copies, each just after its TXQ_HDR_LEN-byte stream header
 */
struct vlan_scratch {
	struct vlan_scratch *next;
	size_t cap;
	size_t used;
	uint8_t data[];
};

/**
 * struct sw_vlan - the switch's VLAN state, there while a port has a mode
 * @any:	up ports without a mode (they carry every VLAN), dense
 * @nany:	how many
 * @nmoded:	attached ports with a mode
 * @scratch:	newest chunk of copies (a list through ->next, older ones
 *		after it), or NULL
 * @vl:		per VLAN: the up ports with a mode that carry it
 */
struct sw_vlan {
	struct port **any;
	uint32_t nany;
	uint32_t nmoded;
	struct vlan_scratch *scratch;
	struct vlan_list vl[VLAN_IDS];
};

int sw_port_set_vlan(struct sw *sw, struct port *p, const struct vlan_cfg *c);
void sw_vlan_port_up(struct sw *sw, struct port *p, bool up);
void sw_vlan_port_removed(struct sw *sw, struct port *p);
int sw_vlan_reserve(struct sw *sw, size_t len);
const uint8_t *sw_vlan_retag(struct sw *sw, const uint8_t *frame, size_t len,
			     const struct frame_info *fi,
			     enum vlan_tagging form, size_t *out_len);
void sw_vlan_batch_end(struct sw *sw);
void sw_vlan_fini(struct sw *sw);

#endif /* SOCKSWITCH_VLAN_H */
