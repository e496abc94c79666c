#!/usr/bin/env bash
# Peak memory of the daemon under adversarial mail, on demand (not part of scripts/test.sh).
# Runs the adversarial-corpus test (DaemonHostileMailTests: 65 malformed and adversarial
# messages, 43 MB, written into a Maildir and fetched through a private Dovecot) against the
# release build (scripts/build-release.sh), with the corpus written 1, 4 and 8 times, and reads
# the daemon's peak RSS (VmHWM) from each run. Target: memory bounded by the fetch, planning and
# queue budgets, not by how much mail arrives — the peak with 8 copies (350 MB of mail) at most
# 15 % above the peak with 4; and returned once the mail is delivered — the resident set then at
# most 60 % of the peak. Prints a table; exits 1 if a target is missed, 2 on a setup error.
#
# Environment: BENCH_MEMORY_COPIES ("1 4 8"; the last two are compared), BENCH_DIR
# (/tmp/mt-bench-mem: the Dovecot instance), BENCH_TLS_PORT (17993), BENCH_PLAIN_PORT (17143).
# Needs root (the private Dovecot).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"
log() { printf '[bench-memory] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

read -r -a copies <<<"${BENCH_MEMORY_COPIES:-1 4 8}"
((${#copies[@]} >= 2)) || die "BENCH_MEMORY_COPIES needs at least two counts"
for n in "${copies[@]}"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "bad copy count '$n'"; done
server_dir=${BENCH_DIR:-/tmp/mt-bench-mem}

log "building the release daemon (scripts/build-release.sh) and the tests"
build_log=$(mktemp /tmp/mt-bench-mem-build.XXXXXX)
binary=$("$root/scripts/build-release.sh" mailtrigger 2>"$build_log") || { tail -30 "$build_log" >&2; die "release build failed"; }
swift build --build-tests >>"$build_log" 2>&1 || { tail -30 "$build_log" >&2; die "test build failed"; }
rm -f "$build_log"

trap '"$root/scripts/imap-test-server.sh" stop "$server_dir" >/dev/null 2>&1 || true' EXIT
MT_IMAP_TLS_PORT=${BENCH_TLS_PORT:-17993} MT_IMAP_PLAIN_PORT=${BENCH_PLAIN_PORT:-17143} MT_IMAP_OAUTH_PORT=17180 \
    "$root/scripts/imap-test-server.sh" start "$server_dir" >&2
eval "$("$root/scripts/imap-test-server.sh" env "$server_dir")"
export MT_REQUIRE_INTEGRATION=1 MT_CLI_BINARY=$binary

declare -A peak after line
for n in "${copies[@]}"; do
    report=$(mktemp /tmp/mt-bench-mem-report.XXXXXX)
    log "corpus written $n time(s)"
    if ! MT_ADVERSARIAL_COPIES=$n MT_FAULT_REPORT=$report swift test --skip-build --filter DaemonHostileMailTests \
        >"$report.out" 2>&1; then
        tail -30 "$report.out" >&2
        die "the adversarial-corpus test failed with $n copies (output: $report.out)"
    fi
    line[$n]=$(grep "adversarial corpus" "$report" | tail -1)
    peak[$n]=$(sed -E 's/.*peak RSS ([0-9]+) MiB.*/\1/' <<<"${line[$n]}")
    after[$n]=$(sed -E 's/.*RSS after ([0-9]+) MiB.*/\1/' <<<"${line[$n]}")
    [[ ${peak[$n]} =~ ^[0-9]+$ && ${after[$n]} =~ ^[0-9]+$ ]] || die "no peak RSS and RSS after in: ${line[$n]}"
    log "${line[$n]}"
    rm -f "$report" "$report.out"
done

echo
echo "daemon peak RSS under the adversarial corpus (release build, $(nproc) cores)"
printf '%-8s  %-10s  %-10s  %s\n' copies "peak RSS" "RSS after" "run"
for n in "${copies[@]}"; do
    printf '%-8s  %-10s  %-10s  %s\n' "$n" "${peak[$n]} MiB" "${after[$n]} MiB" \
        "$(sed -E 's/^adversarial corpus: //; s/, largest.*//' <<<"${line[$n]}")"
done
last=${copies[-1]} before=${copies[-2]}
ratio=$(awk -v a="${peak[$last]}" -v b="${peak[$before]}" 'BEGIN { printf "%.2f", a / b }')
if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.15) }'; then bounded=PASS; else bounded=FAIL; fi
echo "bounded: peak with $last copies / peak with $before copies = $ratio (target <= 1.15): $bounded"
# Memory goes back once the burst is delivered (malloc's mmap threshold, docs/operations.md).
kept=$(awk -v a="${after[$last]}" -v b="${peak[$last]}" 'BEGIN { printf "%.2f", a / b }')
if awk -v r="$kept" 'BEGIN { exit !(r <= 0.6) }'; then returned=PASS; else returned=FAIL; fi
echo "returned: RSS after / peak with $last copies = $kept (target <= 0.6): $returned"
[[ $bounded == PASS && $returned == PASS ]]
