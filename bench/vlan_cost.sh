#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vlan_cost.sh BUILD [ROUNDS [SECONDS]] - what an access VLAN costs: the
# same as bench/setting_cost.sh BUILD vlan [ROUNDS [SECONDS]]
exec bash "$(dirname "${BASH_SOURCE[0]}")/setting_cost.sh" "${1:-}" vlan "${@:2}"
