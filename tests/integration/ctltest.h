/* SPDX-License-Identifier: MIT */
/*
 * ctltest.h - asserting helpers for the control socket tests
 *
 * On top of itest (daemon, stations) and ssctl (control client): connect
 * to the daemon under test, run a command that must succeed or fail in a
 * given way, wait for an event.
 */
#ifndef SOCKSWITCH_CTLTEST_H
#define SOCKSWITCH_CTLTEST_H

#include <jansson.h>

#include "itest.h"
#include "ssctl.h"

struct ss_ctl *ct_connect(struct itest_sw *sw);
json_t *ct_ok(struct ss_ctl *c, const char *cmd, json_t *args);
void ct_fails(struct ss_ctl *c, const char *cmd, json_t *args, const char *cls,
	      const char *desc_part);
json_t *ct_event(struct ss_ctl *c, const char *name);
json_t *ct_port(struct ss_ctl *c, int port);
long long ct_int(const json_t *o, const char *path);
json_t *ct_args_port(int port);
void ct_no_frame(struct itest_sta *to, int ms);

#endif /* SOCKSWITCH_CTLTEST_H */
