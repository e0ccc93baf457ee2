// SPDX-License-Identifier: MIT
/*
 * frame.c - Ethernet frame parsing and MAC address helpers
 *
 * Recognises an 802.1Q tag so the MAC table can key on {VLAN, MAC}.
 * Untagged and priority-tagged (VID 0) frames are keyed as VLAN 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sockswitch/frame.h"

/**
 * frame_parse() - find the addresses, VLAN and EtherType of a frame
 * @frame:	the frame, starting at the destination MAC
 * @len:	its length
 * @fi:		filled in on success
 *
 * Return: 0 on success, -EINVAL if the frame is shorter than an Ethernet
 * header (or than a tagged header when it carries an 802.1Q TPID)
 */
int frame_parse(const uint8_t *frame, size_t len, struct frame_info *fi)
{
	uint16_t type;

	if (len < FRAME_MIN_LEN)
		return -EINVAL;
	fi->dst = frame;
	fi->src = frame + MAC_LEN;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	fi->tagged = false;
	fi->vid = VLAN_UNTAGGED;
	if (type == ETH_P_8021Q_TPID) {
		if (len < FRAME_MIN_LEN + 4)
			return -EINVAL;
		fi->tagged = true;
		fi->vid = (uint16_t)((frame[14] << 8 | frame[15]) &
				     VLAN_VID_MASK);
		type = (uint16_t)(frame[16] << 8 | frame[17]);
	}
	fi->ethertype = type;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * mac_parse() - parse "aa:bb:cc:dd:ee:ff" (or with '-')
 * @s:		the text
 * @mac:	the address
 *
 * Return: 0 on success, -EINVAL if @s is not exactly a MAC address
 */
int mac_parse(const char *s, uint8_t mac[static MAC_LEN])
{
	int i;

	for (i = 0; i < MAC_LEN; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < MAC_LEN - 1) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	return *s == '\0' ? 0 : -EINVAL;
}

/**
 * mac_format() - write a MAC address as lower-case colon-separated hex
 * @mac:	the address
 * @buf:	output, MAC_STRLEN bytes
 *
 * Return: @buf
 */
char *mac_format(const uint8_t *mac, char buf[static MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
