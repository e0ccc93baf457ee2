#!/bin/sh
# SPDX-License-Identifier: MIT
# check-format.sh SRCDIR - every C file follows .clang-format (exit 77 =
# skipped, when clang-format is not installed).
set -eu
cd "$1"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "SKIP: clang-format is not installed (Debian package clang-format)"
	exit 77
fi
files=$(find switch include plug tests bench -name '*.[ch]' | sort)
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files; then
	echo "FAIL: run: clang-format -i \$(find switch include plug tests bench -name '*.[ch]')"
	exit 1
fi
echo "format OK: $(echo "$files" | wc -l) files"
