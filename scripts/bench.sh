#!/usr/bin/env bash
# MailMIME benchmark, on demand (not in CI). Builds MIMEBenchmark in release (.build-bench),
# generates a mixed corpus with gen_corpus.py (COUNT ordinary messages plus the --large ones),
# runs MIMEBenchmark and bench_python.py on that same corpus, then MIMEBenchmark's
# large-attachment mode at 10, 25 and 50 MB, and prints PASS/FAIL for each target:
#   throughput   mailtrigger's messages/s >= 10x Python's email package
#   linear time  the 50 MB attachment takes at most 1.5x the time per MB of the 10 MB one
#   memory       peak RSS < 3x the message size, at 10, 25 and 50 MB
#   worst case   each pathological message (MIMEBenchmark --worst-case) at 1 MB in under 2 s
#                and in at most 8x its time at 0.25 MB (linear: 4x; quadratic: 16x)
# Exits 1 if a target failed.
#
# Environment: BENCH_COUNT (default 500), BENCH_REPEAT (default 5), BENCH_CORPUS (default
# /tmp/mailtrigger-bench-corpus; regenerated every run), MIME_SCRIPTS (where gen_corpus.py and
# bench_python.py live; default scripts/mime), PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"

count=${BENCH_COUNT:-500}
repeat=${BENCH_REPEAT:-5}
corpus=${BENCH_CORPUS:-/tmp/mailtrigger-bench-corpus}
scripts=${MIME_SCRIPTS:-$root/scripts/mime}
python=${PYTHON:-python3}

log() { printf '[bench.sh] %s\n' "$*"; }

for script in gen_corpus.py bench_python.py; do
    [ -f "$scripts/$script" ] || { log "missing $scripts/$script (set MIME_SCRIPTS)"; exit 2; }
done

# 1. Build.
log "building MIMEBenchmark (release, .build-bench)"
build_log=$(mktemp /tmp/mailtrigger-bench-build.XXXXXX)
if ! swift build -c release --product MIMEBenchmark --scratch-path "$root/.build-bench" > "$build_log" 2>&1; then
    tail -40 "$build_log"
    log "build failed (full log: $build_log)"
    exit 1
fi
grep -E "(error|warning):" "$build_log" || true
rm -f "$build_log"
benchmark="$root/.build-bench/release/MIMEBenchmark"

# 2. Corpus.
log "generating the corpus in $corpus ($count messages + large ones)"
"$python" "$scripts/gen_corpus.py" "$corpus" --count "$count" --large --quiet

# 3. Throughput: both on the same corpus, one after the other.
swift_line=$("$benchmark" "$corpus" --repeat "$repeat" | head -1)
python_line=$("$python" "$scripts/bench_python.py" "$corpus" --repeat "$repeat")
echo "$swift_line"
echo "$python_line"
rate() { sed -E 's/.* ([0-9.]+) messages\/s.*/\1/' <<< "$1"; }
swift_rate=$(rate "$swift_line")
python_rate=$(rate "$python_line")
ratio=$(awk -v s="$swift_rate" -v p="$python_rate" 'BEGIN { printf "%.1f", (p > 0 ? s / p : 0) }')
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
throughput_ok=$(awk -v r="$ratio" 'BEGIN { print (r >= 10 ? 1 : 0) }')
echo "ratio: mailtrigger is ${ratio}x Python's email package (messages/s)"

# 4. One large attachment, each size in its own process so that peak RSS is its own.
large_lines=()
for megabytes in 10 25 50; do
    line=$("$benchmark" --large-attachment "$megabytes" --repeat "$repeat")
    echo "$line"
    large_lines+=("$line")
done
field() { sed -E "s/$2/\\1/" <<< "$1"; }
seconds_per_mb() {
    local seconds message
    message=$(field "$1" '.*message ([0-9.]+) MB,.*')
    seconds=$(field "$1" '.*MB, ([0-9.]+) s,.*')
    awk -v s="$seconds" -v m="$message" 'BEGIN { printf "%.6f", s / m }'
}
small=$(seconds_per_mb "${large_lines[0]}")
large=$(seconds_per_mb "${large_lines[2]}")
linearity=$(awk -v a="$small" -v b="$large" 'BEGIN { printf "%.2f", b / a }')
linear_ok=$(awk -v l="$linearity" 'BEGIN { print (l <= 1.5 ? 1 : 0) }')
memory_ok=1
rss_ratios=()
for line in "${large_lines[@]}"; do
    ratio_rss=$(field "$line" '.*\(([0-9.]+)x message.*')
    rss_ratios+=("${ratio_rss}x")
    [ "$(awk -v r="$ratio_rss" 'BEGIN { print (r < 3 ? 1 : 0) }')" = 1 ] || memory_ok=0
done

# 5. Pathological messages at 0.25 and 1 MB: no case may grow quadratically.
worst_ok=1
worst_lines=$(bash scripts/bench/mime_worst_case.sh "$benchmark" 2) || worst_ok=0
sed '$d' <<< "$worst_lines"

echo "throughput  (mailtrigger >= 10x Python messages/s): ${ratio}x  $(verdict "$throughput_ok")"
echo "linear time (50 MB time per MB <= 1.5x the 10 MB one): ${linearity}x  $(verdict "$linear_ok")"
echo "memory      (peak RSS < 3x message size at 10/25/50 MB): ${rss_ratios[*]}  $(verdict "$memory_ok")"
tail -1 <<< "$worst_lines"
if [ "$throughput_ok$linear_ok$memory_ok$worst_ok" != 1111 ]; then
    log "FAILED"
    exit 1
fi
log "all targets met"
