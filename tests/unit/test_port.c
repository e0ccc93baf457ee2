// SPDX-License-Identifier: MIT
/*
 * test_port.c - port names: what a user may call a port, names made of a
 * client's description, finding a port by name
 */
#include <string.h>

#include <criterion/criterion.h>

#include "sockswitch/port.h"
#include "sockswitch/sw.h"

Test(port_name, plain_names_are_accepted)
{
	static const char *const good[] = { "web",
					    "db-1",
					    "a",
					    "_x",
					    "QEMU_user=alice",
					    "vm.lab:3",
					    "p",
					    "p3x",
					    "1st",
					    "x123456789012345678901234567890" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_null(port_name_check(good[i], 7), "`%s': %s", good[i],
			       port_name_check(good[i], 7));
}

Test(port_name, bad_names_are_refused_with_the_reason)
{
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
		{ "", "empty" },
		{ "01234567890123456789012345678901", "at most 31" },
		{ "-x", "starts with" },
		{ "a b", "only letters" },
		{ "tab\there", "only letters" },
		{ "quo\"te", "only letters" },
		{ "caf\xc3\xa9", "only letters" },
		{ "42", "number" },
		{ "all", "reserved" },
		{ "p3", "default names" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = port_name_check(bad[i].name, 7);

		cr_assert_not_null(why, "`%s' accepted", bad[i].name);
		cr_assert_not_null(strstr(why, bad[i].why), "`%s': %s",
				   bad[i].name, why);
	}
	cr_assert_null(port_name_check("p7", 7), "a port's own default");
}

Test(port_name, descriptions_make_names)
{
	char n[PORT_NAME_LEN];

	cr_assert(port_name_from(n, "QEMU user=alice pid=4925"));
	cr_assert_str_eq(n, "QEMU_user=alice_pid=4925");
	cr_assert(port_name_from(n, "vdeplug: user=bob  pid=7 "));
	cr_assert_str_eq(n, "vdeplug:_user=bob_pid=7");
	cr_assert_not(port_name_from(n, " \t\"\n"));
	cr_assert(port_name_from(n, "a very long description that goes on"));
	cr_assert_eq(strlen(n), PORT_NAME_LEN - 1);
}

static int nop_flush(struct port *p)
{
	(void)p;
	return 0;
}

static const struct port_ops nop_ops = { .name = "mock", .flush = nop_flush };

Test(port_name, ports_are_found_by_name)
{
	struct sw_params prm;
	struct port a = { 0 }, b = { 0 };
	struct sw sw;

	sw_params_default(&prm);
	cr_assert_eq(sw_init(&sw, &prm), 0);
	strcpy(b.name, "web");
	cr_assert_eq(sw_port_add(&sw, &a, &nop_ops, 0), 0);
	cr_assert_eq(sw_port_add(&sw, &b, &nop_ops, 0), 0);
	cr_assert_str_eq(a.name, "p1", "the default name");
	cr_assert_eq(sw_port_by_name(&sw, "p1"), &a);
	cr_assert_eq(sw_port_by_name(&sw, "web"), &b);
	cr_assert_null(sw_port_by_name(&sw, "p2"));
	sw_port_remove(&sw, &a);
	sw_port_remove(&sw, &b);
	sw_fini(&sw);
}

Test(port_name, users_name_ports_by_number_name_or_pN)
{
	struct sw_params prm;
	struct port a = { 0 }, b = { 0 };
	struct sw sw;

	sw_params_default(&prm);
	cr_assert_eq(sw_init(&sw, &prm), 0);
	strcpy(b.name, "web");
	cr_assert_eq(sw_port_add(&sw, &a, &nop_ops, 0), 0);
	cr_assert_eq(sw_port_add(&sw, &b, &nop_ops, 0), 0);
	cr_assert_eq(sw_port_find(&sw, "1"), &a);
	cr_assert_eq(sw_port_find(&sw, "2"), &b);
	cr_assert_eq(sw_port_find(&sw, "web"), &b);
	cr_assert_eq(sw_port_find(&sw, "p1"), &a);
	cr_assert_eq(sw_port_find(&sw, "p2"), &b, "pN after a rename");
	cr_assert_null(sw_port_find(&sw, "3"));
	cr_assert_null(sw_port_find(&sw, "p3"));
	cr_assert_null(sw_port_find(&sw, "02"), "no leading zero");
	cr_assert_null(sw_port_find(&sw, "p02"));
	cr_assert_null(sw_port_find(&sw, "p"));
	cr_assert_null(sw_port_find(&sw, "99999999999"));
	cr_assert_null(sw_port_find(&sw, "2x"));
	sw_port_remove(&sw, &a);
	sw_port_remove(&sw, &b);
	sw_fini(&sw);
}
