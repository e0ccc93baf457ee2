#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-libfuzzer.sh - build the fuzz targets with clang and libFuzzer in a
# build directory of their own, then fuzz each one for a bounded time
#
# Usage: run-libfuzzer.sh SOURCE_DIR WORK_DIR [TARGET...]
#
# TARGETs default to stream_rx fwd config stp virtq. Each runs for
# $SOCKSWITCH_FUZZ_SECONDS seconds (default 60) from its checked-in corpus
# (tests/fuzz/corpus/<t>, read only); new inputs go to WORK_DIR/corpus/<t>,
# which later runs start from too. A crash, a leak, a broken invariant
# (FUZZ_ASSERT) or an input that runs longer than 30 s fails the run; the
# input is kept as WORK_DIR/artifacts/<t>-crash-<sha1> (or leak-, timeout-,
# oom-) and printed here as hex, so the CI log alone can reproduce it.
# Exit 77 (skipped) when clang or its libFuzzer runtime is not installed
# (Debian packages clang and libclang-rt-14-dev). See docs/fuzzing.md.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 SOURCE_DIR WORK_DIR [TARGET...]" >&2
	exit 2
fi
src=$1
work=$2
shift 2
targets=${*:-stream_rx fwd config stp virtq}
secs=${SOCKSWITCH_FUZZ_SECONDS:-60}
cc=${SOCKSWITCH_FUZZ_CC:-clang}
jobs=$(nproc 2>/dev/null || echo 2)

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "SKIP: $cc is not installed (Debian packages clang, libclang-rt-14-dev)"
	exit 77
fi
mkdir -p "$work/artifacts" || exit 2
probe=$work/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n > 99999; }\n' >"$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
	>"$probe.log" 2>&1; then
	echo "SKIP: $cc cannot link libFuzzer (Debian package libclang-rt-14-dev):"
	sed 's/^/#   /' "$probe.log"
	exit 77
fi

build=$work/build
echo "# building the fuzz targets with $cc in $build"
if ! CC=$cc cmake -S "$src" -B "$build" -DSOCKSWITCH_FUZZ=ON \
	-DSOCKSWITCH_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	>"$work/cmake.log" 2>&1; then
	cat "$work/cmake.log"
	echo "not ok - configure the fuzz build"
	exit 1
fi
tlist=""
for t in $targets; do
	tlist="$tlist fuzz_$t"
done
# shellcheck disable=SC2086 # one word per target
if ! cmake --build "$build" -j "$jobs" --target $tlist \
	>"$work/build.log" 2>&1; then
	tail -n 50 "$work/build.log"
	echo "not ok - build the fuzz targets"
	exit 1
fi

fail=0
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	seeds=$src/tests/fuzz/corpus/$t
	mkdir -p "$work/corpus/$t"
	set -- -max_total_time="$secs" -timeout=30 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/$t-"
	[ "$t" = config ] && set -- "$@" -dict="$src/tests/fuzz/config.dict"
	: >"$work/$t.start"
	echo "# fuzz_$t for $secs s"
	"$bin" "$@" "$work/corpus/$t" "$seeds" >"$work/$t.log" 2>&1
	rc=$?
	grep -E '^(stat::|Done |#[0-9]+ +DONE)' "$work/$t.log" | sed 's/^/#   /'
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz_$t: no crash in $secs s"
		continue
	fi
	fail=1
	echo "not ok - fuzz_$t exited $rc"
	# The report: from the first sanitizer, UBSan or FUZZ_ASSERT line
	# (file.c:LINE: condition: ...) on, without the shadow byte legend.
	awk '/^==[0-9]+==|runtime error:|^[^ ]+\.c:[0-9]+: / { on = 1 }
		/^Shadow byte legend/ { skip = 1 }
		/^==[0-9]+==ABORTING|^MS: / { skip = 0 }
		on && !skip' "$work/$t.log" | head -n 120 | sed 's/^/#   /'
	find "$work/artifacts" -name "$t-*" -newer "$work/$t.start" |
		while read -r a; do
			echo "# input kept as $a ($(wc -c <"$a") bytes), in hex:"
			od -An -tx1 -v "$a" | head -n 256 | sed 's/^/#  /'
			echo "# reproduce: $bin $a"
			echo "# once fixed, add it as tests/fuzz/corpus/$t/<what-it-found>"
		done
done
exit $fail
