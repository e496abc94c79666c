#!/usr/bin/env bash
# Checks deploy/mailtrigger.service with systemd's own tools (called by scripts/test.sh):
#   systemd-analyze verify                       the unit parses and names an executable
#   systemd-analyze security --offline=true      exposure ≤ 2.0 ("OK" or better)
#
#   scripts/check-unit.sh MAILTRIGGER_BINARY
#
# verify needs the ExecStart program to exist: the check runs on a copy of the unit whose
# ExecStart names MAILTRIGGER_BINARY instead of /usr/local/bin/mailtrigger.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:?usage: scripts/check-unit.sh MAILTRIGGER_BINARY}
unit=$root/deploy/mailtrigger.service
work=$(mktemp -d /tmp/mt-unit.XXXXXX)
trap 'rm -rf "$work"' EXIT
sed "s|^ExecStart=/usr/local/bin/mailtrigger |ExecStart=$binary |" "$unit" >"$work/mailtrigger.service"
grep -q "^ExecStart=$binary " "$work/mailtrigger.service" || { echo "check-unit: ExecStart not found in $unit" >&2; exit 1; }
systemd-analyze verify "$work/mailtrigger.service"
echo "check-unit: systemd-analyze verify passed"
systemd-analyze security --offline=true --threshold=20 "$work/mailtrigger.service" | tail -1
echo "check-unit: exposure at or below 2.0"
