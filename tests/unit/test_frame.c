// SPDX-License-Identifier: MIT
/*
 * test_frame.c - Ethernet parsing and MAC helpers
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/frame.h"

static const uint8_t untagged[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
				    0,	  0,	0,    0,    1,	  0x08, 0x06 };
static const uint8_t tagged[] = {
	0x02, 0, 0, 0,	  0,	2,    0x02, 0,	  0,
	0,    0, 1, 0x81, 0x00, 0xa0, 0x64, 0x86, 0xdd
};

Test(frame, parses_untagged_header_as_vlan_0)
{
	struct frame_info fi;

	cr_assert_eq(frame_parse(untagged, sizeof(untagged), &fi), 0);
	cr_assert_eq(fi.dst, untagged);
	cr_assert_eq(fi.src, untagged + 6);
	cr_assert_eq(fi.ethertype, 0x0806);
	cr_assert_eq(fi.vid, VLAN_UNTAGGED);
	cr_assert(!fi.tagged);
}

Test(frame, parses_8021q_tag_vid_and_inner_ethertype)
{
	struct frame_info fi;

	cr_assert_eq(frame_parse(tagged, sizeof(tagged), &fi), 0);
	cr_assert(fi.tagged);
	cr_assert_eq(fi.vid, 100, "PCP bits must be masked off");
	cr_assert_eq(fi.ethertype, 0x86dd);
}

Test(frame, rejects_runts_and_truncated_tags)
{
	struct frame_info fi;

	cr_assert_eq(frame_parse(untagged, 13, &fi), -EINVAL);
	cr_assert_eq(frame_parse(untagged, 0, &fi), -EINVAL);
	cr_assert_eq(frame_parse(tagged, 17, &fi), -EINVAL);
	cr_assert_eq(frame_parse(tagged, 18, &fi), 0);
}

Test(frame, classifies_addresses)
{
	uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	uint8_t uc[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint8_t zero[6] = { 0 };

	cr_assert(mac_is_broadcast(bc) && mac_is_multicast(bc));
	cr_assert(!mac_is_broadcast(mc) && mac_is_multicast(mc));
	cr_assert(!mac_is_multicast(uc) && !mac_is_zero(uc));
	cr_assert(mac_is_zero(zero));
}

Test(frame, parses_and_formats_mac)
{
	uint8_t mac[6];
	char buf[MAC_STRLEN];

	cr_assert_eq(mac_parse("52:54:00:AB:cd:0f", mac), 0);
	cr_assert_str_eq(mac_format(mac, buf), "52:54:00:ab:cd:0f");
	cr_assert_eq(mac_parse("52-54-00-ab-cd-0f", mac), 0);
	cr_assert_eq(mac_parse("52:54:00:ab:cd", mac), -EINVAL);
	cr_assert_eq(mac_parse("52:54:00:ab:cd:0f:", mac), -EINVAL);
	cr_assert_eq(mac_parse("g2:54:00:ab:cd:0f", mac), -EINVAL);
}
