#!/usr/bin/env bash
# Pathological messages (MIMEBenchmark --worst-case) at 0.25 and 1 MB: linear code takes about
# 4x as long for the larger, quadratic code 16x. A case fails past MAX_SECONDS at 1 MB, or past
# 8x its 0.25 MB time when the 1 MB time is long enough (0.2 s) for the ratio to mean something.
# Prints one line per case and a summary; exits 1 when a case fails. Used by scripts/bench.sh
# (release build, 2 s) and scripts/test.sh (debug build, a looser time bound, same ratio).
#
# Usage: mime_worst_case.sh MIMEBENCHMARK_BINARY MAX_SECONDS
set -euo pipefail
benchmark=$1 max_seconds=$2
field() { sed -E "s/$2/\\1/" <<< "$1"; }
ok=1
slowest=0
# Each size runs twice and keeps each case's shorter time: a moment of load on a shared machine
# then stretches neither side of the ratio.
declare -A quarter full full_line
for round in 1 2; do
    while IFS= read -r line; do
        name=$(field "$line" '^worst-case: ([^,]+),.*')
        seconds=$(field "$line" '.*MB, ([0-9.]+) s,.*')
        if ((round == 1)) || awk -v a="$seconds" -v b="${quarter[$name]}" 'BEGIN { exit !(a < b) }'; then quarter[$name]=$seconds; fi
    done < <("$benchmark" --worst-case 0.25)
    while IFS= read -r line; do
        name=$(field "$line" '^worst-case: ([^,]+),.*')
        seconds=$(field "$line" '.*MB, ([0-9.]+) s,.*')
        if ((round == 1)) || awk -v a="$seconds" -v b="${full[$name]}" 'BEGIN { exit !(a < b) }'; then
            full[$name]=$seconds
            full_line[$name]=$line
        fi
    done < <("$benchmark" --worst-case 1)
done
names=$("$benchmark" --worst-case 0.01 | sed -E 's/^worst-case: ([^,]+),.*/\1/')
for name in $names; do
    line=${full_line[$name]}
    seconds=${full[$name]}
    growth=$(awk -v a="${quarter[$name]:-0}" -v b="$seconds" 'BEGIN { printf "%.1f", (a > 0 ? b / a : 0) }')
    echo "$line (${growth}x the 0.25 MB time)"
    slowest=$(awk -v a="$slowest" -v b="$seconds" 'BEGIN { print (b > a ? b : a) }')
    [ "$(awk -v s="$seconds" -v g="$growth" -v m="$max_seconds" 'BEGIN { print (s < m && (s < 0.2 || g <= 8) ? 1 : 0) }')" = 1 ] \
        || ok=0
done
echo "worst case  (1 MB pathological messages: < $max_seconds s, <= 8x the 0.25 MB time): slowest $slowest s  $( ((ok)) && echo PASS || echo FAIL)"
((ok))
