#!/usr/bin/env bash
# The long fault runs, on demand (scripts/test.sh runs the same suites once, at their normal
# size): rounds of the crash, fault, resilience, storage, hostile-mail and autologout suites,
# each round with a new seed and more crash runs, until the rounds or the time run out.
#
#   scripts/soak.sh [ROUNDS]          default 5 rounds
#   MT_SOAK_MINUTES=60                stop starting rounds after this many minutes (default 120)
#   MT_SOAK_CRASH_RUNS=50             kills per crash seam and bursts per kill test (default 50)
#
# Prerequisites: what scripts/test.sh installs (run it once first). Every round's fault report
# is appended to /tmp/mailtrigger-soak-report.txt; the exit status is 1 if any round failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"
log() { printf '[soak.sh] %s\n' "$*"; }

rounds=${1:-5}
minutes=${MT_SOAK_MINUTES:-120}
export MT_CRASH_RUNS=${MT_SOAK_CRASH_RUNS:-50}
suites="DaemonCrashTests|DaemonFaultTests|DaemonResilienceTests|DaemonStorageTests|DaemonHostileMailTests|MailboxWatcherAutologoutTests"
report=/tmp/mailtrigger-soak-report.txt

log "building"
swift build --build-tests 2>&1 | grep -E "error:" && { log "build failed"; exit 1; }
export MT_CLI_BINARY="$(swift build --show-bin-path)/mailtrigger"

server_dir=${MT_SOAK_SERVER_DIR:-/tmp/mt-soak}
export MT_IMAP_TLS_PORT=13993 MT_IMAP_PLAIN_PORT=13143 MT_IMAP_OAUTH_PORT=13180
test_tmp=$(mktemp -d /tmp/mt-soak.XXXXXX)
trap '"$root/scripts/imap-test-server.sh" stop "$server_dir" >/dev/null 2>&1 || true; rm -rf "$test_tmp"' EXIT
"$root/scripts/imap-test-server.sh" start "$server_dir"
eval "$("$root/scripts/imap-test-server.sh" env "$server_dir")"
export MT_REQUIRE_INTEGRATION=1 MT_FAULT_REPORT=$report
: > "$report"

deadline=$(($(date +%s) + minutes * 60))
failed=0
for ((round = 1; round <= rounds; round++)); do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        log "time is up after $((round - 1)) rounds"
        break
    fi
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    log "round $round of $rounds: seed $seed, $MT_CRASH_RUNS crash runs"
    echo "--- round $round, seed $seed" >> "$report"
    set +e
    MT_FAULT_SEED=$seed TMPDIR=$test_tmp timeout 3600 swift test --skip-build --filter "$suites" \
        > "/tmp/mailtrigger-soak-round-$round.log" 2>&1
    status=$?
    set -e
    grep -E '(✔|✘) Test run with' "/tmp/mailtrigger-soak-round-$round.log" | tail -1 || true
    if [ "$status" -ne 0 ]; then
        failed=1
        log "round $round FAILED (seed $seed; output /tmp/mailtrigger-soak-round-$round.log):"
        grep -E '✘' "/tmp/mailtrigger-soak-round-$round.log" | grep -v 'Suite\|Test run' | head -10 || true
    fi
done

log "fault report: $report"
cat "$report"
exit "$failed"
