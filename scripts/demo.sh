#!/usr/bin/env bash
# A look at what mailtrigger does today, on this machine only: starts a private Dovecot on
# loopback, drops sample mail into it, builds mailtrigger and runs `test-connection` against it
# over implicit TLS and STARTTLS. (When the daemon lands, this script will show flows firing.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"
dir=${MT_DEMO_DIR:-/tmp/mt-demo}
export MT_IMAP_TLS_PORT=${MT_DEMO_TLS_PORT:-13993} MT_IMAP_PLAIN_PORT=${MT_DEMO_PLAIN_PORT:-13143}

for package in libsystemd-dev libsqlite3-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $package"
done
if [ -n "${missing:-}" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq install $missing >/dev/null
fi

echo "== building mailtrigger"
swift build -c release --product mailtrigger 2>&1 | grep -E "error|warning:|Compiling mailtrigger|Build complete" || true
binary="$(swift build -c release --show-bin-path)/mailtrigger"

echo "== starting a private Dovecot in $dir"
"$root/scripts/imap-test-server.sh" start "$dir"
trap '"$root/scripts/imap-test-server.sh" stop "$dir" >/dev/null' EXIT
eval "$("$root/scripts/imap-test-server.sh" env "$dir")"
"$root/scripts/imap-test-server.sh" reset-user "$dir" "$MT_IMAP_USER" >/dev/null

echo "== delivering sample mail to $MT_IMAP_USER"
for i in 1 2 3; do
    printf 'From: Customer %s <customer%s@example.com>\r\nTo: %s@example.org\r\nSubject: Order #100%s\r\nMessage-ID: <demo-%s@example.com>\r\nDate: Sat, 21 Nov 2026 10:0%s:00 +0000\r\n\r\nPlease ship order 100%s.\r\n' \
        "$i" "$i" "$MT_IMAP_USER" "$i" "$i" "$i" "$i" | "$root/scripts/imap-test-server.sh" append "$dir" "$MT_IMAP_USER" INBOX
done
printf 'From: newsletter@example.net\r\nSubject: Weekly news\r\n\r\nNothing to see.\r\n' \
    | "$root/scripts/imap-test-server.sh" append "$dir" "$MT_IMAP_USER" Archive

password_file=$(mktemp)
trap 'rm -f "$password_file"; "$root/scripts/imap-test-server.sh" stop "$dir" >/dev/null' EXIT
printf '%s\n' "$MT_IMAP_PASSWORD" > "$password_file"

echo
echo "== mailtrigger test-connection (implicit TLS)"
"$binary" test-connection --host "$MT_IMAP_HOST" --port "$MT_IMAP_TLS_PORT" --user "$MT_IMAP_USER" \
    --password-file "$password_file" --ca-file "$MT_IMAP_CA_FILE"
echo
echo "== mailtrigger test-connection (STARTTLS, LOGIN)"
"$binary" test-connection --host "$MT_IMAP_HOST" --port "$MT_IMAP_PLAIN_PORT" --security starttls --auth login \
    --user "$MT_IMAP_USER" --password-file "$password_file" --ca-file "$MT_IMAP_CA_FILE"
echo
echo "== a certificate from an unknown CA is refused"
"$binary" test-connection --host "$MT_IMAP_HOST" --port "$MT_IMAP_TLS_PORT" --user "$MT_IMAP_USER" \
    --password-file "$password_file" --ca-file "$MT_IMAP_OTHER_CA_FILE" || echo "(exit status $?)"
