#!/usr/bin/env bash
# The project's one test command (README): installs what it needs on a fresh Debian machine,
# builds, starts a private Dovecot and a private Cyrus IMAP on loopback, runs every test, stops
# the servers.
# Exits non-zero if anything failed, or if the integration tests did not all run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)
export PATH="/opt/swift/usr/bin:$PATH"

log() { printf '[test.sh] %s\n' "$*"; }

# 1. System packages.
# e2fsprogs: chattr, for the test of a state directory made unwritable while the daemon runs.
packages=(dovecot-imapd libsystemd-dev libsqlite3-dev openssl pkg-config procps e2fsprogs)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# systemd-analyze checks the unit (step 6); only the tool is needed, not systemd running.
command -v systemd-analyze >/dev/null || missing+=(systemd)
if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    policy_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        # Keep the system Dovecot from starting: tests run their own.
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_created=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -y -qq install "${missing[@]}" > /tmp/mailtrigger-apt.log 2>&1 \
        || { tail -20 /tmp/mailtrigger-apt.log; exit 1; }
    [ "$policy_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
command -v swift >/dev/null || { echo "swift not found (expected /opt/swift/usr/bin)"; exit 1; }
# Cyrus for the interop tests: installed beside Dovecot (its imapd unpacked, not installed: the
# two IMAP packages conflict), before any server starts.
"$root/scripts/cyrus-test-server.sh" install > /tmp/mailtrigger-cyrus-install.log 2>&1 \
    || { tail -20 /tmp/mailtrigger-cyrus-install.log; exit 1; }

# 2. Build everything, tests included, warnings visible.
log "building ($(swift --version 2>&1 | head -1))"
swift build --build-tests 2>&1 | tee /tmp/mailtrigger-build.log | grep -E "warning:|error:|Compiling|Build complete" | grep -v "^\[" || true
grep -q "error:" /tmp/mailtrigger-build.log && { log "build failed"; exit 1; }
bin_path=$(swift build --show-bin-path)
built=$(date +%s)

# 3. The private Dovecot, on its own ports so it does not collide with a developer's instance.
server_dir=${MT_TEST_SERVER_DIR:-/tmp/mt-test}
unset MT_IMAP_HOST MT_IMAP_USERS MT_IMAP_USER MT_IMAP_PASSWORD MT_IMAP_CA_FILE MT_IMAP_OTHER_CA_FILE MT_IMAP_DIR MT_IMAP_OAUTH_URL
export MT_IMAP_TLS_PORT=${MT_TEST_TLS_PORT:-12993}
export MT_IMAP_PLAIN_PORT=${MT_TEST_PLAIN_PORT:-12143}
export MT_IMAP_OAUTH_PORT=${MT_TEST_OAUTH_PORT:-12180}
cyrus_dir=${MT_TEST_CYRUS_DIR:-/tmp/mt-test-cyrus}
export MT_CYRUS_TLS_PORT=${MT_TEST_CYRUS_TLS_PORT:-12994} MT_CYRUS_PLAIN_PORT=${MT_TEST_CYRUS_PLAIN_PORT:-12144}
stop_server() {
    "$root/scripts/cyrus-test-server.sh" stop "$cyrus_dir" >/dev/null 2>&1 || true
    "$root/scripts/imap-test-server.sh" stop "$server_dir" >/dev/null 2>&1 || true
}
# The tests make temporary directories (state stores, hook scripts, daemon homes) and leave them:
# they get a temporary directory of their own (TMPDIR), removed at the end.
test_tmp=$(mktemp -d /tmp/mt-tests.XXXXXX)
trap 'stop_server; rm -rf "$test_tmp"' EXIT
"$root/scripts/imap-test-server.sh" start "$server_dir"
eval "$("$root/scripts/imap-test-server.sh" env "$server_dir")"
# The same test CA: Cyrus gets the Dovecot's certificates.
MT_CYRUS_TLS_FROM="$server_dir/tls" "$root/scripts/cyrus-test-server.sh" start "$cyrus_dir"
eval "$("$root/scripts/cyrus-test-server.sh" env "$cyrus_dir")"
export MT_REQUIRE_INTEGRATION=1
export MT_CLI_BINARY="$bin_path/mailtrigger"

# 4. Every test, in three runs: the CPU-heavy MIME tests, the timing-sensitive network tests, and
#    the load tests, so that on two cores none starves the tasks that measure latency. The
#    console output goes to a file, not through a pipe: a pipe whose reader falls behind blocks
#    the writing test thread (timed tests then fail) and, in CI, lost lines. What ran is read from
#    swift-testing's event stream (scripts/test-report.py), also a file; each run is bounded.
log "running tests (output in /tmp/mailtrigger-test.log)"
: > /tmp/mailtrigger-test.log
rm -f /tmp/mailtrigger-events-*.jsonl /tmp/mailtrigger-hung-*.jsonl
# The fault tests' recovery times (DaemonFaultTests), printed after the runs.
export MT_FAULT_REPORT=/tmp/mailtrigger-fault-report.txt
rm -f "$MT_FAULT_REPORT"
# What the secret scan (after the runs) reads: the test files are kept until the end (every
# daemon's log), and every CLI command's output goes to a transcript.
export MT_KEEP_TEST_FILES=1 MT_CLI_TRANSCRIPT=$test_tmp/cli-transcript.log
status=0
run=0
# A run that passes its time limit is stopped with SIGQUIT: Swift's runtime backtracer then
# prints every thread into the log. Symbol names only (symbolicate=fast): with line numbers, the
# backtrace of this debug test binary outlasted the limit in CI and was cut off.
export SWIFT_BACKTRACE=interactive=no,color=no,symbolicate=fast,registers=none,images=none
# Runs one selection of the tests with a time limit (a run takes 2 minutes here: the limit only
# catches a hang). On a hang: the tests that started and did not end, then every thread's stack.
run_tests() {
    local selection=$1 events=$2 limit=$3 begin pid tester
    begin=$(date +%s)
    # A command put in the background gets SIGQUIT ignored, and the runtime leaves an ignored
    # signal alone: the wrapper restores it, so the SIGQUIT below reaches the backtracer.
    # shellcheck disable=SC2086 # the selection is two words on purpose
    TMPDIR=$test_tmp python3 -c 'import os, signal, sys; signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
        swift test --skip-build $selection --experimental-event-stream-output "$events" >> /tmp/mailtrigger-test.log 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ $(($(date +%s) - begin)) -ge "$limit" ]; then
            log "swift test $selection did not finish in $limit s: stopped"
            python3 scripts/test-report.py --in-flight "$events" || true
            tester=$(pgrep -f "PackageTests.xctest.*$events" || true)
            # The backtracer writes for a while (16 s here); then whatever is left is killed.
            [ -n "$tester" ] && kill -QUIT $tester
            for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 2; done
            kill -KILL "$pid" $tester 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            # The daemons the killed tests started (their harness could not stop them).
            pkill -KILL -f "mailtrigger run --config $test_tmp/" || true
            python3 scripts/backtrace-summary.py /tmp/mailtrigger-test.log || true
            return 124
        fi
        sleep 2
    done
    wait "$pid"
}
# Seconds a run may take (MT_TEST_RUN_LIMIT: a short one shows what a hang prints).
run_limit=${MT_TEST_RUN_LIMIT:-900}
# The third run is the load tests (crash seams, bursts, kills, a 50,000-message mailbox, the
# adversarial corpus, a full disk): on two cores they would slow the timed tests of the second.
stress="DaemonCrashTests|DaemonResilienceTests|DaemonHostileMailTests|DaemonStorageTests"
for selection in "--filter MailMIMETests" "--skip MailMIMETests|$stress" "--filter $stress"; do
    run=$((run + 1))
    from=$(($(wc -l < /tmp/mailtrigger-test.log) + 1))
    set +e
    run_tests "$selection" "/tmp/mailtrigger-events-$run.jsonl" "$run_limit"
    run_status=$?
    if [ "$run_status" -eq 124 ]; then
        # Once, in CI, a run hung (30 minutes) where it takes 2: the diagnosis above is kept,
        # and the run is repeated once; a second hang fails. The hung run's events are set
        # aside, so the report counts the repeat.
        mv "/tmp/mailtrigger-events-$run.jsonl" "/tmp/mailtrigger-hung-$run.jsonl"
        log "WARNING: run $run hung; running it once more"
        run_tests "$selection" "/tmp/mailtrigger-events-$run.jsonl" "$run_limit"
        run_status=$?
    fi
    set -e
    tail -n "+$from" /tmp/mailtrigger-test.log | grep -E '(✔|✘) Test run with' | tail -1 || true
    if [ "$run_status" -ne 0 ] && [ "$run_status" -ne 124 ]; then
        status=$run_status
        # A crash shows where it happened; anything else, the end of the output.
        if tail -n "+$from" /tmp/mailtrigger-test.log | grep -q "Program crashed"; then
            python3 scripts/backtrace-summary.py /tmp/mailtrigger-test.log || true
        else
            tail -30 /tmp/mailtrigger-test.log
        fi
    fi
    if [ "$run_status" -eq 124 ]; then status=124; fi
done

[ -s "$MT_FAULT_REPORT" ] && { log "recovery times measured by the fault tests:"; cat "$MT_FAULT_REPORT"; }

# No secret the tests used is in any log they left: the daemons' logs, the CLI transcript, the
# test output. The scanner first proves it finds planted secrets.
log "scanning the test logs for secrets"
# shellcheck disable=SC2086 # one --user option per user
users=$(printf -- '--user %s ' $MT_IMAP_USERS)
set +e
# shellcheck disable=SC2086 # one --user option per user
{
    python3 scripts/scan-secrets.py --self-test &&
    python3 scripts/scan-secrets.py --secret "$MT_IMAP_PASSWORD" --secret "$MT_CYRUS_PASSWORD" --secret mt-client-secret --secret s3cret-signing-key \
        --secret s3cret-receiver-token --secret s3cret-hook-key --secret s3cret-hook-token --secret s3cret-hook-variable \
        --secret s3cret-api-key --secrets-file "$server_dir/log/oauth-issued-tokens.txt" $users "$test_tmp" /tmp/mailtrigger-test.log
} 2>&1 | tail -15 | tee /tmp/mailtrigger-secret-scan.log
secret_status=${PIPESTATUS[0]}
set -e

# 5. MailMIME against Python's email package over a generated corpus of 500 messages, every
#    payload also validated against docs/payload.schema.json (docs/mime-differential.md).
log "MIME differential test"
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install --quiet jsonschema
set +e
python3 scripts/mime/differential.py --binary "$bin_path/mailtrigger" --corpus /tmp/mt-mime-corpus \
    --generate 500 --schema docs/payload.schema.json 2>&1 | tee /tmp/mailtrigger-differential.log
differential_status=${PIPESTATUS[0]}
set -e

# The example configuration must satisfy the editors' JSON Schema (mailtrigger check is tested
# against it in swift test).
python3 - <<'PY' || { log "FAILED: config.example.json does not match deploy/config.schema.json"; exit 1; }
import json, jsonschema
schema = json.load(open("deploy/config.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(json.load(open("config.example.json")), schema)
print("[test.sh] config.example.json matches deploy/config.schema.json")
PY

# Quadratic MIME inputs (threat model M4): each pathological message at 1 MB takes at most 8x
# its 0.25 MB time (quadratic code: 16x), debug build, best of two runs, about 15 s in all.
log "MIME worst cases: no quadratic growth"
set +e
bash scripts/bench/mime_worst_case.sh "$bin_path/MIMEBenchmark" 20 2>&1 | tee /tmp/mailtrigger-worst-case.log
worst_status=${PIPESTATUS[0]}
set -e

# 6. Fuzz the MIME parser for a bounded time; a crash, leak or hang fails the run.
log "fuzzing MailMIME and IMAPCore for ${MT_FUZZ_SECONDS:-60} s each"
set +e
bash scripts/fuzz.sh "${MT_FUZZ_SECONDS:-60}" 2>&1 | tail -30 | tee /tmp/mailtrigger-fuzz.log
fuzz_status=${PIPESTATUS[0]}
set -e

# The systemd unit: systemd-analyze verify, and an exposure of 2.0 or less.
log "checking deploy/mailtrigger.service"
set +e
bash scripts/check-unit.sh "$bin_path/mailtrigger" 2>&1 | tee /tmp/mailtrigger-unit.log
unit_status=${PIPESTATUS[0]}
# deploy/install.sh into a staging directory: install, reinstall, uninstall.
bash scripts/check-install.sh "$bin_path/mailtrigger" 2>&1 | tee -a /tmp/mailtrigger-unit.log
install_status=${PIPESTATUS[0]}
((unit_status == 0)) && unit_status=$install_status
set -e

# 7. Every test passed, and every integration test declared in the sources ran and passed.
set +e
python3 scripts/test-report.py Tests /tmp/mailtrigger-events-*.jsonl | tee /tmp/mailtrigger-report.log
report_status=${PIPESTATUS[0]}
set -e
read -r total failed < <(sed -nE 's/^counts: ([0-9]+) ([0-9]+)$/\1 \2/p' /tmp/mailtrigger-report.log) || true
log "build $((built - started)) s, total $(($(date +%s) - started)) s"
if [ "$status" -ne 0 ] || [ "${failed:-1}" -ne 0 ]; then
    log "FAILED: swift test exited $status (full output: /tmp/mailtrigger-test.log)"
    echo "${total:-0} passed, $(( ${failed:-0} > 0 ? failed : 1 )) failed"
    exit 1
fi
if [ "$secret_status" -ne 0 ]; then
    log "FAILED: a secret the tests used is in a log they left (/tmp/mailtrigger-secret-scan.log)"
    echo "${total:-0} passed, 1 failed"
    exit 1
fi
if [ "$worst_status" -ne 0 ]; then
    log "FAILED: a pathological MIME message grows faster than linearly (/tmp/mailtrigger-worst-case.log)"
    echo "${total:-0} passed, 1 failed"
    exit 1
fi
if [ "$fuzz_status" -ne 0 ]; then
    log "FAILED: the fuzzer found a crash, leak or hang (see Fuzz/*/crashes/)"
    echo "${total:-0} passed, 1 failed"
    exit 1
fi
if [ "$unit_status" -ne 0 ]; then
    log "FAILED: deploy/mailtrigger.service (systemd-analyze verify or security) or deploy/install.sh"
    echo "${total:-0} passed, 1 failed"
    exit 1
fi
if [ "$differential_status" -ne 0 ]; then
    log "FAILED: the MIME differential test"
    echo "${total:-0} passed, 1 failed"
    exit 1
fi
if [ "$report_status" -ne 0 ]; then
    log "FAILED: the integration tests did not all run and pass (see above)"
    echo "${total:-0} passed, 1 failed"
    exit 1
fi
echo "${total:-0} passed, 0 failed"
