#!/usr/bin/env bash
# The tests on a stalling host, on demand (not in scripts/test.sh): repeats the second run of
# scripts/test.sh (everything but MailMIME's tests and the load tests) while the test process is
# paused now and then (SIGSTOP for 8-20 s every 10-25 s), as a CI host that stalls does. Timed
# tests are expected to fail then; what must not happen is a crash or a hang of the test process
# (CI once lost a whole run to an index out of range after such a stall: docs/testing.md).
#
# Usage: scripts/stall-tests.sh [RUNS]   (default 4; needs `swift build --build-tests` first)
# Exit status: 0 when no run crashed or hung; 1 otherwise. Logs: /tmp/mt-stall/run-N.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"
runs=${1:-4}
work=/tmp/mt-stall
rm -rf "$work" && mkdir -p "$work"

# Ports of its own: test.sh uses 12xxx, soak.sh 13xxx.
export MT_IMAP_TLS_PORT=14993 MT_IMAP_PLAIN_PORT=14143 MT_IMAP_OAUTH_PORT=14180
export MT_CYRUS_TLS_PORT=14994 MT_CYRUS_PLAIN_PORT=14144
stop() {
    [ -n "${staller:-}" ] && kill "$staller" 2>/dev/null || true
    "$root/scripts/cyrus-test-server.sh" stop "$work/cyrus" >/dev/null 2>&1 || true
    "$root/scripts/imap-test-server.sh" stop "$work/dovecot" >/dev/null 2>&1 || true
}
trap stop EXIT
"$root/scripts/imap-test-server.sh" start "$work/dovecot" >/dev/null
eval "$("$root/scripts/imap-test-server.sh" env "$work/dovecot")"
MT_CYRUS_TLS_FROM="$work/dovecot/tls" "$root/scripts/cyrus-test-server.sh" start "$work/cyrus" >/dev/null
eval "$("$root/scripts/cyrus-test-server.sh" env "$work/cyrus")"
export MT_REQUIRE_INTEGRATION=1 MT_CLI_BINARY
MT_CLI_BINARY="$(swift build --show-bin-path)/mailtrigger"
export SWIFT_BACKTRACE=interactive=no,color=no,symbolicate=fast,registers=none,images=none

# Pauses whichever test process of this script runs.
(
    while true; do
        sleep $((10 + RANDOM % 16))
        for pid in $(pgrep -f "PackageTests.xctest.*$work/events" || true); do
            kill -STOP "$pid" 2>/dev/null || continue
            sleep $((8 + RANDOM % 13))
            kill -CONT "$pid" 2>/dev/null || true
        done
    done
) &
staller=$!

stress="DaemonCrashTests|DaemonResilienceTests|DaemonHostileMailTests|DaemonStorageTests"
bad=0
for run in $(seq 1 "$runs"); do
    tmp=$(mktemp -d "$work/tmp.XXXX")
    begin=$(date +%s)
    # SIGQUIT's default action restored (a background command gets it ignored): the hang
    # below is stopped with it, and the backtracer then prints every thread.
    TMPDIR=$tmp python3 -c 'import os, signal, sys; signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
        swift test --skip-build --skip "MailMIMETests|$stress" \
        --experimental-event-stream-output "$work/events-$run.jsonl" > "$work/run-$run.log" 2>&1 &
    pid=$!
    verdict=""
    while kill -0 "$pid" 2>/dev/null; do
        if [ $(($(date +%s) - begin)) -ge 900 ]; then
            verdict="HUNG"
            python3 scripts/test-report.py --in-flight "$work/events-$run.jsonl" || true
            pkill -QUIT -f "PackageTests.xctest.*$work/events-$run.jsonl" || true
            sleep 60
            kill -KILL "$pid" 2>/dev/null || true
            pkill -KILL -f "PackageTests.xctest.*$work/events-$run.jsonl" || true
            break
        fi
        sleep 2
    done
    wait "$pid" 2>/dev/null || true
    pkill -KILL -f "mailtrigger run --config $tmp/" || true
    if [ -z "$verdict" ] && grep -q "Program crashed" "$work/run-$run.log"; then verdict="CRASHED"; fi
    summary=$(grep -aE '(✔|✘) Test run with' "$work/run-$run.log" | tail -1 || true)
    echo "run $run: ${verdict:-ended} after $(($(date +%s) - begin)) s. ${summary:-no summary line}"
    if [ -n "$verdict" ]; then
        bad=1
        python3 scripts/backtrace-summary.py "$work/run-$run.log" || true
    fi
    rm -rf "$tmp"
done
exit $bad
