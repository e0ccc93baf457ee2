/* SPDX-License-Identifier: MIT */
/*
 * vxlan_opts.h - a VXLAN uplink's options: the spec's vni=, remote=,
 * local=, port=, ttl= and the same keys of a "vxlan" uplink object
 */
#ifndef SWD_VXLAN_OPTS_H
#define SWD_VXLAN_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

#define VXLAN_USAGE \
	"vxlan,vni=N,remote=ADDR[,remote=ADDR...][,local=ADDR][,port=P][,ttl=N]"
#define VXLAN_ADDR_LEN 48 /* vxlan_addr_str() output, NUL included */
#define VXLAN_SPEC_LEN 160 /* vxlan_opts_spec_format() output */

struct json_t;

void vxlan_opts_init(struct uplink_vxlan *x);
int vxlan_opts_set(struct uplink_vxlan *x, const char *key, const char *val,
		   unsigned *seen, char *err, size_t errlen);
int vxlan_opts_finish(struct uplink_vxlan *x, unsigned seen, const char **key,
		      char *err, size_t errlen);
int vxlan_opts_parse_spec(struct uplink_vxlan *x, const char *opts, char *err,
			  size_t errlen);
int vxlan_opts_from_json(struct json_t *obj, struct uplink_vxlan *x,
			 const char **key, long *index, char *err,
			 size_t errlen);
bool vxlan_opts_json_key(const char *key);
void vxlan_opts_spec_format(const struct uplink_vxlan *x, size_t i, char *buf,
			    size_t len);
const char *vxlan_addr_str(const struct vxlan_addr *a, char *buf, size_t len);
bool vxlan_addr_same(const struct vxlan_addr *a, const struct vxlan_addr *b);

#endif /* SWD_VXLAN_OPTS_H */
