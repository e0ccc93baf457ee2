/* SPDX-License-Identifier: MIT */
/*
 * frame.h - Ethernet frame parsing and MAC address helpers
 *
 * The only place that looks inside a frame's header. Every accessor checks
 * the length first; nothing here allocates, logs or does I/O.
 */
#ifndef SOCKSWITCH_FRAME_H
#define SOCKSWITCH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAC_LEN 6
#define MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff" plus NUL */

/* Smallest frame we forward: destination, source, EtherType. */
#define FRAME_MIN_LEN 14
/* Default largest frame: 65535 bytes of IP payload plus an Ethernet header
 * and two VLAN tags (protocols.md section 10). */
#define FRAME_MAX_LEN_DEFAULT 65550
/* QEMU's NET_BUFSIZE: a QEMU peer drops the connection above this. */
#define FRAME_MAX_LEN_LIMIT 69632

#define ETH_P_8021Q_TPID 0x8100
#define VLAN_UNTAGGED 0 /* the VLAN that untagged frames are keyed under */
#define VLAN_VID_MASK 0x0fff

/**
 * struct frame_info - what the switch needs to know about a frame
 * @dst:	destination MAC (points into the frame)
 * @src:	source MAC (points into the frame)
 * @vid:	802.1Q VLAN id, or VLAN_UNTAGGED for untagged and priority-tagged
 * @ethertype:	EtherType after any 802.1Q tag (host order)
 * @tagged:	true if the frame carries an 802.1Q tag
 */
struct frame_info {
	const uint8_t *dst;
	const uint8_t *src;
	uint16_t vid;
	uint16_t ethertype;
	bool tagged;
};

int frame_parse(const uint8_t *frame, size_t len, struct frame_info *fi);

/** mac_is_multicast() - group bit set (includes broadcast) */
static inline bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 0x01;
}

/** mac_is_broadcast() - ff:ff:ff:ff:ff:ff */
static inline bool mac_is_broadcast(const uint8_t *mac)
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

/** mac_is_zero() - 00:00:00:00:00:00, never a valid source */
static inline bool mac_is_zero(const uint8_t *mac)
{
	uint32_t a;
	uint16_t b;

	memcpy(&a, mac, sizeof(a));
	memcpy(&b, mac + 4, sizeof(b));
	return (a | b) == 0;
}
int mac_parse(const char *s, uint8_t mac[static MAC_LEN]);
char *mac_format(const uint8_t *mac, char buf[static MAC_STRLEN]);

#endif /* SOCKSWITCH_FRAME_H */
