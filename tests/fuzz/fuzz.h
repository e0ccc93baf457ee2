/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the fuzz harnesses and the corpus replayer share
 *
 * Each tests/fuzz/fuzz_<t>.c defines LLVMFuzzerTestOneInput() and nothing
 * else outside its own statics. It is linked either with libFuzzer
 * (-DSOCKSWITCH_FUZZ=ON) or with replay_main.c, which feeds it every file
 * of a checked-in corpus.
 */
#ifndef SOCKSWITCH_FUZZ_H
#define SOCKSWITCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* For the harness's own checks: their branches are no coverage of the
 * code under test, and tracing their comparisons (clang's trace-cmp)
 * costs more than the code under test itself. */
#if defined(__clang__)
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

/* An invariant check that stays on whatever NDEBUG says: a failure must
 * crash, so libFuzzer saves the input and the replay test fails. */
#define FUZZ_ASSERT(cond, ...)                                             \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                    \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

#endif /* SOCKSWITCH_FUZZ_H */
