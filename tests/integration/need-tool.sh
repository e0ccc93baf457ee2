#!/bin/sh
# SPDX-License-Identifier: MIT
# need-tool.sh TOOL COMMAND... - run COMMAND, or skip (exit 77, what ctest
# counts as skipped) when TOOL is not installed.
tool=$1
shift
if ! command -v "$tool" >/dev/null 2>&1; then
	echo "SKIP: $tool is not installed (see scripts/install-deps.sh)"
	exit 77
fi
exec "$@"
