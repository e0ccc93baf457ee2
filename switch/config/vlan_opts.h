/* SPDX-License-Identifier: MIT */
/*
 * vlan_opts.h - port VLAN modes as text: an uplink spec's vlan=, trunk=,
 * native= options, and the "access N" / "trunk LIST [native N]" / "none"
 * form of sockswitchctl vlan and the port-vlan command
 */
#ifndef SWD_VLAN_OPTS_H
#define SWD_VLAN_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "sockswitch/vlan.h"

#define VLAN_SPEC_LEN 160 /* vlan_opts_spec_format() output, NUL incl. */

struct json_t;

int vlan_opts_vid(const char *what, long long v, uint16_t *out, char *err,
		  size_t errlen);
int vlan_opts_finish(struct vlan_cfg *c, bool have_vlan, bool have_trunk,
		     long native, const char **key, char *err, size_t errlen);
int vlan_opts_spec_split(char *spec, struct vlan_cfg *c, char *err,
			 size_t errlen);
void vlan_opts_spec_format(const struct vlan_cfg *c, char *buf, size_t size);
bool vlan_opts_json_key(const char *key);
int vlan_opts_from_json(struct json_t *obj, struct vlan_cfg *c,
			const char **key, long *index, char *err,
			size_t errlen);
int vlan_opts_parse_text(const char *s, struct vlan_cfg *c, char *err,
			 size_t errlen);

#endif /* SWD_VLAN_OPTS_H */
