#!/usr/bin/env bash
# mailtrigger daemon benchmark, on demand (not part of scripts/test.sh). Described in
# docs/benchmarks.md. Builds mailtrigger and WebhookReceiverTool as shipped (scripts/build-release.sh),
# starts a private Dovecot on loopback (scripts/imap-test-server.sh, ports 16993/16143) and
# measures, printing each figure next to its target:
#   latency  IDLE mode, APPEND done -> webhook received, BENCH_LATENCY_COUNT messages one at a
#            time; the server's floor (a bare IDLE client's `* n EXISTS`) is measured on the
#            same appends. Target: added delay over the floor p50 <= 20 ms, p99 <= 100 ms.
#   burst    BENCH_BURST_COUNT messages already in a mailbox, startFrom "all": time until the
#            receiver has every idempotency key. Target >= 1000 messages/s, and >= 60 % of
#            mbsync's rate downloading the same mailbox from the same server.
#   idle     CPU % and max RSS over BENCH_IDLE_SECONDS with 1 and BENCH_IDLE_MAILBOXES watched
#            mailboxes (IDLE) and no new mail. Target at 100: CPU <= 1 %, RSS <= 40 MB.
#   scale    BENCH_SCALE_MAILBOXES users' INBOXes (one profile each) watched with IDLE by one
#            daemon: start to READY=1 (target <= 1 s at 1,000 profiles) and to every mailbox
#            watching, read from a stand-in NOTIFY_SOCKET; CPU and RSS over BENCH_IDLE_SECONDS
#            with no new mail and the server's keepalive at BENCH_SCALE_KEEPALIVE, Dovecot's
#            shipped 2 minutes (targets: CPU <= 2 %, RSS <= 150 MB, peak included); then
#            BENCH_SCALE_MESSAGES appends spread over BENCH_SCALE_USERS of the mailboxes, each
#            with its own bare IDLE floor client (the latency targets above); then the same
#            mailboxes again with a keepalive every BENCH_SCALE_LOAD_KEEPALIVE (1 s): CPU and
#            the CPU time per keepalive, shown but not judged (1,000 responses a second is load).
# Prints a summary table and exits 1 if a target was missed (2 on a setup error).
#
# Environment:
#   BENCH_LATENCY_COUNT (200)  BENCH_BURST_COUNT (10000)  BENCH_BURST_RUNS (3)  BENCH_IDLE_SECONDS (60)
#   BENCH_IDLE_MAILBOXES (100) BENCH_SKIP (e.g. "burst,idle"; phases: latency burst idle scale)
#   BENCH_SCALE_MAILBOXES (1000) BENCH_SCALE_MESSAGES (100) BENCH_SCALE_USERS (20)
#   BENCH_SCALE_KEEPALIVE ("2 mins") BENCH_SCALE_LOAD_KEEPALIVE ("1 secs"; "" skips that run)
#   BENCH_KEEPALIVE (the test server's "1 secs": every IDLE session gets `* OK Still here` each
#   second; Dovecot ships "2 mins")
#   BENCH_DIR (/tmp/mt-bench: the Dovecot instance)  BENCH_TLS_PORT (16993)
#   BENCH_PLAIN_PORT (16143)  BENCH_WEBHOOK_PORT (16880)  BENCH_CONCURRENCY (16)
#   BENCH_WORK (a new /tmp/mt-bench-run.XXXXXX: configs, logs, per-message CSV, results)
# Needs root (the private Dovecot) and installs isync (mbsync) with apt-get if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"

latency_count=${BENCH_LATENCY_COUNT:-200}
burst_count=${BENCH_BURST_COUNT:-10000}
burst_runs=${BENCH_BURST_RUNS:-3}
idle_seconds=${BENCH_IDLE_SECONDS:-60}
idle_mailboxes=${BENCH_IDLE_MAILBOXES:-100}
scale_mailboxes=${BENCH_SCALE_MAILBOXES:-1000}
scale_messages=${BENCH_SCALE_MESSAGES:-100}
scale_users=${BENCH_SCALE_USERS:-20}
# The scale targets are judged with the keepalive Dovecot ships; the load run that follows
# uses the test server's every-second keepalive ("" skips it).
scale_keepalive=${BENCH_SCALE_KEEPALIVE:-2 mins}
scale_load_keepalive=${BENCH_SCALE_LOAD_KEEPALIVE-1 secs}
skip=${BENCH_SKIP:-}
server_dir=${BENCH_DIR:-/tmp/mt-bench}
tls_port=${BENCH_TLS_PORT:-16993}
plain_port=${BENCH_PLAIN_PORT:-16143}
webhook_port=${BENCH_WEBHOOK_PORT:-16880}
concurrency=${BENCH_CONCURRENCY:-16}
work=${BENCH_WORK:-$(mktemp -d /tmp/mt-bench-run.XXXXXX)}
# Results of an earlier run in the same directory would mix into this one's figures.
if [[ -d $work && -n $(ls -A "$work" 2>/dev/null) ]]; then
    echo "[bench-daemon] BENCH_WORK $work is not empty; give a new directory" >&2
    exit 2
fi
mkdir -p "$work/results"
results=$work/results
bench=$root/scripts/bench
server=$root/scripts/imap-test-server.sh
python=${PYTHON:-python3}
# One user per phase, so that their inotify instances (counted per uid) and sessions stay apart.
# The scale phase has users mt11.. of its own.
latency_user=mt7 burst_user=mt8 idle_user=mt6 scale_first=11

log() { printf '[bench-daemon] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
now_ms() { date +%s%3N; }
skipped() { [[ ",${skip// /,}," == *",$1,"* ]]; }

for n in "$latency_count" "$burst_count" "$burst_runs" "$idle_seconds" "$idle_mailboxes" "$concurrency" \
    "$scale_mailboxes" "$scale_messages" "$scale_users"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_* counts must be positive integers (got '$n')"
done
(($(id -u) == 0)) || die "must run as root (the private Dovecot switches to per-user uids)"

# ------------------------------------------------------------------ clean-up ---
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    "$server" stop "$server_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() { # remove $1 from pids
    local keep=() p
    for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    pids=("${keep[@]+"${keep[@]}"}")
}

# stop_pid PID [SECONDS]: SIGTERM, wait, SIGKILL.
stop_pid() {
    local pid=$1 limit=${2:-20} i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not stop within ${limit}s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

# ------------------------------------------------------------------- set-up ---
log "work directory: $work"
log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"

log "building mailtrigger, WebhookReceiverTool and WebhookBenchmark as shipped (scripts/build-release.sh, .build-static; a cold build takes 10+ min)"
if ! built=$("$root/scripts/build-release.sh" mailtrigger WebhookReceiverTool WebhookBenchmark 2>"$work/build.log"); then
    tail -40 "$work/build.log" >&2
    die "the release build failed (log: $work/build.log)"
fi
bin=$(dirname "$(head -1 <<<"$built")")
# BENCH_MAILTRIGGER: measure another build of the daemon (say, one linked with -static-stdlib).
mailtrigger=${BENCH_MAILTRIGGER:-$bin/mailtrigger}
receiver_bin=$bin/WebhookReceiverTool
webhook_bench=$bin/WebhookBenchmark

if ! skipped burst && ! command -v mbsync >/dev/null; then
    log "installing isync (mbsync)"
    DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 install isync </dev/null >&2 ||
        { apt-get update </dev/null >&2 && DEBIAN_FRONTEND=noninteractive apt-get -y install isync </dev/null >&2; } ||
        die "cannot install isync"
fi

log "starting a private Dovecot in $server_dir (tls $tls_port, plain $plain_port)"
"$server" stop "$server_dir" >/dev/null 2>&1 || true
user_count=8
skipped scale || user_count=$((scale_first + scale_mailboxes - 1))
((user_count <= 2000)) || die "BENCH_SCALE_MAILBOXES is at most $((2000 - scale_first + 1))"
MT_IMAP_IDLE_KEEPALIVE=${BENCH_KEEPALIVE:-1 secs} \
MT_IMAP_TLS_PORT=$tls_port MT_IMAP_PLAIN_PORT=$plain_port MT_IMAP_OAUTH_PORT=$((plain_port + 37)) MT_IMAP_USER_COUNT=$user_count \
    "$server" start "$server_dir" >&2
eval "$("$server" env "$server_dir")"
keepalive=$(sed -n 's/^ *imap_idle_notify_interval = //p' "$server_dir/dovecot.conf")
log "Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1), imap_idle_notify_interval = $keepalive"
password_file=$work/imap-password
printf '%s\n' "$MT_IMAP_PASSWORD" >"$password_file"
chmod 600 "$password_file"
uid_of() { sed -n "s/^$1:[^:]*:\\([0-9]*\\):.*/\\1/p" "$server_dir/users"; }
maildir_of() { printf '%s/mail/%s/Maildir' "$server_dir" "$1"; }
imap_args=(--port "$MT_IMAP_TLS_PORT" --ca "$MT_IMAP_CA_FILE" --password-file "$password_file")

phases=()
for phase in latency burst idle scale; do skipped "$phase" || phases+=("\"$phase\""); done
(IFS=,; echo "[${phases[*]}]") >"$results/phases.json"

# ------------------------------------------------------------------ helpers ---
# start_receiver NAME: WebhookReceiverTool on $webhook_port, keys and count files in $work/NAME.
receiver_pid=''
start_receiver() {
    local name=$1 i
    mkdir -p "$work/$name"
    "$receiver_bin" --port "$webhook_port" --quiet --count-file "$work/$name/count" \
        --log-keys "$work/$name/keys.log" >"$work/$name/receiver.out" 2>&1 &
    receiver_pid=$!
    pids+=("$receiver_pid")
    for ((i = 0; i < 100; i++)); do
        grep -q "listening" "$work/$name/receiver.out" 2>/dev/null && [[ -e $work/$name/count ]] && return 0
        kill -0 "$receiver_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$work/$name/receiver.out" >&2
    die "the webhook receiver did not start"
}

# write_config NAME USER START_FROM MAILBOX...: $work/NAME/config.json, state in $work/NAME/state.
write_config() {
    local name=$1 user=$2 start_from=$3
    shift 3
    local boxes='' m
    for m in "$@"; do boxes+="${boxes:+, }\"$m\""; done
    mkdir -p "$work/$name"
    rm -rf "$work/$name/state"
    cat >"$work/$name/config.json" <<JSON
{
  "stateDirectory": "$work/$name/state",
  "delivery": { "concurrency": $concurrency },
  "profiles": [{
    "name": "bench",
    "server": { "host": "$MT_IMAP_HOST", "port": $MT_IMAP_TLS_PORT, "security": "tls", "tls": { "caFile": "$MT_IMAP_CA_FILE" } },
    "auth": { "method": "password", "username": "$user", "password": { "file": "$password_file" } },
    "mailboxes": [$boxes],
    "mode": "auto",
    "startFrom": "$start_from",
    "flows": [{ "name": "all", "actions": [{ "type": "webhook", "url": "http://127.0.0.1:$webhook_port/hook" }] }]
  }]
}
JSON
    "$mailtrigger" check --config "$work/$name/config.json" >/dev/null || die "invalid benchmark config $work/$name/config.json"
}

# start_daemon NAME: mailtrigger run, stderr to $work/NAME/daemon.log; sets daemon_pid.
daemon_pid=''
start_daemon() {
    local name=$1
    "$mailtrigger" run --config "$work/$name/config.json" --log-level warning 2>"$work/$name/daemon.log" >&2 &
    daemon_pid=$!
    pids+=("$daemon_pid")
}

# watching NAME: how many mailboxes `mailtrigger status --json` shows as watching.
watching() {
    "$mailtrigger" status --config "$work/$1/config.json" --json 2>/dev/null |
        "$python" -c 'import json,sys; print(sum(m["state"] == "watching" for m in json.load(sys.stdin)["mailboxes"]))' 2>/dev/null ||
        echo 0
}

# wait_watching NAME UID COUNT SECONDS: until the server shows COUNT sessions of UID in IDLE
# (Dovecot's process titles), then until `status` shows COUNT mailboxes watching. `status` is
# not called earlier: on a state directory that does not exist yet, `status` and `run` both
# create and migrate the database, and `run` can then fail ("table ... already exists").
wait_watching() {
    local name=$1 uid=$2 want=$3 limit=$4 deadline have=0 sessions=0
    deadline=$(($(now_ms) + limit * 1000))
    while (($(now_ms) < deadline)); do
        kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/$name/daemon.log" >&2; die "the daemon exited"; }
        sessions=$(idle_sessions "$uid")
        if ((sessions >= want)); then
            have=$(watching "$name")
            ((have >= want)) && return 0
        fi
        sleep 0.2
    done
    tail -20 "$work/$name/daemon.log" >&2
    die "after ${limit}s: $sessions of $want sessions in IDLE, $have of $want mailboxes watching"
}

# idle_sessions UID: Dovecot imap processes of that uid whose title says IDLE (verbose_proctitle).
idle_sessions() { pgrep -c -u "$1" -f 'imap \[.* IDLE\]' || true; }

cpu_ticks() { # utime+stime of a pid (all threads)
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
machine_busy() { # "busy idle" jiffies of all CPUs
    awk '/^cpu / { print $2+$3+$4+$7+$8, $5+$6 }' /proc/stat
}

daemon_warnings() { # NAME: the daemon's warning/error lines, if any
    local file=$work/$1/daemon.log
    if [[ -s $file ]]; then
        log "daemon log of the $1 phase ($(wc -l <"$file") lines; first 5):"
        head -5 "$file" | sed 's/^/    /' >&2
    fi
}

# ----------------------------------------------------------------- latency ---
run_latency() {
    log "=== latency: $latency_count messages one at a time, IDLE, user $latency_user, mailbox Latency"
    "$server" reset-user "$server_dir" "$latency_user" >/dev/null
    "$python" "$bench/fill_maildir.py" "$(maildir_of "$latency_user")" --uid "$(uid_of "$latency_user")" --mailbox Latency --count 0 >/dev/null
    start_receiver latency
    write_config latency "$latency_user" new Latency
    start_daemon latency
    wait_watching latency "$(uid_of "$latency_user")" 1 60
    local floor_pid i
    rm -f "$work/latency/floor.log" "$work/latency/floor.ready"
    "$python" "$bench/idle_floor.py" "${imap_args[@]}" --user "$latency_user" --mailbox Latency \
        --out "$work/latency/floor.log" --ready "$work/latency/floor.ready" \
        --max-seconds $((latency_count * 20 + 120)) 2>"$work/latency/floor.err" &
    floor_pid=$!
    pids+=("$floor_pid")
    for ((i = 0; i < 150; i++)); do [[ -e $work/latency/floor.ready ]] && break; sleep 0.1; done
    [[ -e $work/latency/floor.ready ]] || { cat "$work/latency/floor.err" >&2; die "the floor client did not reach IDLE"; }
    # Both sessions in IDLE before the first append.
    for ((i = 0; i < 100; i++)); do (($(idle_sessions "$(uid_of "$latency_user")") >= 2)) && break; sleep 0.1; done
    log "IDLE sessions of $latency_user: $(idle_sessions "$(uid_of "$latency_user")") (mailtrigger + floor client)"
    local busy0 busy1
    busy0=$(machine_busy)
    timeout $((latency_count * 16 + 120)) "$python" "$bench/append_latency.py" "${imap_args[@]}" --user "$latency_user" \
        --mailbox Latency --count "$latency_count" --keys "$work/latency/keys.log" --floor "$work/latency/floor.log" \
        --csv "$work/latency/latency.csv" --json "$results/latency.json" >/dev/null ||
        log "append_latency.py failed (exit $?)"
    busy1=$(machine_busy)
    log "machine CPU busy during the latency phase: $(awk -v a="$busy0" -v b="$busy1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f %%", 100 * (y[1] - x[1]) / ((y[1] - x[1]) + (y[2] - x[2])) }')"
    stop_pid "$floor_pid" 10
    stop_pid "$daemon_pid" 40
    stop_pid "$receiver_pid" 10
    daemon_warnings latency
}

# ------------------------------------------------------------------- burst ---
burst_setup() {
    local uid maildir
    uid=$(uid_of "$burst_user")
    maildir=$(maildir_of "$burst_user")
    log "=== burst: $burst_count messages in $burst_user/Burst, startFrom all, delivery.concurrency $concurrency"
    "$server" reset-user "$server_dir" "$burst_user" >/dev/null
    "$python" "$bench/fill_maildir.py" "$maildir" --uid "$uid" --mailbox Burst --count "$burst_count" >&2
    log "warm-up (Dovecot indexes the mailbox; neither timed client pays for it): $(
        timeout 600 "$python" "$bench/warm_mailbox.py" "${imap_args[@]}" --user "$burst_user" --mailbox Burst)"
}

# burst_round N: one measurement of each client on the mailbox burst_setup filled, in this
# order, with fresh state: $work/burst-N, $results/burst-N.json.
burst_round() {
    local name=burst-$1 uid
    uid=$(uid_of "$burst_user")
    log "--- burst round $1 of $burst_runs"
    # 1. mailtrigger (first).
    start_receiver "$name"
    write_config "$name" "$burst_user" all Burst
    local t0 t1 deadline have=0 busy0 busy1 d_ticks r_ticks0 r_ticks1 hz
    hz=$(getconf CLK_TCK)
    busy0=$(machine_busy)
    r_ticks0=$(cpu_ticks "$receiver_pid")
    t0=$(now_ms)
    start_daemon "$name"
    deadline=$((t0 + (burst_count / 50 + 120) * 1000))
    while (($(now_ms) < deadline)); do
        have=$(cat "$work/$name/count" 2>/dev/null || echo 0)
        ((have >= burst_count)) && break
        kill -0 "$daemon_pid" 2>/dev/null || { log "the daemon exited"; break; }
        sleep 0.2
    done
    busy1=$(machine_busy)
    d_ticks=$(cpu_ticks "$daemon_pid")
    r_ticks1=$(cpu_ticks "$receiver_pid")
    local imap_ticks
    imap_ticks=$(for p in $(pgrep -u "$uid" imap || true); do cpu_ticks "$p"; done | awk '{ s += $1 } END { print s + 0 }')
    local rss_kb
    rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$daemon_pid/status" 2>/dev/null || echo 0)
    stop_pid "$daemon_pid" 40
    stop_pid "$receiver_pid" 10
    daemon_warnings "$name"
    # The end is the last receipt's own timestamp (the count file is only rewritten each second).
    t1=$(awk '{ if ($1 > m) m = $1 } END { printf "%.0f", m }' "$work/$name/keys.log")
    local first
    first=$(awk 'NR == 1 || $1 < m { m = $1 } END { printf "%.0f", m }' "$work/$name/keys.log")
    have=$(awk '{ print $2 }' "$work/$name/keys.log" | sort -u | wc -l)
    log "mailtrigger: $have/$burst_count distinct keys; start -> first webhook $((first - t0)) ms, start -> last $((t1 - t0)) ms"
    log "CPU during the mailtrigger burst: daemon $(awk -v t="$d_ticks" -v h="$hz" 'BEGIN { printf "%.2f", t / h }') s, receiver $(awk -v a="$r_ticks0" -v b="$r_ticks1" -v h="$hz" 'BEGIN { printf "%.2f", (b - a) / h }') s, Dovecot imap $(awk -v t="$imap_ticks" -v h="$hz" 'BEGIN { printf "%.2f", t / h }') s; daemon peak RSS $((rss_kb / 1024)) MB; machine busy $(awk -v a="$busy0" -v b="$busy1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f %%", 100 * (y[1] - x[1]) / ((y[1] - x[1]) + (y[2] - x[2])) }')"

    # 2. mbsync (second), same mailbox, same server, into a fresh Maildir.
    local near=$work/$name/mbsync-maildir rc=$work/$name/mbsyncrc m0 m1 got mb_status=0
    rm -rf "$near" && mkdir -p "$near"
    cat >"$rc" <<RC
# Written by scripts/bench-daemon.sh: pull one mailbox, no fsync (mailtrigger's SQLite WAL with
# synchronous=NORMAL does not fsync each commit either).
FSync no

IMAPAccount bench
Host $MT_IMAP_HOST
Port $MT_IMAP_TLS_PORT
User $burst_user
PassCmd "cat $password_file"
SSLType IMAPS
CertificateFile $MT_IMAP_CA_FILE

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path $near/
Inbox $near/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns Burst
Sync Pull
Create Near
Expunge None
SyncState *
RC
    busy0=$(machine_busy)
    m0=$(now_ms)
    timeout $((burst_count / 20 + 120)) mbsync -c "$rc" -q bench >"$work/$name/mbsync.log" 2>&1 || mb_status=$?
    m1=$(now_ms)
    busy1=$(machine_busy)
    got=$(find "$near/Burst/cur" "$near/Burst/new" -type f 2>/dev/null | wc -l)
    ((mb_status == 0)) || { log "mbsync failed (exit $mb_status):"; tail -5 "$work/$name/mbsync.log" >&2; }
    log "mbsync: $got/$burst_count messages in $((m1 - m0)) ms; machine busy $(awk -v a="$busy0" -v b="$busy1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f %%", 100 * (y[1] - x[1]) / ((y[1] - x[1]) + (y[2] - x[2])) }')"

    # 3. The webhook path alone: WebhookSender over WebhookClient, as the daemon configures
    # it, posting a payload of the burst's median size as many times, same concurrency, to a
    # fresh receiver. No IMAP, MIME or SQLite: what the machine allows for the last stage alone.
    local payload=$work/$name/payload.json w_out=$work/$name/webhook-alone.txt w0 w1 w_status=0
    "$python" - "$work/$name/state/state.sqlite" "$payload" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT payload FROM outbox_payload JOIN outbox ON outbox.id = job_id WHERE kind = 'action' ORDER BY length(payload)").fetchall()
open(sys.argv[2], "wb").write(rows[len(rows) // 2][0])
PY
    start_receiver "$name-webhook"
    w0=$(now_ms)
    timeout $((burst_count / 50 + 120)) "$webhook_bench" --url "http://127.0.0.1:$webhook_port/hook" --payload "$payload" \
        --count "$burst_count" --concurrency "$concurrency" >"$w_out" 2>&1 || w_status=$?
    w1=$(now_ms)
    stop_pid "$receiver_pid" 10
    log "webhook path alone: $(cat "$w_out") (payload $(wc -c <"$payload") bytes)"

    "$python" - "$results/$name.json" <<PY
import json, sys
count, have, t0, t1, first = $burst_count, $have, $t0, $t1, $first
m0, m1, got, mb_status = $m0, $m1, $got, $mb_status
w0, w1, w_status = $w0, $w1, $w_status
result = {"count": count, "received": have, "concurrency": $concurrency,
          "mailtrigger_seconds": (t1 - t0) / 1000, "first_webhook_ms": first - t0,
          "mailtrigger_rate": count / ((t1 - t0) / 1000) if have >= count and t1 > t0 else None,
          "daemon_cpu_seconds": $d_ticks / $hz, "receiver_cpu_seconds": ($r_ticks1 - $r_ticks0) / $hz,
          "dovecot_imap_cpu_seconds": $imap_ticks / $hz, "daemon_peak_rss_mb": $rss_kb / 1024,
          "mbsync_seconds": (m1 - m0) / 1000, "mbsync_messages": got,
          "mbsync_rate": count / ((m1 - m0) / 1000) if mb_status == 0 and got >= count else None,
          "webhook_alone_seconds": (w1 - w0) / 1000,
          "webhook_alone_rate": count / ((w1 - w0) / 1000) if w_status == 0 else None}
json.dump(result, open(sys.argv[1], "w"), indent=1)
PY
}

# run_burst: BENCH_BURST_RUNS rounds on one filled mailbox; burst.json holds each figure's median
# (mbsync's rate varies most between runs: its 10,000 file creations compete with writeback).
run_burst() {
    burst_setup
    local n
    for ((n = 1; n <= burst_runs; n++)); do burst_round "$n"; done
    "$python" - "$results" "$burst_runs" <<'PY'
import json, statistics, sys
directory, runs = sys.argv[1], int(sys.argv[2])
rounds = [json.load(open(f"{directory}/burst-{n}.json")) for n in range(1, runs + 1)]
def median(key):
    values = [r[key] for r in rounds if r.get(key) is not None]
    return statistics.median(values) if len(values) == len(rounds) else None
result = {key: median(key) for key in rounds[0] if isinstance(rounds[0][key], (int, float)) or rounds[0][key] is None}
result["received"] = min(r["received"] for r in rounds)
result["count"] = rounds[0]["count"]
result["runs"] = runs
result["rounds"] = rounds
json.dump(result, open(f"{directory}/burst.json", "w"), indent=1)
PY
}

# -------------------------------------------------------------------- idle ---
run_idle() {
    local uid maildir k
    uid=$(uid_of "$idle_user")
    maildir=$(maildir_of "$idle_user")
    "$server" reset-user "$server_dir" "$idle_user" >/dev/null
    "$python" "$bench/fill_maildir.py" "$maildir" --uid "$uid" --create-mailboxes Idle --number "$idle_mailboxes" >/dev/null
    for k in 1 "$idle_mailboxes"; do
        log "=== idle: $k mailbox(es) of $idle_user in IDLE, no new mail, ${idle_seconds}s"
        local boxes=() j
        for ((j = 1; j <= k; j++)); do boxes+=("$(printf 'Idle%03d' "$j")"); done
        write_config "idle-$k" "$idle_user" new "${boxes[@]}"
        start_daemon "idle-$k"
        wait_watching "idle-$k" "$uid" "$k" $((60 + k))
        # Let the start-up settle (TLS handshakes, first syncs, every session in IDLE).
        sleep 3
        log "Dovecot IDLE sessions of $idle_user: $(idle_sessions "$uid"); sampling the daemon (pid $daemon_pid) for ${idle_seconds}s"
        "$python" "$bench/proc_sample.py" "$daemon_pid" "$idle_seconds" --json "$work/idle-$k/sample.json" >/dev/null
        "$python" - "$work/idle-$k/sample.json" "$results/idle-$k.json" "$k" "$(idle_sessions "$uid")" <<'PY'
import json, sys
sample = json.load(open(sys.argv[1]))
sample["mailboxes"] = int(sys.argv[3])
sample["idle_sessions_after"] = int(sys.argv[4])
json.dump(sample, open(sys.argv[2], "w"), indent=1)
PY
        log "idle $k: $(tr -d "\n " <"$results/idle-$k.json")"
        stop_pid "$daemon_pid" 40
        daemon_warnings "idle-$k"
    done
}

# ------------------------------------------------------------------- scale ---
# notified NAME TEXT: the epoch-ms of the first datagram in $work/NAME/notify.log containing TEXT.
notified() {
    awk -v text="$2" 'index($0, text) { printf "%.0f\n", $1; exit }' "$work/$1/notify.log" 2>/dev/null
}

# set_keepalive VALUE: the server's imap_idle_notify_interval from now on. The master re-reads
# its configuration on SIGHUP; sessions that log in afterwards get the new value.
set_keepalive() {
    local conf=$server_dir/dovecot.conf now
    sed -i "s/^\( *imap_idle_notify_interval = \).*/\1$1/" "$conf"
    kill -HUP "$(cat "$server_dir/run/master.pid")" || die "cannot signal Dovecot's master"
    sleep 1
    now=$(doveconf -c "$conf" -f protocol=imap -h imap_idle_notify_interval 2>/dev/null || true)
    [[ $now == "$1" ]] || die "the server's keepalive is '$now', not '$1'"
    log "server keepalive (imap_idle_notify_interval) now $now"
}

# start_scale NAME: a daemon watching every scale mailbox (a profile each) with a stand-in
# NOTIFY_SOCKET; returns once every mailbox is watching and in IDLE on the server. Sets
# daemon_pid, notify_pid, t0, ready_at, watching_at, sessions.
start_scale() {
    local name=$1 deadline i
    mkdir -p "$work/$name"
    rm -rf "$work/$name/state"
    "$python" - "$work/$name/config.json" "$work/$name/state" "$scale_first" "$scale_last" "$MT_IMAP_HOST" "$MT_IMAP_TLS_PORT" \
        "$MT_IMAP_CA_FILE" "$password_file" "$webhook_port" "$concurrency" <<'PY'
import json, sys
out, state, first, last, host, port, ca, password, webhook, concurrency = sys.argv[1:]
profiles = [{
    "name": f"mt{k}",
    "server": {"host": host, "port": int(port), "security": "tls", "tls": {"caFile": ca}},
    "auth": {"method": "password", "username": f"mt{k}", "password": {"file": password}},
    "mailboxes": ["INBOX"], "mode": "auto", "startFrom": "new",
    "flows": [{"name": "all", "actions": [{"type": "webhook", "url": f"http://127.0.0.1:{webhook}/hook"}]}],
} for k in range(int(first), int(last) + 1)]
json.dump({"stateDirectory": state, "delivery": {"concurrency": int(concurrency)}, "profiles": profiles},
          open(out, "w"), indent=1)
PY
    "$mailtrigger" check --config "$work/$name/config.json" >/dev/null || die "invalid benchmark config $work/$name/config.json"
    "$python" "$bench/notify_listen.py" "$work/$name/notify.sock" "$work/$name/notify.log" --max-seconds 7200 \
        2>"$work/$name/notify.err" &
    notify_pid=$!
    pids+=("$notify_pid")
    for ((i = 0; i < 100; i++)); do [[ -S $work/$name/notify.sock ]] && break; sleep 0.05; done
    [[ -S $work/$name/notify.sock ]] || die "the notify listener did not start"

    # Every watched mailbox holds a socket: more than the 1,024 open files a shell or a unit
    # gives by default (the daemon raises its soft limit to the hard one itself).
    t0=$(now_ms)
    NOTIFY_SOCKET=$work/$name/notify.sock "$mailtrigger" run --config "$work/$name/config.json" --log-level warning \
        2>"$work/$name/daemon.log" >&2 &
    daemon_pid=$!
    pids+=("$daemon_pid")
    deadline=$(($(now_ms) + 30000))
    until ready_at=$(notified "$name" "READY=1") && [[ -n $ready_at ]]; do
        (($(now_ms) < deadline)) || die "no READY=1 within 30 s"
        kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/$name/daemon.log" >&2; die "the daemon exited"; }
        sleep 0.01
    done
    log "READY=1 after $((ready_at - t0)) ms"
    deadline=$(($(now_ms) + 600000))
    until watching_at=$(notified "$name" ": $scale_mailboxes watching;") && [[ -n $watching_at ]]; do
        (($(now_ms) < deadline)) || { tail -3 "$work/$name/notify.log" >&2; die "not every mailbox watching within 600 s"; }
        kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/$name/daemon.log" >&2; die "the daemon exited"; }
        sleep 0.1
    done
    log "every mailbox watching $((watching_at - t0)) ms after the start; $(grep -c 'STATUS=' "$work/$name/notify.log") status lines"
    # Let the last sessions enter IDLE before anything is measured.
    sleep 5
    sessions=$(pgrep -c -f 'imap \[mt[0-9]+ .*IDLE\]' || true)
}

run_scale() {
    local n=$scale_mailboxes name=scale
    local notify_pid t0 ready_at watching_at sessions
    scale_last=$((scale_first + scale_mailboxes - 1))
    log "=== scale: $n mailboxes (users mt$scale_first..mt$scale_last, a profile each, INBOX, IDLE), no new mail"
    set_keepalive "$scale_keepalive"
    start_receiver "$name"
    start_scale "$name"
    log "Dovecot IDLE sessions: $sessions; sampling the daemon (pid $daemon_pid) for ${idle_seconds}s"
    "$python" "$bench/proc_sample.py" "$daemon_pid" "$idle_seconds" --json "$work/$name/sample.json" >/dev/null

    # Latency: appends spread over scale_users of the mailboxes, each with its own floor client.
    local users floor_pids=() user
    users=$("$python" -c 'import random, sys; f, l, k = map(int, sys.argv[1:]); print(",".join(f"mt{u}" for u in random.Random(11).sample(range(f, l + 1), min(k, l - f + 1))))' \
        "$scale_first" "$scale_last" "$scale_users")
    log "latency: $scale_messages messages over $(tr ',' '\n' <<<"$users" | wc -l) mailboxes ($users)"
    for user in ${users//,/ }; do
        rm -f "$work/$name/floor-$user.log" "$work/$name/floor-$user.ready"
        "$python" "$bench/idle_floor.py" "${imap_args[@]}" --user "$user" --mailbox INBOX \
            --out "$work/$name/floor-$user.log" --ready "$work/$name/floor-$user.ready" \
            --max-seconds $((scale_messages * 20 + 120)) 2>"$work/$name/floor-$user.err" &
        floor_pids+=($!)
        pids+=($!)
    done
    for user in ${users//,/ }; do
        for ((i = 0; i < 150; i++)); do [[ -e $work/$name/floor-$user.ready ]] && break; sleep 0.1; done
        [[ -e $work/$name/floor-$user.ready ]] || { cat "$work/$name/floor-$user.err" >&2; die "the floor client of $user did not reach IDLE"; }
    done
    timeout $((scale_messages * 16 + 120)) "$python" "$bench/append_latency.py" "${imap_args[@]}" --user "${users%%,*}" --users "$users" \
        --mailbox INBOX --count "$scale_messages" --keys "$work/$name/keys.log" --floor "$work/$name/floor-{user}.log" \
        --csv "$work/$name/latency.csv" --json "$results/scale-latency.json" >/dev/null ||
        log "append_latency.py failed (exit $?)"
    local pid
    for pid in "${floor_pids[@]}"; do stop_pid "$pid" 10; done
    "$python" - "$work/$name/sample.json" "$results/scale.json" "$n" "$((ready_at - t0))" "$((watching_at - t0))" "$sessions" \
        "$(grep -c 'STATUS=' "$work/$name/notify.log")" "$(awk '/VmHWM/ { print $2 }' "/proc/$daemon_pid/status")" \
        "$scale_keepalive" <<'PY'
import json, sys
sample = json.load(open(sys.argv[1]))
n, ready, watching, sessions, statuses, hwm = map(int, sys.argv[3:9])
sample.update({"mailboxes": n, "ready_ms": ready, "all_watching_ms": watching, "idle_sessions": sessions,
               "status_datagrams": statuses, "hwm_end_mb": hwm / 1024.0, "keepalive": sys.argv[9]})
json.dump(sample, open(sys.argv[2], "w"), indent=1)
PY
    log "scale: $(tr -d "\n " <"$results/scale.json")"
    stop_pid "$daemon_pid" 60
    stop_pid "$notify_pid" 10
    daemon_warnings "$name"

    # The same mailboxes under a server that sends every IDLE session `* OK Still here` each
    # BENCH_SCALE_LOAD_KEEPALIVE: not idle (1,000 responses a second at "1 secs"), so not judged
    # against the idle target; the cost per keepalive is what it shows.
    if [[ -n $scale_load_keepalive ]]; then
        name=scale-keepalive
        log "=== scale under keepalives: the same $n mailboxes, server keepalive $scale_load_keepalive"
        set_keepalive "$scale_load_keepalive"
        start_scale "$name"
        log "Dovecot IDLE sessions: $sessions; sampling the daemon (pid $daemon_pid) for ${idle_seconds}s"
        "$python" "$bench/proc_sample.py" "$daemon_pid" "$idle_seconds" --json "$work/$name/sample.json" >/dev/null
        "$python" - "$work/$name/sample.json" "$results/scale-keepalive.json" "$n" "$sessions" "$scale_load_keepalive" <<'PY'
import json, re, sys
sample = json.load(open(sys.argv[1]))
n, sessions, keepalive = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
amount, unit = re.match(r"(\d+)\s*(\w+)", keepalive).groups()
interval = int(amount) * (60 if unit.startswith("min") else 1)
responses = sessions * sample["seconds"] / interval
sample.update({"mailboxes": n, "idle_sessions": sessions, "keepalive": keepalive,
               "keepalives_per_second": sessions / interval,
               "us_per_keepalive": sample["cpu_seconds"] / responses * 1e6 if responses else None})
json.dump(sample, open(sys.argv[2], "w"), indent=1)
PY
        log "scale under keepalives: $(tr -d "\n " <"$results/scale-keepalive.json")"
        stop_pid "$daemon_pid" 60
        stop_pid "$notify_pid" 10
        daemon_warnings "$name"
    fi
    stop_pid "$receiver_pid" 10
}

skipped latency || run_latency
skipped burst || run_burst
skipped idle || run_idle
skipped scale || run_scale

if grep -q "Inotify instance limit" "$server_dir/log/dovecot.log" 2>/dev/null; then
    log "note: Dovecot hit the per-uid inotify instance limit during the run (fell back to 1 s polling):"
    grep "Inotify instance limit" "$server_dir/log/dovecot.log" | tail -3 >&2
fi
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); files in $work"
echo
scale_note=
skipped scale || scale_note="; scale phase: $scale_keepalive${scale_load_keepalive:+, then $scale_load_keepalive}"
echo "mailtrigger daemon benchmark ($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); IDLE keepalive $keepalive$scale_note)"
"$python" "$bench/summary.py" "$results"
