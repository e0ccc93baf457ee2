/* SPDX-License-Identifier: MIT */
/*
 * metrics_int.h - shared by the metrics endpoint and its port formatter
 */
#ifndef SWD_METRICS_INT_H
#define SWD_METRICS_INT_H

#include <stdbool.h>
#include <stddef.h>

struct sw;

/**
 * struct tbuf - growing text buffer of a scrape
 * @p:		the text (malloc'd), not NUL-terminated
 * @len:	bytes in @p
 * @cap:	bytes allocated
 * @failed:	an append ran out of memory: the text is incomplete
 */
struct tbuf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

/* metrics_ports.c */
bool tb_room(struct tbuf *b, size_t n);
int metrics_put_ports(struct tbuf *b, const struct sw *sw);

#endif /* SWD_METRICS_INT_H */
