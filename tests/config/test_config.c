// SPDX-License-Identifier: MIT
/*
 * test_config.c - config.c: keys, defaults, errors and their positions
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * Each test writes its JSON into a fresh temporary directory and loads it.
 * Error tests compare the whole message after "FILE:", so the line, the
 * column and the JSON path are all checked.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "cfgtest.h"
#include "sockswitchd.h"

TestSuite(config, .init = cfgtest_setup, .fini = cfgtest_teardown);

static int load(struct swd_config *c, const char *json, char *err,
		size_t errlen)
{
	cfgtest_write(json);
	return config_load(c, cfgtest_file, err, errlen);
}

/* Everything in a fresh config that a failed load must not touch. */
static void assert_default(const struct swd_config *c)
{
	struct sw_params d;

	sw_params_default(&d);
	cr_assert_null(c->path);
	cr_assert_null(c->listen);
	cr_assert_eq(c->nlisten, 0);
	cr_assert_eq(c->listen_set, false);
	cr_assert_eq(c->core.mac_table_size, d.mac_table_size);
	cr_assert_eq(c->core.ageing_ms, d.ageing_ms);
	cr_assert_eq(c->core.hold_down_ms, d.hold_down_ms);
	cr_assert_eq(c->core.max_ports, d.max_ports);
	cr_assert_eq(c->core.max_frame, d.max_frame);
	cr_assert_eq(c->core.txq_frames, d.txq_frames);
	cr_assert_eq(c->core.txq_bytes, d.txq_bytes);
	cr_assert_eq(c->core.hub, d.hub);
	cr_assert_eq(c->socket_mode, 0600);
	cr_assert_eq(c->log_level, LOG_LVL_INFO);
	cr_assert_null(c->pidfile);
	cr_assert_eq(c->daemon, false);
}

/**
 * expect_error() - loading @json fails with "FILE:" @want, config untouched
 * @json:	file contents
 * @want:	message after the file name and its colon
 */
static void expect_error(const char *json, const char *want)
{
	struct swd_config c;
	char err[1024], full[PATH_MAX + 1200];

	config_init(&c);
	cr_assert_eq(load(&c, json, err, sizeof(err)), -EINVAL, "%s", err);
	snprintf(full, sizeof(full), "%s:%s", cfgtest_file, want);
	cr_assert_str_eq(err, full);
	assert_default(&c);
	config_fini(&c);
}

/* ---- defaults and every key ---------------------------------------------- */

Test(config, init_sets_documented_defaults)
{
	struct swd_config c;

	config_init(&c);
	assert_default(&c);
	cr_assert_eq(c.core.mac_table_size, SW_MAC_TABLE_DEFAULT);
	cr_assert_eq(c.core.ageing_ms, SW_AGEING_DEFAULT_S * 1000ull);
	cr_assert_eq(c.core.max_ports, SW_MAX_PORTS_DEFAULT);
	config_fini(&c);
}

Test(config, queue_budget_default_is_a_sixteenth_of_memory_within_bounds)
{
	struct swd_config c;

	config_init(&c);
	cr_assert_eq(c.core.queue_budget, 0, "the daemon fills it in");
	cr_assert_eq(c.capture_budget, 64ull << 20);
	config_fini(&c);
	cr_assert_eq(config_default_queue_budget(0), 64ull << 20);
	cr_assert_eq(config_default_queue_budget(512ull << 20), 64ull << 20);
	cr_assert_eq(config_default_queue_budget(4ull << 30), 256ull << 20);
	cr_assert_eq(config_default_queue_budget(16ull << 30), 1ull << 30);
	cr_assert_eq(config_default_queue_budget(1ull << 40), 1ull << 30);
}

Test(config, empty_object_keeps_defaults_and_records_path)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, "{}\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.path, cfgtest_file);
	free(c.path);
	c.path = NULL;
	assert_default(&c);
	config_fini(&c);
}

static const char every_key[] =
	"{\n"
	"  \"listen\": [\"unix:/run/user/1000/sw.sock\",\n"
	"             \"tcp:127.0.0.1:1234\", \"tcp:[::1]:0\",\n"
	"             {\"url\": \"unix:/tmp/x.sock\", \"mode\": \"0660\",\n"
	"              \"group\": \"root\"},\n"
	"             {\"url\": \"unix:/tmp/y.sock\", \"group\": 1234},\n"
	"             {\"url\": \"unix:/tmp/z.sock\", \"group\": \"4321\"}],\n"
	"  \"hub\": true,\n"
	"  \"mac_table_size\": 100,\n"
	"  \"mac_port_share\": 10,\n"
	"  \"ageing\": 60,\n"
	"  \"mac_hold_down_ms\": 0,\n"
	"  \"max_ports\": 7,\n"
	"  \"max_frame\": 1518,\n"
	"  \"tx_queue_frames\": 16,\n"
	"  \"tx_queue_bytes\": 1518,\n"
	"  \"queue_budget\": 2097152,\n"
	"  \"capture_budget\": 1048576,\n"
	"  \"socket_mode\": \"0666\",\n"
	"  \"log_level\": \"debug\",\n"
	"  \"pidfile\": \"/run/user/1000/sw.pid\",\n"
	"  \"daemon\": true\n"
	"}\n";

Test(config, parses_every_key)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, every_key, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.core.hub, true);
	cr_assert_eq(c.core.mac_table_size, 100);
	cr_assert_eq(c.core.mac_port_share, 10);
	cr_assert_eq(c.core.ageing_ms, 60000);
	cr_assert_eq(c.core.hold_down_ms, 0);
	cr_assert_eq(c.core.max_ports, 7);
	cr_assert_eq(c.core.max_frame, 1518);
	cr_assert_eq(c.core.txq_frames, 16);
	cr_assert_eq(c.core.txq_bytes, 1518);
	cr_assert_eq(c.core.queue_budget, 2097152);
	cr_assert_eq(c.capture_budget, 1048576);
	cr_assert_eq(c.socket_mode, 0666);
	cr_assert_eq(c.log_level, LOG_LVL_DEBUG);
	cr_assert_str_eq(c.pidfile, "/run/user/1000/sw.pid");
	cr_assert_eq(c.daemon, true);
	config_fini(&c);
}

Test(config, parses_listener_forms)
{
	struct swd_config c;
	struct listen_cfg *l;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, every_key, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.listen_set, true);
	cr_assert_eq(c.nlisten, 6);
	l = c.listen;
	cr_assert_str_eq(l[0].url, "unix:/run/user/1000/sw.sock");
	cr_assert_eq(l[0].addr.kind, LISTEN_UNIX);
	cr_assert_str_eq(l[0].addr.path, "/run/user/1000/sw.sock");
	cr_assert_eq(l[0].mode, CONFIG_MODE_UNSET);
	cr_assert_eq(l[0].group, CONFIG_GID_UNSET);
	cr_assert_eq(l[1].addr.kind, LISTEN_TCP);
	cr_assert_str_eq(l[1].addr.host, "127.0.0.1");
	cr_assert_eq(l[1].addr.port, 1234);
	cr_assert_str_eq(l[2].addr.host, "::1");
	cr_assert_eq(l[2].addr.port, 0);
	cr_assert_str_eq(l[3].url, "unix:/tmp/x.sock");
	cr_assert_eq(l[3].mode, 0660);
	cr_assert_eq(l[3].group, 0); /* root */
	cr_assert_eq(l[4].mode, CONFIG_MODE_UNSET);
	cr_assert_eq(l[4].group, 1234);
	cr_assert_eq(l[5].group, 4321);
	config_fini(&c);
}

/* A datagram listener's own "max_ports": parsed, kept by a copy, refused
 * out of range; 0 (unset) in the other forms. */
Test(config, listener_max_ports)
{
	static const char text[] =
		"{\"listen\": [{\"url\": \"udp:127.0.0.1:0\", \"max_ports\": 3},\n"
		"  {\"url\": \"unixgram:/tmp/g.sock\", \"max_ports\": 65535},\n"
		"  \"udp:127.0.0.1:1\"]}";
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.nlisten, 3);
	cr_assert_eq(c.listen[0].max_ports, 3);
	cr_assert_eq(c.listen[1].max_ports, 65535);
	cr_assert_eq(c.listen[2].max_ports, 0);
	/* A load works on a copy: a file without "listen" keeps them. */
	cr_assert_eq(load(&c, "{\"hub\": true}", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.listen[0].max_ports, 3);
	cr_assert_eq(c.listen[1].max_ports, 65535);
	cr_assert_lt(load(&c,
			  "{\"listen\": [{\"url\": \"udp:127.0.0.1:0\", "
			  "\"max_ports\": 0}]}",
			  err, sizeof(err)),
		     0);
	cr_assert_not_null(strstr(err, "is not 1-65535"), "%s", err);
	cr_assert_lt(load(&c,
			  "{\"listen\": [{\"url\": \"vde:/tmp/v\", "
			  "\"max_ports\": 2}]}",
			  err, sizeof(err)),
		     0);
	cr_assert_not_null(strstr(err, "only to udp: and unixgram:"), "%s",
			   err);
	config_fini(&c);
}

/* A listener's "max_macs": any kind, kept by a copy, 0 when unset; 0,
 * negative, too large and non-integers refused with the key named. */
Test(config, listener_max_macs)
{
	static const char text[] =
		"{\"listen\": [{\"url\": \"unix:/tmp/a\", \"max_macs\": 4},\n"
		"  {\"url\": \"vde:/tmp/v\", \"max_macs\": 16777216},\n"
		"  \"udp:127.0.0.1:1\"]}";
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.listen[0].max_macs, 4);
	cr_assert_eq(c.listen[1].max_macs, 16777216);
	cr_assert_eq(c.listen[2].max_macs, 0);
	cr_assert_eq(load(&c, "{\"hub\": true}", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.listen[0].max_macs, 4);
	config_fini(&c);
	expect_error("{\"listen\": [\n"
		     "  {\"url\": \"unix:/tmp/a\", \"max_macs\": 0}]}",
		     "2:38: $.listen[0].max_macs: max_macs `0' is not "
		     "1-16777216 (leave the key out for no limit)");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"max_macs\": -3}]}",
		     "1:52: $.listen[0].max_macs: max_macs `-3' is not "
		     "1-16777216 (leave the key out for no limit)");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"max_macs\": 16777217}]}",
		     "1:52: $.listen[0].max_macs: max_macs `16777217' is not "
		     "1-16777216 (leave the key out for no limit)");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"max_macs\": \"4\"}]}",
		     "1:52: $.listen[0].max_macs: expected an integer "
		     "1-16777216, got a string");
}

/* A listener's "broadcast_limit" (storm control): any kind, kept by a
 * copy, 0 when unset; 0, negative, over 10000000 and non-integers
 * refused with the key named. */
Test(config, listener_broadcast_limit)
{
	static const char text[] =
		"{\"listen\": [{\"url\": \"unix:/tmp/a\", \"broadcast_limit\": 100},\n"
		"  {\"url\": \"udp:127.0.0.1:1\", \"broadcast_limit\": 10000000},\n"
		"  {\"url\": \"vde:/tmp/v\", \"broadcast_limit\": 1},\n"
		"  \"tcp:127.0.0.1:1\"]}";
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, text, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.listen[0].broadcast_limit, 100);
	cr_assert_eq(c.listen[1].broadcast_limit, 10000000);
	cr_assert_eq(c.listen[2].broadcast_limit, 1);
	cr_assert_eq(c.listen[3].broadcast_limit, 0);
	cr_assert_eq(load(&c, "{\"hub\": true}", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.listen[0].broadcast_limit, 100);
	cr_assert_eq(c.listen[3].broadcast_limit, 0);
	config_fini(&c);
	expect_error("{\"listen\": [\n"
		     "  {\"url\": \"unix:/tmp/a\", \"broadcast_limit\": 0}]}",
		     "2:45: $.listen[0].broadcast_limit: broadcast_limit `0' "
		     "is not 1-10000000 frames per second (leave the key out "
		     "for no limit)");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"broadcast_limit\": -5}]}",
		     "1:59: $.listen[0].broadcast_limit: broadcast_limit `-5' "
		     "is not 1-10000000 frames per second (leave the key out "
		     "for no limit)");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"broadcast_limit\": 10000001}]}",
		     "1:59: $.listen[0].broadcast_limit: broadcast_limit "
		     "`10000001' is not 1-10000000 frames per second (leave "
		     "the key out for no limit)");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"broadcast_limit\": 1.5}]}",
		     "1:59: $.listen[0].broadcast_limit: expected an integer "
		     "1-10000000, got a real number");
}

Test(config, listen_key_replaces_earlier_listeners)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(config_add_listen(&c, "tcp:127.0.0.1:1", CONFIG_MODE_UNSET,
				       CONFIG_GID_UNSET, err, sizeof(err)),
		     0);
	cr_assert_eq(
		load(&c, "{\"listen\": [\"unix:/tmp/a\"]}", err, sizeof(err)),
		0, "%s", err);
	cr_assert_eq(c.nlisten, 1);
	cr_assert_str_eq(c.listen[0].url, "unix:/tmp/a");
	config_fini(&c);
}

Test(config, absent_keys_keep_current_values)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, every_key, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(load(&c, "{\"max_ports\": 9}", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.core.max_ports, 9);
	cr_assert_eq(c.core.max_frame, 1518);
	cr_assert_eq(c.nlisten, 6);
	cr_assert_str_eq(c.pidfile, "/run/user/1000/sw.pid");
	config_fini(&c);
}

Test(config, failed_load_leaves_config_unchanged)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, every_key, err, sizeof(err)), 0, "%s", err);
	/* Valid keys first, so the temporary copy is changed before failing. */
	cr_assert_eq(load(&c,
			  "{\"listen\": [\"tcp:127.0.0.1:9\"], \"pidfile\": "
			  "\"/tmp/other.pid\", \"max_ports\": 3, \"hub\": 0}",
			  err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(c.nlisten, 6);
	cr_assert_str_eq(c.listen[0].url, "unix:/run/user/1000/sw.sock");
	cr_assert_str_eq(c.pidfile, "/run/user/1000/sw.pid");
	cr_assert_eq(c.core.max_ports, 7);
	cr_assert_eq(c.core.hub, true);
	cr_assert_str_eq(c.path, cfgtest_file);
	config_fini(&c);
}

/* ---- errors, each class with its position ------------------------------- */

Test(config, missing_file_is_reported)
{
	struct swd_config c;
	char err[512], want[PATH_MAX + 64];

	config_init(&c);
	cr_assert_eq(config_load(&c, cfgtest_file, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want),
		 "%s: cannot open: No such file or directory", cfgtest_file);
	cr_assert_str_eq(err, want);
	assert_default(&c);
}

Test(config, directory_is_reported)
{
	struct swd_config c;
	char err[512], want[PATH_MAX + 64];

	config_init(&c);
	cr_assert_eq(config_load(&c, cfgtest_dir, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory",
		 cfgtest_dir);
	cr_assert_str_eq(err, want);
	assert_default(&c);
}

Test(config, oversized_file_is_refused)
{
	struct swd_config c;
	char err[512], want[PATH_MAX + 64];
	FILE *f = fopen(cfgtest_file, "w");
	size_t i;

	cr_assert_not_null(f);
	for (i = 0; i < 1100; i++)
		fprintf(f, "%01023d\n", 0);
	cr_assert_eq(fclose(f), 0);
	config_init(&c);
	cr_assert_eq(config_load(&c, cfgtest_file, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes",
		 cfgtest_file);
	cr_assert_str_eq(err, want);
	assert_default(&c);
}

Test(config, crlf_line_ends_count_like_jansson)
{
	expect_error("{\r\n  \"hub\": true,\r\n  \"daemon\": 2\r\n}\r\n",
		     "3:13: $.daemon: expected true or false, got an integer");
}

Test(config, syntax_error_comes_from_jansson)
{
	expect_error("{\n  \"hub\": true,\n}\n",
		     "3:1: string or '}' expected near '}'");
}

Test(config, duplicate_key_is_an_error)
{
	expect_error("{\n  \"hub\": true,\n  \"hub\": false\n}\n",
		     "3:7: duplicate object key near '\"hub\"'");
}

Test(config, top_level_must_be_an_object)
{
	expect_error("\n  [\"unix:/tmp/a\"]\n",
		     "2:3: $: expected an object, got an array");
}

Test(config, unknown_top_level_key_points_at_the_key)
{
	expect_error("{\n  \"hub\": false,\n  \"max-ports\": 4\n}\n",
		     "3:3: $.max-ports: unknown key");
}

Test(config, unknown_key_with_odd_characters_is_escaped_and_located)
{
	expect_error("{\"hub\": false, \"a\\\"b\\n\\u00e9\": 1}",
		     "1:16: $[\"a\\\"b\\u000aé\"]: unknown key");
}

Test(config, overlong_unknown_key_is_reported_without_position)
{
	struct swd_config c;
	char json[1200], err[2048];
	size_t n;

	memset(json, 0, sizeof(json));
	json[0] = '{';
	json[1] = '"';
	memset(json + 2, 'k', 1000);
	strcat(json, "\": 1}");
	config_init(&c);
	cr_assert_eq(load(&c, json, err, sizeof(err)), -EINVAL);
	n = strlen(cfgtest_file);
	cr_assert_eq(strncmp(err, cfgtest_file, n), 0);
	cr_assert_eq(strncmp(err + n, ": $.kkk", 7), 0, "%s", err);
	cr_assert_not_null(strstr(err, "kkk...: unknown key"), "%s", err);
	assert_default(&c);
}

/* A listener's "impair" object: numbers without units, strings with
 * them; kept by a copy; errors name the key and where it is. */
Test(config, listener_impair)
{
	static const char text[] =
		"{\"listen\": [{\"url\": \"unix:/tmp/i.sock\",\n"
		"  \"impair\": {\"loss\": 2.5, \"delay\": \"40ms\", \"jitter\": 5,\n"
		"  \"rate\": \"10mbit\", \"seed\": 7}}, \"unix:/tmp/j.sock\"]}";
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, text, err, sizeof(err)), 0, "%s", err);
	cr_assert(c.listen[0].impair.on);
	cr_assert(c.listen[0].impair.seeded);
	cr_assert_eq(c.listen[0].impair.cfg.loss, 25000);
	cr_assert_eq(c.listen[0].impair.cfg.delay_ms, 40);
	cr_assert_eq(c.listen[0].impair.cfg.jitter_ms, 5);
	cr_assert_eq(c.listen[0].impair.cfg.rate_bps, 10000000);
	cr_assert_eq(c.listen[0].impair.cfg.seed, 7);
	cr_assert(!c.listen[1].impair.on);
	/* A load works on a copy: a file without "listen" keeps them. */
	cr_assert_eq(load(&c, "{\"hub\": true}", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.listen[0].impair.cfg.delay_ms, 40);
	config_fini(&c);
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"impair\": {\"loss\": \"150%\"}}]}",
		     "2:22: $.listen[0].impair.loss: loss: `150%' is not a "
		     "percentage from 0 to 100 (up to four decimals, e.g. 1% "
		     "or 0.5%)");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"impair\": {\"reorder\": 5}}]}",
		     "2:13: $.listen[0].impair: reorder needs a delay: "
		     "reordered frames are the ones sent without it (e.g. "
		     "delay=10ms reorder=25%)");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"impair\": {\"latency\": 5}}]}",
		     "2:25: $.listen[0].impair.latency: unknown impairment "
		     "`latency' (loss, delay, jitter, reorder, duplicate, "
		     "corrupt, rate, mtu or seed)");
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		"  \"impair\": [\"loss=1%\"]}]}",
		"2:13: $.listen[0].impair: expected an object of "
		"settings, e.g. {\"loss\": \"1%\", \"delay\": \"20ms\"}, got an "
		"array");
}

Test(config, unknown_listener_key)
{
	expect_error(
		"{\"listen\": [\"unix:/tmp/a\",\n"
		"  {\"url\": \"unix:/tmp/b\", \"owner\": \"me\"}]}",
		"2:26: $.listen[1].owner: unknown key "
		"(expected url, mode, group, allow_uids, allow_gids, allow_any_uid, max_ports, max_macs, broadcast_limit, impair, vlan, trunk, native, edge or bpdu_guard)");
}

/* A listener's VLAN mode: "vlan" (access), "trunk" with ranges and
 * "native"; kept by a copy; bad ones refused with FILE:LINE:COL and the
 * key named. */
Test(config, listener_vlan)
{
	static const char text[] =
		"{\"listen\": [{\"url\": \"unix:/tmp/v.sock\", \"vlan\": 10},\n"
		"  {\"url\": \"unix:/tmp/t.sock\", \"trunk\": [10, \"20-29\"],\n"
		"   \"native\": 25}, \"unix:/tmp/n.sock\"]}";
	struct swd_config c;
	char err[512], buf[VLAN_TEXT_MAX];

	config_init(&c);
	cr_assert_eq(load(&c, text, err, sizeof(err)), 0, "%s", err);
	vlan_cfg_format(&c.listen[0].vlan, buf, sizeof(buf));
	cr_assert_str_eq(buf, "access 10");
	vlan_cfg_format(&c.listen[1].vlan, buf, sizeof(buf));
	cr_assert_str_eq(buf, "trunk 10,20-29 native 25");
	cr_assert_eq(c.listen[2].vlan.mode, VLAN_MODE_NONE);
	/* A load works on a copy: a file without "listen" keeps them. */
	cr_assert_eq(load(&c, "{\"hub\": true}", err, sizeof(err)), 0, "%s",
		     err);
	vlan_cfg_format(&c.listen[1].vlan, buf, sizeof(buf));
	cr_assert_str_eq(buf, "trunk 10,20-29 native 25");
	config_fini(&c);
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		"  \"vlan\": 4095}]}",
		"2:11: $.listen[0].vlan: vlan: `4095' is not a VLAN 1-4094");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"vlan\": 0}]}",
		     "2:11: $.listen[0].vlan: vlan: `0' is not a VLAN 1-4094");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"vlan\": \"10\"}]}",
		     "2:11: $.listen[0].vlan: expected a VLAN number 1-4094, "
		     "got a string");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"trunk\": []}]}",
		     "2:12: $.listen[0].trunk: expected a non-empty array of "
		     "VLANs and ranges, e.g. [10, \"20-29\"], got an empty "
		     "array");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"trunk\": [10, \"30-20\"]}]}",
		     "2:17: $.listen[0].trunk[1]: `30-20': range is reversed "
		     "(A-B needs A <= B)");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"trunk\": [10, 5000]}]}",
		     "2:17: $.listen[0].trunk[1]: trunk: `5000' is not a VLAN "
		     "1-4094");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"trunk\": [10, 20], \"native\": 30}]}",
		     "2:32: $.listen[0].native: native VLAN 30 is not in the "
		     "trunk's list");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"vlan\": 10, \"native\": 10}]}",
		     "2:25: $.listen[0].native: native applies only to a "
		     "trunk");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\",\n"
		     "  \"vlan\": 10, \"trunk\": [10]}]}",
		     "2:24: $.listen[0].trunk: a port is either an access "
		     "port (vlan) or a trunk (trunk), not both");
}

Test(config, wrong_types)
{
	expect_error("{\"hub\": \"yes\"}",
		     "1:9: $.hub: expected true or false, got a string");
	expect_error("{\"daemon\": 1}",
		     "1:12: $.daemon: expected true or false, got an integer");
	expect_error(
		"{\"ageing\": 1.5}",
		"1:12: $.ageing: expected an integer 1-1000000, got a real number");
	expect_error(
		"{\"max_ports\": \"10\"}",
		"1:15: $.max_ports: expected an integer 1-65535, got a string");
	expect_error(
		"{\"max_frame\": null}",
		"1:15: $.max_frame: expected an integer 14-69632, got null");
	expect_error(
		"{\"socket_mode\": 384}",
		"1:17: $.socket_mode: expected an octal mode string like \"0660\", got an integer");
	expect_error(
		"{\"log_level\": 3}",
		"1:15: $.log_level: expected error, warning, info or debug, got an integer");
	expect_error("{\"pidfile\": false}",
		     "1:13: $.pidfile: expected a file name, got false");
	expect_error(
		"{\"listen\": \"unix:/tmp/a\"}",
		"1:12: $.listen: expected an array of listeners, got a string");
	expect_error(
		"{\"listen\": [[\"unix:/tmp/a\"]]}",
		"1:13: $.listen[0]: expected a URL string or an object, got an array");
	expect_error(
		"{\"listen\": [{\"url\": 5}]}",
		"1:21: $.listen[0].url: expected a URL string, got an integer");
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/a\", \"group\": true}]}",
		"1:41: $.listen[0].group: expected a group name or id, got true");
}

Test(config, bad_values)
{
	expect_error("{\"socket_mode\": \"0999\"}",
		     "1:17: $.socket_mode: `0999' is not an octal mode 0-0777");
	expect_error(
		"{\"socket_mode\": \"01000\"}",
		"1:17: $.socket_mode: `01000' is not an octal mode 0-0777");
	expect_error("{\"socket_mode\": \"\"}",
		     "1:17: $.socket_mode: `' is not an octal mode 0-0777");
	expect_error(
		"{\"log_level\": \"verbose\"}",
		"1:15: $.log_level: `verbose' is not error, warning, info or debug");
	expect_error("{\"pidfile\": \"\"}", "1:13: $.pidfile: empty file name");
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/a\", \"group\": \"no-such-group-here\"}]}",
		"1:41: $.listen[0].group: unknown group `no-such-group-here'");
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/a\", \"group\": -1}]}",
		"1:41: $.listen[0].group: `-1' is not a group id 0-4294967294");
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/a\", \"group\": \"4294967295\"}]}",
		"1:41: $.listen[0].group: `4294967295' is not a group id 0-4294967294");
}

Test(config, long_bad_value_is_cut_in_the_message)
{
	char json[400];

	snprintf(json, sizeof(json), "{\"log_level\": \"%0200d\"}", 7);
	expect_error(json, "1:15: $.log_level: `"
			   "00000000000000000000000000000000000000000000000000"
			   "00000000000000000000000000..."
			   "' is not error, warning, info or debug");
}

Test(config, vhost_user_listener)
{
	struct listen_addr a;
	char err[256], url[320];

	cr_assert_eq(listen_url_parse("vhost-user:/tmp/vu.sock", &a, err,
				      sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(a.kind, LISTEN_VHOST);
	cr_assert_str_eq(a.path, "/tmp/vu.sock");
	cr_assert(listen_addr_is_file(&a));
	cr_assert_eq(listen_url_format(&a, url, sizeof(url)), 0);
	cr_assert_str_eq(url, "vhost-user:/tmp/vu.sock");
	cr_assert_lt(listen_url_parse("vhost-user:", &a, err, sizeof(err)), 0);
	cr_assert_str_eq(err, "`vhost-user:': empty unix socket path");
	expect_error("{\"listen\": [{\"url\": \"vhost-user:/tmp/a\", "
		     "\"max_ports\": 3}]}",
		     "1:42: $.listen[0].max_ports: max_ports applies only to "
		     "udp: and unixgram: listeners");
}

Test(config, bad_listener_url)
{
	expect_error("{\n  \"listen\": [\"unix:/tmp/a\", \"tcp:127.0.0.1\"]\n}",
		     "2:29: $.listen[1]: `127.0.0.1': expected HOST:PORT");
	expect_error(
		"{\"listen\": [{\"mode\": \"0600\", \"url\": \"sctp:x:1\"}]}",
		"1:37: $.listen[0].url: `sctp:x:1': unknown listener; "
		"use tcp:HOST:PORT, tcp:[V6]:PORT, unix:PATH, udp:HOST:PORT, "
		"udp:[V6]:PORT, unixgram:PATH, vde:DIR or vhost-user:PATH");
}

Test(config, mode_and_group_only_on_unix_listeners)
{
	expect_error(
		"{\"listen\": [\n"
		"  {\"url\": \"tcp:127.0.0.1:1\", \"mode\": \"0660\"}]}",
		"2:30: $.listen[0].mode: mode applies only to unix: listeners");
	expect_error(
		"{\"listen\": [{\"group\": 0, \"url\": \"tcp:[::1]:1\"}]}",
		"1:14: $.listen[0].group: group applies only to unix: listeners");
}

Test(config, tcp_listener_allow_lists)
{
	struct swd_config c;
	struct listen_cfg *l;
	char err[512];

	config_init(&c);
	cr_assert_eq(
		load(&c,
		     "{\"listen\": [\"tcp:127.0.0.1:1\",\n"
		     "  {\"url\": \"tcp:127.0.0.1:2\", "
		     "\"allow_uids\": [1000, \"root\", \"nobody\"]},\n"
		     "  {\"url\": \"tcp:[::1]:3\", \"allow_any_uid\": true},\n"
		     "  {\"url\": \"tcp:127.0.0.1:4\", \"allow_uids\": []}]}",
		     err, sizeof(err)),
		0, "%s", err);
	l = c.listen;
	cr_assert_eq(l[0].uids.any, false);
	cr_assert_eq(l[0].uids.n, 0);
	cr_assert_eq(l[1].uids.any, false);
	cr_assert_eq(l[1].uids.n, 3);
	cr_assert_eq(l[1].uids.uid[0], 1000);
	cr_assert_eq(l[1].uids.uid[1], 0);
	cr_assert_eq(l[1].uids.uid[2], 65534); /* Debian's nobody */
	cr_assert_eq(l[2].uids.any, true);
	cr_assert_eq(l[3].uids.n, 0);
	/* a load fills a copy of the config: the lists go with it */
	cr_assert_eq(load(&c, "{}", err, sizeof(err)), 0, "%s", err);
	l = c.listen;
	cr_assert_eq(l[1].uids.n, 3);
	cr_assert_eq(l[1].uids.uid[2], 65534);
	cr_assert_eq(l[2].uids.any, true);
	config_fini(&c);
}

/* unix: and vde: allow lists: parsed (ids and names), "given" set by
 * either key; none given leaves the socket file's permissions alone. */
Test(config, allow_lists_on_unix_and_vde)
{
	static const char text[] =
		"{\"listen\": [{\"url\": \"unix:/tmp/a\", \"allow_uids\": [7]},\n"
		"  {\"url\": \"vde:/tmp/v\", \"allow_gids\": [\"root\", 42]},\n"
		"  {\"url\": \"unix:/tmp/b\", \"allow_uids\": []},\n"
		"  \"unix:/tmp/c\"]}";
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, text, err, sizeof(err)), 0, "%s", err);
	cr_assert(c.listen[0].uids.given);
	cr_assert_eq(c.listen[0].uids.n, 1);
	cr_assert_eq(c.listen[0].uids.uid[0], 7);
	cr_assert(c.listen[1].uids.given);
	cr_assert_eq(c.listen[1].uids.ngid, 2);
	cr_assert_eq(c.listen[1].uids.gid[0], 0);
	cr_assert_eq(c.listen[1].uids.gid[1], 42);
	cr_assert(c.listen[2].uids.given, "an empty list: own uid and root");
	cr_assert_not(c.listen[3].uids.given);
	config_fini(&c);
}

Test(config, allow_uids_errors)
{
	expect_error("{\"listen\": [\n"
		     "  {\"url\": \"unixgram:/tmp/a\", \"allow_uids\": [1]}]}",
		     "2:30: $.listen[0].allow_uids: allow_uids applies only to "
		     "tcp:, unix:, vde: and vhost-user: listeners (datagram "
		     "peers are not "
		     "checked: use mode and group on a unixgram: socket file, "
		     "see docs/security.md)");
	expect_error("{\"listen\": [{\"allow_any_uid\": true, "
		     "\"url\": \"udp:127.0.0.1:1\"}]}",
		     "1:14: $.listen[0].allow_any_uid: allow_any_uid applies "
		     "only to tcp: listeners");
	expect_error("{\"listen\": [{\"allow_any_uid\": true, "
		     "\"url\": \"unix:/tmp/a\"}]}",
		     "1:14: $.listen[0].allow_any_uid: allow_any_uid applies "
		     "only to tcp: listeners (unix:, vde: and vhost-user: let "
		     "any user in "
		     "unless allow_uids or allow_gids is given)");
	expect_error(
		"{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		"\"allow_gids\": [0]}]}",
		"1:40: $.listen[0].allow_gids: allow_gids applies only to "
		"unix:, vde: and vhost-user: listeners (a tcp: peer is known "
		"by its uid "
		"alone: list its users in allow_uids)");
	expect_error("{\"listen\": [{\"url\": \"unix:/tmp/a\", "
		     "\"allow_gids\": [\"no-such-group-here\"]}]}",
		     "1:51: $.listen[0].allow_gids[0]: unknown group "
		     "`no-such-group-here'");
	expect_error("{\"listen\": [{\"url\": \"vde:/tmp/v\", "
		     "\"allow_gids\": 5}]}",
		     "1:49: $.listen[0].allow_gids: expected an array of group "
		     "ids or names, got an integer");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"allow_uids\": 1000}]}",
		     "1:54: $.listen[0].allow_uids: expected an array of user "
		     "ids or names, got an integer");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"allow_uids\": [1, -1]}]}",
		     "1:58: $.listen[0].allow_uids[1]: `-1' is not a user id "
		     "0-4294967294");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"allow_uids\": [\"no-such-user-here\"]}]}",
		     "1:55: $.listen[0].allow_uids[0]: unknown user "
		     "`no-such-user-here'");
	expect_error("{\"listen\": [{\"url\": \"tcp:127.0.0.1:1\", "
		     "\"allow_any_uid\": 1}]}",
		     "1:57: $.listen[0].allow_any_uid: expected true or false, "
		     "got an integer");
}

Test(config, datagram_listeners_and_dgram_idle)
{
	struct swd_config c;
	char err[512], url[64];

	config_init(&c);
	cr_assert_eq(c.dgram_idle_s, DGRAM_IDLE_DEFAULT_S);
	cr_assert_eq(load(&c,
			  "{\"dgram_idle\": 7, \"listen\": [\"udp:[::1]:0\", "
			  "\"udp:127.0.0.1:5555\", {\"url\": "
			  "\"unixgram:/tmp/d.sock\", \"mode\": \"0660\"}]}",
			  err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.dgram_idle_s, 7);
	cr_assert_eq(c.nlisten, 3);
	cr_assert_eq(c.listen[0].addr.kind, LISTEN_UDP);
	cr_assert_str_eq(c.listen[0].addr.host, "::1");
	cr_assert_eq(c.listen[1].addr.port, 5555);
	cr_assert_eq(c.listen[2].addr.kind, LISTEN_UNIXGRAM);
	cr_assert_str_eq(c.listen[2].addr.path, "/tmp/d.sock");
	cr_assert_eq(c.listen[2].mode, 0660);
	listen_url_format(&c.listen[0].addr, url, sizeof(url));
	cr_assert_str_eq(url, "udp:[::1]:0");
	listen_url_format(&c.listen[2].addr, url, sizeof(url));
	cr_assert_str_eq(url, "unixgram:/tmp/d.sock");
	config_fini(&c);
	expect_error("{\"dgram_idle\": 0}",
		     "1:16: $.dgram_idle: `0' is not 1-1000000");
	expect_error(
		"{\"listen\": [{\"url\": \"udp:127.0.0.1:1\", \"mode\": \"0600\"}]}",
		"1:40: $.listen[0].mode: mode applies only to unix: listeners");
	expect_error("{\"listen\": [\"unixgram:\"]}",
		     "1:13: $.listen[0]: `unixgram:': empty unix socket path");
}

Test(config, listener_object_needs_url)
{
	expect_error("{\"listen\": [ {\"mode\": \"0600\"} ]}",
		     "1:14: $.listen[0]: missing \"url\"");
}

Test(config, empty_listen_list)
{
	expect_error("{\n\t\"listen\": [ ]\n}", "2:12: $.listen: no listeners");
}

Test(config, tx_queue_must_hold_a_frame)
{
	struct swd_config c;
	char err[512], want[PATH_MAX + 128];

	expect_error("{\"tx_queue_bytes\": 1000, \"max_frame\": 1001}",
		     "1:20: $.tx_queue_bytes: tx_queue_bytes (1000) is smaller "
		     "than max_frame (1001)");
	/* Only max_frame in this file: blame it, against the current queue. */
	config_init(&c);
	cr_assert_eq(load(&c, "{\"max_frame\": 100, \"tx_queue_bytes\": 100}",
			  err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(load(&c, "{\"max_frame\": 101}", err, sizeof(err)),
		     -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:1:15: $.max_frame: tx_queue_bytes (100) is smaller than "
		 "max_frame (101)",
		 cfgtest_file);
	cr_assert_str_eq(err, want);
	cr_assert_eq(c.core.max_frame, 100);
	config_fini(&c);
}

/* ---- every integer bound, just inside and just outside ------------------ */

/**
 * struct bound_case - one integer key set to one value
 * @key:	top-level key
 * @value:	value written
 * @want:	"" if it must load, else the message after "FILE:"
 */
struct bound_case {
	char key[32];
	long long value;
	char want[128];
};

static unsigned long long field(const struct swd_config *c, const char *key)
{
	if (!strcmp(key, "mac_table_size"))
		return c->core.mac_table_size;
	if (!strcmp(key, "ageing"))
		return c->core.ageing_ms / 1000;
	if (!strcmp(key, "mac_hold_down_ms"))
		return c->core.hold_down_ms;
	if (!strcmp(key, "max_ports"))
		return c->core.max_ports;
	if (!strcmp(key, "max_frame"))
		return c->core.max_frame;
	if (!strcmp(key, "tx_queue_frames"))
		return c->core.txq_frames;
	if (!strcmp(key, "queue_budget"))
		return c->core.queue_budget;
	if (!strcmp(key, "capture_budget"))
		return c->capture_budget;
	return c->core.txq_bytes;
}

ParameterizedTestParameters(config, integer_bounds)
{
	static struct bound_case cases[] = {
		{ "mac_table_size", 0,
		  "2:21: $.mac_table_size: `0' is not 1-16777216" },
		{ "mac_table_size", 1, "" },
		{ "mac_table_size", 16777216, "" },
		{ "mac_table_size", 16777217,
		  "2:21: $.mac_table_size: `16777217' is not 1-16777216" },
		{ "ageing", 0, "2:13: $.ageing: `0' is not 1-1000000" },
		{ "ageing", 1, "" },
		{ "ageing", 1000000, "" },
		{ "ageing", 1000001,
		  "2:13: $.ageing: `1000001' is not 1-1000000" },
		{ "mac_hold_down_ms", -1,
		  "2:23: $.mac_hold_down_ms: `-1' is not 0-60000" },
		{ "mac_hold_down_ms", 0, "" },
		{ "mac_hold_down_ms", 60000, "" },
		{ "mac_hold_down_ms", 60001,
		  "2:23: $.mac_hold_down_ms: `60001' is not 0-60000" },
		{ "max_ports", 0, "2:16: $.max_ports: `0' is not 1-65535" },
		{ "max_ports", 1, "" },
		{ "max_ports", 65535, "" },
		{ "max_ports", 65536,
		  "2:16: $.max_ports: `65536' is not 1-65535" },
		{ "max_frame", 13, "2:16: $.max_frame: `13' is not 14-69632" },
		{ "max_frame", 14, "" },
		{ "max_frame", 69632, "" },
		{ "max_frame", 69633,
		  "2:16: $.max_frame: `69633' is not 14-69632" },
		{ "tx_queue_frames", 0,
		  "2:22: $.tx_queue_frames: `0' is not 1-65536" },
		{ "tx_queue_frames", 1, "" },
		{ "tx_queue_frames", 65536, "" },
		{ "tx_queue_frames", 65537,
		  "2:22: $.tx_queue_frames: `65537' is not 1-65536" },
		{ "tx_queue_bytes", 13,
		  "2:21: $.tx_queue_bytes: `13' is not 14-1073741824" },
		{ "tx_queue_bytes", 1073741824, "" },
		{ "tx_queue_bytes", 1073741825,
		  "2:21: $.tx_queue_bytes: `1073741825' is not 14-1073741824" },
		{ "queue_budget", 1048575,
		  "2:19: $.queue_budget: `1048575' is not 1048576-1099511627776" },
		{ "queue_budget", 1048576, "" },
		{ "queue_budget", 1099511627776LL, "" },
		{ "queue_budget", 1099511627777LL,
		  "2:19: $.queue_budget: `1099511627777' is not 1048576-1099511627776" },
		{ "capture_budget", 65535,
		  "2:21: $.capture_budget: `65535' is not 65536-17179869184" },
		{ "capture_budget", 65536, "" },
		{ "capture_budget", 17179869184LL, "" },
		{ "ageing", 9223372036854775807LL,
		  "2:13: $.ageing: `9223372036854775807' is not 1-1000000" },
	};

	return cr_make_param_array(struct bound_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bound_case *bc, config, integer_bounds)
{
	struct swd_config c;
	char json[128], err[512];

	snprintf(json, sizeof(json), "{\n  \"%s\": %lld\n}\n", bc->key,
		 bc->value);
	if (bc->want[0]) {
		expect_error(json, bc->want);
		return;
	}
	config_init(&c);
	cr_assert_eq(load(&c, json, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(field(&c, bc->key), (unsigned long long)bc->value);
	config_fini(&c);
}

Test(config, smallest_tx_queue_with_smallest_frame)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(load(&c, "{\"max_frame\": 14, \"tx_queue_bytes\": 14}",
			  err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.core.txq_bytes, 14);
	config_fini(&c);
}

/* ---- the position locator ------------------------------------------------ */

static void expect_at(const char *text, const char *path, bool at_key,
		      unsigned line, unsigned col)
{
	unsigned l = 0, c = 0;
	int ret = config_locate(text, strlen(text), path, at_key, &l, &c);

	cr_assert_eq(ret, 0, "%s: %d", path, ret);
	cr_assert_eq(l, line, "%s: line %u, want %u", path, l, line);
	cr_assert_eq(c, col, "%s: col %u, want %u", path, c, col);
}

static const char nested[] =
	"{\"a\": [1, [2, {\"x\": \"}]\\\"{[\"}], {\"b\": {\"c\": [true, null]}}],\n"
	"\t\"s\\\"}\": \"v\",\n"
	"  \"caf\\u00e9\": {\"\xf0\x9f\x98\x80\": [10, 20]},\n"
	"  \"\xc3\xa9\xc3\xa9\": 3, \"last\" : {}\n"
	"}";

Test(locate, finds_root_and_members)
{
	expect_at(nested, "$", false, 1, 1);
	expect_at("  \n\t{}", "$", false, 2, 2);
	expect_at(nested, "$.a", false, 1, 7);
	expect_at(nested, "$.a", true, 1, 2);
	expect_at(nested, "$.last", false, 4, 21);
	expect_at(nested, "$.last", true, 4, 12);
}

Test(locate, walks_nested_arrays_and_objects)
{
	expect_at(nested, "$.a[0]", false, 1, 8);
	expect_at(nested, "$.a[1]", false, 1, 11);
	expect_at(nested, "$.a[1][1].x", false, 1, 21);
	expect_at(nested, "$.a[2].b.c[1]", false, 1, 52);
}

Test(locate, skips_strings_with_escapes_and_brackets)
{
	/* "s\"}" as a key: the escaped quote and brace are part of the name. */
	expect_at(nested, "$[\"s\\\"}\"]", false, 2, 10);
	expect_at(nested, "$[\"s\\\"}\"]", true, 2, 2);
}

Test(locate, compares_keys_after_decoding_unicode)
{
	/* \u00e9 in the text matches a raw é in the path, and the reverse. */
	expect_at(nested, "$.café", false, 3, 16);
	expect_at(nested, "$[\"caf\\u00e9\"]", false, 3, 16);
	/* U+1F600 written raw; the path spells it as a surrogate pair. */
	expect_at(nested, "$.café[\"\\ud83d\\ude00\"][1]", false, 3, 27);
	/* Columns count code points, as jansson does: é é is two columns. */
	expect_at(nested, "$.éé", false, 4, 9);
}

Test(locate, reports_missing_paths)
{
	unsigned l, c;

	cr_assert_eq(
		config_locate(nested, strlen(nested), "$.nope", false, &l, &c),
		-ENOENT);
	cr_assert_eq(
		config_locate(nested, strlen(nested), "$.a[3]", false, &l, &c),
		-ENOENT);
	cr_assert_eq(
		config_locate(nested, strlen(nested), "$.a.b", false, &l, &c),
		-ENOENT);
	cr_assert_eq(config_locate(nested, strlen(nested), "$.a[0][0]", false,
				   &l, &c),
		     -ENOENT);
	cr_assert_eq(config_locate(nested, strlen(nested), "$.last.x", false,
				   &l, &c),
		     -ENOENT);
}

Test(locate, rejects_malformed_paths)
{
	unsigned l, c;

	cr_assert_eq(config_locate("{}", 2, "a", false, &l, &c), -EINVAL);
	cr_assert_eq(config_locate("{}", 2, "$[x]", false, &l, &c), -EINVAL);
	cr_assert_eq(config_locate("{}", 2, "$[1", false, &l, &c), -EINVAL);
	cr_assert_eq(config_locate("{}", 2, "$[\"a]", false, &l, &c), -EINVAL);
	cr_assert_eq(config_locate("{}", 2, "$x", false, &l, &c), -EINVAL);
}

Test(locate, survives_truncated_text)
{
	static const char *const cuts[] = {
		"",
		"{",
		"{\"a",
		"{\"a\\",
		"{\"a\\u12",
		"{\"a\"",
		"{\"a\":",
		"{\"a\": [",
		"{\"a\": [\"x",
		"{\"b\": [1, {\"c\": \"}",
		"[[[[",
	};
	unsigned l, c;
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cr_assert_lt(config_locate(cuts[i], strlen(cuts[i]), "$.a[1]",
					   false, &l, &c),
			     0, "%s", cuts[i]);
	}
}

/* ---- the flag helpers ---------------------------------------------------- */

Test(add_listen, appends_and_marks_listen_set)
{
	struct swd_config c;
	char err[256];

	config_init(&c);
	cr_assert_eq(config_add_listen(&c, "unix:/tmp/a.sock", 0660, 0, err,
				       sizeof(err)),
		     0);
	cr_assert_eq(config_add_listen(&c, "tcp:[::1]:80", CONFIG_MODE_UNSET,
				       CONFIG_GID_UNSET, err, sizeof(err)),
		     0);
	cr_assert_eq(c.listen_set, true);
	cr_assert_eq(c.nlisten, 2);
	cr_assert_eq(c.listen[0].mode, 0660);
	cr_assert_eq(c.listen[0].group, 0);
	cr_assert_eq(c.listen[1].addr.port, 80);
	config_fini(&c);
}

Test(add_listen, rejects_bad_input)
{
	struct swd_config c;
	char err[256];

	config_init(&c);
	cr_assert_eq(config_add_listen(&c, "tcp:x", CONFIG_MODE_UNSET,
				       CONFIG_GID_UNSET, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "`x': expected HOST:PORT");
	cr_assert_eq(config_add_listen(&c, "tcp:x:1", 0600, CONFIG_GID_UNSET,
				       err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(
		err, "`tcp:x:1': mode and group apply only to unix: listeners");
	cr_assert_eq(config_add_listen(&c, "unix:/a", 01000, CONFIG_GID_UNSET,
				       err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "`1000' is not an octal mode 0-0777");
	cr_assert_eq(c.nlisten, 0);
	cr_assert_eq(c.listen_set, false);
	config_fini(&c);
}

Test(log_level, parses_the_four_names_only)
{
	enum log_level lv = LOG_LVL_INFO;

	cr_assert_eq(log_level_parse("error", &lv), 0);
	cr_assert_eq(lv, LOG_LVL_ERROR);
	cr_assert_eq(log_level_parse("warning", &lv), 0);
	cr_assert_eq(lv, LOG_LVL_WARNING);
	cr_assert_eq(log_level_parse("info", &lv), 0);
	cr_assert_eq(lv, LOG_LVL_INFO);
	cr_assert_eq(log_level_parse("debug", &lv), 0);
	cr_assert_eq(lv, LOG_LVL_DEBUG);
	cr_assert_eq(log_level_parse("DEBUG", &lv), -EINVAL);
	cr_assert_eq(log_level_parse("warn", &lv), -EINVAL);
	cr_assert_eq(log_level_parse("", &lv), -EINVAL);
	cr_assert_eq(lv, LOG_LVL_DEBUG);
}

Test(add_listen, vde_directory_with_mode_and_group)
{
	struct swd_config c;
	char err[512], url[200];

	config_init(&c);
	cr_assert_eq(config_add_listen(&c, "vde:/tmp/sw", 0660, 100, err,
				       sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(config_add_listen(&c, "vde:///run/vde", CONFIG_MODE_UNSET,
				       CONFIG_GID_UNSET, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.listen[0].addr.kind, LISTEN_VDE);
	cr_assert_str_eq(c.listen[0].addr.path, "/tmp/sw");
	cr_assert_eq(c.listen[0].mode, 0660);
	cr_assert_eq(c.listen[0].group, 100);
	cr_assert_str_eq(c.listen[1].addr.path, "/run/vde");
	cr_assert_eq(listen_url_format(&c.listen[1].addr, url, sizeof(url)), 0);
	cr_assert_str_eq(url, "vde:/run/vde");
	cr_assert_lt(config_add_listen(&c, "vde:", CONFIG_MODE_UNSET,
				       CONFIG_GID_UNSET, err, sizeof(err)),
		     0);
	cr_assert_str_eq(err, "`vde:': empty vde switch directory");
	memset(url, 'd', 100);
	memcpy(url, "vde:/", 5);
	url[100] = '\0';
	cr_assert_lt(config_add_listen(&c, url, CONFIG_MODE_UNSET,
				       CONFIG_GID_UNSET, err, sizeof(err)),
		     0);
	cr_assert_not_null(strstr(err, "longer than 94 bytes"), "%s", err);
	config_fini(&c);
}
/* ---- control ------------------------------------------------------------- */

Test(config, control_forms)
{
	struct swd_config c;
	char err[1024];

	config_init(&c);
	cr_assert_null(c.control.path);
	cr_assert_eq(c.control.off, false);
	cr_assert_eq(c.control.mode, CONFIG_MODE_UNSET);
	cr_assert_eq(load(&c, "{\"control\": \"/run/x/ctl.sock\"}", err,
			  sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(c.control.path, "/run/x/ctl.sock");
	cr_assert_eq(load(&c, "{\"control\": null}", err, sizeof(err)), 0);
	cr_assert_null(c.control.path);
	cr_assert_eq(c.control.off, true);
	cr_assert_eq(load(&c,
			  "{\"control\": {\"path\": \"c.sock\", "
			  "\"mode\": \"0660\", \"group\": 0}}",
			  err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(c.control.path, "c.sock");
	cr_assert_eq(c.control.off, false);
	cr_assert_eq(c.control.mode, 0660);
	cr_assert_eq(c.control.group, 0);
	config_fini(&c);
}

Test(config, control_errors)
{
	expect_error("{\"control\": 5}",
		     "1:13: $.control: expected a socket path, null or an "
		     "object, got an integer");
	expect_error("{\"control\": \"\"}",
		     "1:13: $.control: empty socket path");
	expect_error("{\"control\": {\"pth\": \"x\"}}",
		     "1:14: $.control.pth: unknown key (expected path, mode "
		     "or group)");
	expect_error("{\"control\": {\"mode\": \"999\"}}",
		     "1:22: $.control.mode: `999' is not an octal mode 0-0777");
}

/* "stp": on/off, settings, 802.1D ranges and relations; a listener's
 * "edge" and "bpdu_guard", kept by a copy. */
Test(config, stp)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert(!c.stp_on);
	cr_assert_eq(
		load(&c,
		     "{\"stp\": {\"priority\": 4096, \"hello_time\": 1,\n"
		     "  \"max_age\": 6, \"forward_delay\": 4},\n"
		     " \"listen\": [{\"url\": \"unix:/tmp/a\", \"edge\": false},\n"
		     "  {\"url\": \"unix:/tmp/b\", \"bpdu_guard\": true},\n"
		     "  \"unix:/tmp/c\"]}",
		     err, sizeof(err)),
		0, "%s", err);
	cr_assert(c.stp_on);
	cr_assert_eq(c.stp.priority, 4096);
	cr_assert_eq(c.stp.hello_s, 1);
	cr_assert_eq(c.stp.max_age_s, 6);
	cr_assert_eq(c.stp.fwd_delay_s, 4);
	cr_assert(c.listen[0].no_edge && !c.listen[0].bpdu_guard);
	cr_assert(!c.listen[1].no_edge && c.listen[1].bpdu_guard);
	cr_assert(!c.listen[2].no_edge && !c.listen[2].bpdu_guard);
	/* A load copies what is there first: "listen" replaces, the rest
	 * stays. */
	cr_assert_eq(load(&c, "{\"log_level\": \"debug\"}", err, sizeof(err)),
		     0, "%s", err);
	cr_assert(c.stp_on && c.stp.priority == 4096);
	cr_assert(c.listen[0].no_edge && c.listen[1].bpdu_guard);
	config_fini(&c);
	config_init(&c);
	cr_assert_eq(load(&c, "{\"stp\": true}", err, sizeof(err)), 0);
	cr_assert(c.stp_on);
	cr_assert_eq(c.stp.fwd_delay_s, STP_FWD_DELAY_DEFAULT_S);
	config_fini(&c);
	expect_error(
		"{\"stp\": {\"hello_time\": 11}}",
		"1:24: $.stp.hello_time: `11' is not 1-10 seconds (802.1D)");
	expect_error(
		"{\"stp\": {\"max_age\": 40}}",
		"1:9: $.stp: 802.1D needs 2 x (forward_delay - 1) >= max_age");
	expect_error(
		"{\"stp\": {\"priority\": \"low\"}}",
		"1:22: $.stp.priority: expected an integer 0-65535, got a string");
	expect_error(
		"{\"stp\": {\"root\": 1}}",
		"1:10: $.stp.root: unknown key (expected priority, hello_time, max_age or forward_delay)");
	expect_error(
		"{\"stp\": 1}",
		"1:9: $.stp: expected true, false or an object, got an integer");
	expect_error(
		"{\"listen\": [{\"url\": \"unix:/tmp/a\", \"edge\": 0}]}",
		"1:44: $.listen[0].edge: expected true or false, got an integer");
}
