#!/usr/bin/env bash
# mailtrigger in two minutes, on this machine only: builds the daemon, starts a private Dovecot
# on loopback with sample mail, a local webhook receiver that prints what it gets, and
# `mailtrigger run` with a demo configuration; then delivers a few messages and shows the flows
# firing (webhook and exec hook), the post-actions on the server, `status`, and a clean stop.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"
dir=${MT_DEMO_DIR:-/tmp/mt-demo}
export MT_IMAP_TLS_PORT=${MT_DEMO_TLS_PORT:-13993} MT_IMAP_PLAIN_PORT=${MT_DEMO_PLAIN_PORT:-13143} MT_IMAP_OAUTH_PORT=${MT_DEMO_OAUTH_PORT:-13180}
receiver_port=${MT_DEMO_WEBHOOK_PORT:-13880}

for package in dovecot-imapd libsystemd-dev libsqlite3-dev pkg-config openssl; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $package"
done
if [ -n "${missing:-}" ]; then
    echo "== installing:${missing}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq install $missing >/dev/null
fi

echo "== building mailtrigger (release; the first build takes a few minutes)"
swift build -c release --product mailtrigger 2>&1 | grep -E "error|warning:|Build complete" || true
swift build -c release --product WebhookReceiverTool 2>&1 | grep -E "error|warning:" || true
bin="$(swift build -c release --show-bin-path)"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$root/scripts/imap-test-server.sh" stop "$dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== starting a private Dovecot in $dir"
"$root/scripts/imap-test-server.sh" start "$dir"
eval "$("$root/scripts/imap-test-server.sh" env "$dir")"
user=$MT_IMAP_USER
"$root/scripts/imap-test-server.sh" reset-user "$dir" "$user" >/dev/null
deliver() { # subject from [mailbox]
    printf 'From: %s\r\nTo: %s@example.org\r\nSubject: %s\r\nMessage-ID: <demo-%s@example.com>\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from the demo.\r\n' \
        "$2" "$user" "$1" "$RANDOM$RANDOM" "$(date -R)" | "$root/scripts/imap-test-server.sh" append "$dir" "$user" "${3:-INBOX}"
}
echo "== sample mail already in the mailbox (startFrom \"new\": it will not fire)"
deliver "Order #1000 (old)" "Old Customer <old@customer.example>"
deliver "Weekly news" "newsletter@example.net"

state="$dir/demo-state"
rm -rf "$state" && mkdir -p "$state"
printf '%s\n' "$MT_IMAP_PASSWORD" > "$dir/imap-password" && chmod 600 "$dir/imap-password"
cat > "$dir/hook.sh" <<'HOOK'
#!/bin/sh
# The demo's exec hook: one line per message, the payload (JSON) arrives on stdin.
bytes=$(wc -c)
echo "exec hook: flow=$MAILTRIGGER_FLOW uid=$MAILTRIGGER_UID subject=\"$MAILTRIGGER_SUBJECT\" from=$MAILTRIGGER_FROM ($bytes bytes of JSON on stdin)"
HOOK
chmod 755 "$dir/hook.sh"
cat > "$dir/demo-config.json" <<JSON
{
  "stateDirectory": "$state",
  "delivery": { "concurrency": 4, "initialRetryDelay": "2s" },
  "profiles": [{
    "name": "demo",
    "server": { "host": "$MT_IMAP_HOST", "port": $MT_IMAP_TLS_PORT, "security": "tls", "tls": { "caFile": "$MT_IMAP_CA_FILE" } },
    "auth": { "method": "password", "username": "$user", "password": { "file": "$dir/imap-password" } },
    "mailboxes": ["INBOX"],
    "mode": "auto",
    "startFrom": "new",
    "flows": [
      { "name": "orders",
        "match": { "subject": { "regex": "order #[0-9]+" }, "from": { "glob": "*@customer.example" } },
        "actions": [{ "type": "webhook", "url": "http://127.0.0.1:$receiver_port/orders", "secret": "demo-signing-key" }],
        "onSuccess": ["markSeen", { "moveTo": "Archive" }] },
      { "name": "invoices",
        "match": { "subject": { "contains": "invoice" } },
        "actions": [{ "type": "exec", "command": ["$dir/hook.sh"], "stdin": "json" }],
        "onSuccess": [{ "addFlags": ["\$Filed"] }] }
    ]
  }]
}
JSON

echo
echo "== mailtrigger check"
"$bin/mailtrigger" check --config "$dir/demo-config.json"

echo
echo "== starting the webhook receiver on 127.0.0.1:$receiver_port"
"$bin/WebhookReceiverTool" --port "$receiver_port" > >(sed -u 's/^/  receiver │ /') &
pids+=($!)
sleep 0.5

echo "== starting mailtrigger run (its log is $dir/daemon.log)"
"$bin/mailtrigger" run --config "$dir/demo-config.json" > "$dir/daemon.log" 2>&1 &
daemon=$!
pids+=($daemon)
for _ in $(seq 1 100); do grep -q "watching" "$dir/daemon.log" 2>/dev/null && break; sleep 0.1; done
grep -q "watching" "$dir/daemon.log" || { echo "the daemon did not start:"; cat "$dir/daemon.log"; exit 1; }
echo "   watching INBOX of $user in IDLE"

echo
echo "== delivering four new messages"
deliver "Order #1001" "Ada Customer <ada@customer.example>"
deliver "Re: Order #1002 — ça roule" "=?UTF-8?Q?Bj=C3=B6rn?= <bjorn@customer.example>"
deliver "Your invoice for November" "billing@supplier.example"
deliver "Lunch on Friday?" "colleague@example.org"
echo "   (the orders go to the webhook, the invoice to the exec hook, the lunch mail fires nothing)"
sleep 3
echo
echo "== what the exec hook printed (mailtrigger captures a hook's output into its log)"
grep -o 'stdout: exec hook:.*' "$dir/daemon.log" | sed 's/^stdout: /  hook     │ /' || echo "   (nothing: the hook did not run)"

echo
echo "== mailtrigger status"
"$bin/mailtrigger" status --config "$dir/demo-config.json"
echo
echo "== the server after the post-actions: orders moved to Archive and marked seen, the invoice flagged"
"$bin/mailtrigger" test-connection --config "$dir/demo-config.json" --profile demo | sed -n '/^MAILBOX/,$p'

echo
echo "== stopping (SIGTERM: running actions finish, then exit 0)"
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
echo "   mailtrigger exited with status $status; the last lines of its log:"
tail -n 8 "$dir/daemon.log" | cut -c1-160 | sed 's/^/  log      │ /'
