#!/usr/bin/env bash
#
# imap-test-server.sh - run a private Dovecot 2.3 IMAP server for mailtrigger tests.
#
# Everything (config, certificates, users, runtime sockets, logs, mail) lives
# under one directory DIR; the system Dovecot (if any) is never touched.
# The server listens on 127.0.0.1 only.  See docs/test-server.md.
#
# Usage:
#   imap-test-server.sh start       [DIR]   provision (if needed) and start; idempotent
#   imap-test-server.sh stop        [DIR]   stop; succeeds if not running
#   imap-test-server.sh restart     [DIR]   stop, then start
#   imap-test-server.sh status      [DIR]   exit 0 if running, 1 otherwise
#   imap-test-server.sh env         [DIR]   print eval-able `export MT_IMAP_...` lines
#   imap-test-server.sh reset-user  DIR USER           wipe one user's mail (kicks its sessions)
#   imap-test-server.sh append      DIR USER [MAILBOX] store the RFC 822 message on stdin
#
# DIR defaults to $MT_IMAP_DIR or /tmp/mt-imap.  Start-time settings (env):
#   MT_IMAP_TLS_PORT (10993), MT_IMAP_PLAIN_PORT (10143), MT_IMAP_USER_COUNT (8),
#   MT_IMAP_IDLE_KEEPALIVE (imap_idle_notify_interval, "1 secs"),
#   MT_IMAP_OAUTH_PORT (10180: the OAuth 2.0 test server, scripts/oauth-test-server.py, whose
#   /introspect checks the bearer tokens of XOAUTH2 and OAUTHBEARER sign-ins).
# Needs root (per-user uids, Dovecot drops privileges itself).

set -euo pipefail

readonly PROG=${0##*/}
readonly DEFAULT_DIR=/tmp/mt-imap
readonly DEFAULT_TLS_PORT=10993
readonly DEFAULT_PLAIN_PORT=10143
readonly DEFAULT_OAUTH_PORT=10180
OAUTH_SERVER=$(dirname -- "$(realpath -- "$0")")/oauth-test-server.py
readonly OAUTH_SERVER
readonly DEFAULT_USER_COUNT=8
readonly DEFAULT_IDLE_KEEPALIVE='1 secs'
readonly PASSWORD=mt-test-password
readonly UID_BASE=20000   # user mtN gets uid = gid = UID_BASE + N
readonly MAX_DIR_LEN=40   # unix socket paths under DIR/run must stay < 108 bytes
readonly START_TIMEOUT=20 # seconds
readonly STOP_TIMEOUT=15  # seconds
readonly HOST=127.0.0.1
readonly DOVECOT=/usr/sbin/dovecot
readonly DOVEADM=/usr/bin/doveadm
readonly WANT_NOFILE=65536

die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}

warn() {
	printf '%s: warning: %s\n' "$PROG" "$*" >&2
}

usage() {
	sed -n '/^# Usage:/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

now_ms() {
	local s
	s=$(date +%s%N)
	printf '%s\n' $((s / 1000000))
}

# ---------------------------------------------------------------- paths ----

set_dir() {
	local dir=${1:-${MT_IMAP_DIR:-$DEFAULT_DIR}}
	[[ -n $dir ]] || die "empty DIR"
	case $dir in
	/*) ;;
	*) dir=$PWD/$dir ;;
	esac
	# Normalise (., .., //, trailing /) and resolve symlinks in the existing part.
	dir=$(realpath -m -- "$dir")
	[[ $dir != / ]] || die "refusing to use / as DIR"
	[[ $dir =~ ^/[A-Za-z0-9._/+-]+$ ]] ||
		die "DIR '$dir' may only contain letters, digits and . _ / + - (it is written into dovecot.conf)"
	if ((${#dir} > MAX_DIR_LEN)); then
		die "DIR '$dir' is ${#dir} characters long; the limit is $MAX_DIR_LEN because Dovecot's unix sockets live under DIR/run and socket paths break past ~100 bytes. Use a short path such as $DEFAULT_DIR."
	fi
	DIR=$dir
	CONF=$DIR/dovecot.conf
	STATE_FILE=$DIR/instance.env
	USERS_FILE=$DIR/users
	TLS_DIR=$DIR/tls
	RUN_DIR=$DIR/run
	PID_FILE=$RUN_DIR/master.pid
	LOG_DIR=$DIR/log
	LOG_FILE=$LOG_DIR/dovecot.log
	STARTUP_LOG=$LOG_DIR/startup.log
	OAUTH_CONF=$DIR/dovecot-oauth2.conf.ext
	OAUTH_PID_FILE=$DIR/oauth.pid
	OAUTH_LOG=$LOG_DIR/oauth.log
	MAIL_ROOT=$DIR/mail
}

# ---------------------------------------------------------------- state ----

# instance.env holds what the current/last start used: TLS_PORT, PLAIN_PORT, OAUTH_PORT, USERS.
load_state() {
	TLS_PORT='' PLAIN_PORT='' USERS='' OAUTH_PORT=$DEFAULT_OAUTH_PORT
	[[ -r $STATE_FILE ]] || return 1
	local key value
	while IFS='=' read -r key value; do
		case $key in
		TLS_PORT) TLS_PORT=$value ;;
		PLAIN_PORT) PLAIN_PORT=$value ;;
		OAUTH_PORT) OAUTH_PORT=$value ;;
		USERS) USERS=$value ;;
		esac
	done <"$STATE_FILE"
	[[ -n $TLS_PORT && -n $PLAIN_PORT && -n $USERS ]]
}

write_state() {
	local tmp=$STATE_FILE.tmp
	{
		printf 'TLS_PORT=%s\n' "$TLS_PORT"
		printf 'PLAIN_PORT=%s\n' "$PLAIN_PORT"
		printf 'OAUTH_PORT=%s\n' "$OAUTH_PORT"
		printf 'USERS=%s\n' "$USERS"
	} >"$tmp"
	mv -f -- "$tmp" "$STATE_FILE"
}

valid_port() {
	[[ $1 =~ ^[0-9]{1,5}$ ]] && (($1 >= 1 && $1 <= 65535))
}

# ------------------------------------------------------------- processes ---

# True if PID exists and is not a zombie (PID 1 in a container may not reap).
proc_alive() {
	local pid=$1 stat
	kill -0 "$pid" 2>/dev/null || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# Prints the pid of our OAuth 2.0 test server if it is alive.
oauth_pid() {
	local pid
	[[ -r $OAUTH_PID_FILE ]] || return 1
	read -r pid <"$OAUTH_PID_FILE" || return 1
	[[ $pid =~ ^[0-9]+$ ]] && proc_alive "$pid" || return 1
	grep -q oauth-test-server "/proc/$pid/cmdline" 2>/dev/null || return 1
	printf '%s\n' "$pid"
}

# Starts the OAuth 2.0 test server on OAUTH_PORT unless it runs; Dovecot's oauth2 passdb asks
# it about every bearer token.
oauth_start() {
	local deadline
	if oauth_pid >/dev/null && port_open "$OAUTH_PORT"; then
		return 0
	fi
	command -v python3 >/dev/null || die "python3 is needed for the OAuth 2.0 test server"
	port_open "$OAUTH_PORT" && die "port $HOST:$OAUTH_PORT is already in use; choose another with MT_IMAP_OAUTH_PORT"
	mkdir -p -- "$LOG_DIR"
	setsid python3 "$OAUTH_SERVER" --port "$OAUTH_PORT" --log "$OAUTH_LOG" --issued "$LOG_DIR/oauth-issued-tokens.txt" \
		</dev/null >>"$OAUTH_LOG" 2>&1 &
	printf '%s\n' "$!" >"$OAUTH_PID_FILE"
	deadline=$(($(now_ms) + 5000))
	until port_open "$OAUTH_PORT"; do
		(($(now_ms) < deadline)) || { tail -5 -- "$OAUTH_LOG" >&2; die "the OAuth 2.0 test server did not start on $HOST:$OAUTH_PORT"; }
		sleep 0.05
	done
}

oauth_stop() {
	local pid
	if pid=$(oauth_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			proc_alive "$pid" || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f -- "$OAUTH_PID_FILE"
}

# Prints the pid of our Dovecot master if it is alive.
master_pid() {
	local pid exe
	[[ -r $PID_FILE ]] || return 1
	read -r pid <"$PID_FILE" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	proc_alive "$pid" || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
	[[ -z $exe || $exe == */dovecot* ]] || return 1
	printf '%s\n' "$pid"
}

port_open() {
	(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# True if the plain port sends an IMAP "* OK" greeting within 2 s.
plain_greets() {
	(
		exec 3<>"/dev/tcp/$HOST/$1" || exit 1
		IFS= read -r -t 2 line <&3 || exit 1
		printf 'x LOGOUT\r\n' >&3 || true
		[[ $line == '* OK'* ]]
	) 2>/dev/null
}

# True if an implicit-TLS connection verifies against our CA and greets "* OK".
tls_greets() {
	local out
	out=$(timeout 10 openssl s_client -connect "$HOST:$1" -CAfile "$TLS_DIR/ca.pem" \
		-verify_return_error -verify_ip "$HOST" -ign_eof 2>&1 <<<'x LOGOUT') || return 1
	[[ $out == *'* OK'* ]]
}

running() {
	master_pid >/dev/null && load_state && port_open "$TLS_PORT"
}

show_logs() {
	local f
	for f in "$STARTUP_LOG" "$LOG_FILE"; do
		if [[ -s $f ]]; then
			printf -- '--- last lines of %s ---\n' "$f" >&2
			tail -n 30 -- "$f" >&2
		fi
	done
}

# -------------------------------------------------------------- install ----

POLICY_RC_D=/usr/sbin/policy-rc.d
CREATED_POLICY=0

remove_policy() {
	if ((CREATED_POLICY)); then
		rm -f -- "$POLICY_RC_D"
		CREATED_POLICY=0
	fi
}

ensure_packages() {
	if [[ -x $DOVECOT && -x $DOVEADM ]] && command -v openssl >/dev/null &&
		[[ -e /usr/lib/dovecot/imap ]]; then
		return 0
	fi
	(($(id -u) == 0)) || die "Dovecot is not installed and we are not root: apt-get install dovecot-imapd openssl"
	command -v apt-get >/dev/null || die "Dovecot is not installed and apt-get is not available"
	echo "installing dovecot-imapd and openssl (system service start is suppressed)..." >&2
	if [[ ! -e $POLICY_RC_D ]]; then
		# Keep the package's postinst from starting the system dovecot.service.
		trap remove_policy EXIT
		printf '#!/bin/sh\n# temporary, written by %s\nexit 101\n' "$PROG" >"$POLICY_RC_D"
		chmod 0755 "$POLICY_RC_D"
		CREATED_POLICY=1
	fi
	local rc=0
	{
		apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=300 \
				install dovecot-imapd openssl
	} </dev/null >&2 || rc=$?
	remove_policy
	((rc == 0)) || die "apt-get failed (exit $rc)"
	[[ -x $DOVECOT ]] || die "$DOVECOT still missing after install"
}

raise_nofile() {
	local hard
	hard=$(ulimit -Hn)
	if [[ $hard == unlimited ]] || ((hard >= WANT_NOFILE)); then
		ulimit -Sn "$WANT_NOFILE"
	elif ulimit -Hn "$WANT_NOFILE" 2>/dev/null; then
		ulimit -Sn "$WANT_NOFILE"
	else
		ulimit -Sn "$hard"
	fi
}

# ---------------------------------------------------------- provisioning ---

write_openssl_cnf() {
	cat >"$TLS_DIR/openssl.cnf" <<'EOF'
# generated by imap-test-server.sh
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder
[ ca_ext ]
basicConstraints     = critical, CA:TRUE
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, DNS:127.0.0.1, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
}

# make_ca NAME CN: self-signed EC P-256 CA, 10 years.
make_ca() {
	local name=$1 cn=$2
	openssl req -x509 -config "$TLS_DIR/openssl.cnf" -extensions ca_ext \
		-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
		-subj "/O=mailtrigger tests/CN=$cn" \
		-keyout "$TLS_DIR/$name.key" -out "$TLS_DIR/$name.pem" </dev/null 2>/dev/null ||
		die "openssl failed to create $TLS_DIR/$name.pem"
	chmod 0600 "$TLS_DIR/$name.key"
	chmod 0644 "$TLS_DIR/$name.pem"
}

# make_bad_certs: two server certificates from the test CA that a client must refuse, for the
# TLS tests (no server presents them; the tests serve them themselves): expired.pem (localhost
# and 127.0.0.1, valid in January 2025 only) and wrong-host.pem (valid, for other.example only).
make_bad_certs() {
	local db=$TLS_DIR/bad-certs.db name
	rm -rf -- "$db"
	mkdir -p -- "$db"
	: >"$db/index.txt"
	printf '01\n' >"$db/serial"
	cat >"$db/ca.cnf" <<CNF
[ ca ]
default_ca = bad
[ bad ]
database         = $db/index.txt
serial           = $db/serial
new_certs_dir    = $db
default_md       = sha256
policy           = any
unique_subject   = no
[ any ]
commonName = supplied
[ expired_ext ]
basicConstraints = critical, CA:FALSE
keyUsage         = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName   = DNS:localhost, IP:127.0.0.1
[ wrong_host_ext ]
basicConstraints = critical, CA:FALSE
keyUsage         = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName   = DNS:other.example
CNF
	for name in expired wrong-host; do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=$name" -keyout "$TLS_DIR/$name.key" -out "$db/$name.csr" </dev/null 2>/dev/null ||
			die "openssl failed to create the $name key/CSR"
	done
	openssl ca -batch -config "$db/ca.cnf" -cert "$TLS_DIR/ca.pem" -keyfile "$TLS_DIR/ca.key" \
		-extensions expired_ext -startdate 20250101000000Z -enddate 20250201000000Z \
		-in "$db/expired.csr" -out "$TLS_DIR/expired.pem" </dev/null >/dev/null 2>&1 ||
		die "openssl failed to sign the expired certificate"
	openssl ca -batch -config "$db/ca.cnf" -cert "$TLS_DIR/ca.pem" -keyfile "$TLS_DIR/ca.key" \
		-extensions wrong_host_ext -days 825 \
		-in "$db/wrong-host.csr" -out "$TLS_DIR/wrong-host.pem" </dev/null >/dev/null 2>&1 ||
		die "openssl failed to sign the wrong-host certificate"
	chmod 0644 "$TLS_DIR/expired.key" "$TLS_DIR/wrong-host.key"
	rm -rf -- "$db"
}

server_cert_ok() {
	[[ -s $TLS_DIR/server.pem && -s $TLS_DIR/server.key ]] || return 1
	openssl verify -CAfile "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem" >/dev/null 2>&1 || return 1
	# Renew when less than 30 days remain.
	openssl x509 -in "$TLS_DIR/server.pem" -noout -checkend $((30 * 86400)) >/dev/null 2>&1
}

make_tls() {
	mkdir -p -- "$TLS_DIR"
	chmod 0755 "$TLS_DIR"
	write_openssl_cnf
	if [[ ! -s $TLS_DIR/ca.pem || ! -s $TLS_DIR/ca.key ]]; then
		make_ca ca "mailtrigger test CA"
		rm -f -- "$TLS_DIR/server.pem"
	fi
	if [[ ! -s $TLS_DIR/other-ca.pem ]]; then
		make_ca other-ca "mailtrigger UNTRUSTED other test CA"
	fi
	if ! server_cert_ok; then
		# 825 days: the longest validity Apple platforms accept for TLS
		# server certificates; renewed automatically (same CA) before expiry.
		openssl req -new -config "$TLS_DIR/openssl.cnf" \
			-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/O=mailtrigger tests/CN=localhost" \
			-keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" </dev/null 2>/dev/null ||
			die "openssl failed to create the server key/CSR"
		openssl x509 -req -in "$TLS_DIR/server.csr" -sha256 -days 825 \
			-CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
			-set_serial "0x$(openssl rand -hex 16)" \
			-extfile "$TLS_DIR/openssl.cnf" -extensions server_ext \
			-out "$TLS_DIR/server.pem" </dev/null 2>/dev/null ||
			die "openssl failed to sign the server certificate"
		rm -f -- "$TLS_DIR/server.csr"
		chmod 0600 "$TLS_DIR/server.key"
		chmod 0644 "$TLS_DIR/server.pem"
	fi
	[[ -s $TLS_DIR/expired.pem && -s $TLS_DIR/wrong-host.pem ]] || make_bad_certs
	if [[ ! -s $TLS_DIR/dh.pem ]]; then
		if [[ -s /usr/share/dovecot/dh.pem ]]; then
			cp -- /usr/share/dovecot/dh.pem "$TLS_DIR/dh.pem"
		else
			openssl dhparam -dsaparam -out "$TLS_DIR/dh.pem" 2048 </dev/null 2>/dev/null ||
				die "openssl dhparam failed"
		fi
	fi
}

# make_maildir USER UID: home DIR/mail/USER with an (empty) Maildir INBOX, owned by UID.
make_maildir() {
	local user=$1 id=$2 home=$MAIL_ROOT/$1
	mkdir -p -- "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	chown -R -- "$id:$id" "$home"
	chmod 0700 "$home"
}

make_users() {
	local count=$1 i user id tmp=$USERS_FILE.tmp
	mkdir -p -- "$MAIL_ROOT"
	chmod 0755 "$MAIL_ROOT"
	USERS=''
	: >"$tmp"
	for ((i = 1; i <= count; i++)); do
		user=mt$i
		id=$((UID_BASE + i))
		# passwd-file: user:password:uid:gid:gecos:home:shell:extra
		printf '%s:{PLAIN}%s:%d:%d::%s::\n' "$user" "$PASSWORD" "$id" "$id" "$MAIL_ROOT/$user" >>"$tmp"
		make_maildir "$user" "$id"
		USERS+="${USERS:+ }$user"
	done
	# The auth process runs as user "dovecot" and must be able to read it.
	if getent group dovecot >/dev/null; then
		chgrp dovecot "$tmp"
		chmod 0640 "$tmp"
	else
		chmod 0644 "$tmp"
	fi
	mv -f -- "$tmp" "$USERS_FILE"
}

write_conf() {
	local keepalive=$1 tmp=$CONF.tmp
	cat >"$OAUTH_CONF" <<EOF
# Generated by scripts/imap-test-server.sh: bearer tokens go to the OAuth 2.0 test server.
introspection_mode = post
introspection_url = http://$HOST:$OAUTH_PORT/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
EOF
	cat >"$tmp" <<EOF
# Generated by scripts/imap-test-server.sh on every start - do not edit.
# Private Dovecot instance for mailtrigger tests; everything lives under $DIR.

instance_name = mt-imap
base_dir = $RUN_DIR
state_dir = $DIR/state
protocols = imap
listen = $HOST
shutdown_clients = yes
verbose_proctitle = yes

log_path = $LOG_FILE
info_log_path = $LOG_FILE
debug_log_path = $LOG_FILE
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
auth_verbose_passwords = no
auth_debug = no
auth_debug_passwords = no
mail_debug = no

# Tests also use plain IMAP (security "none") on loopback.
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# Fast failures for wrong-password tests (default 2 secs).
auth_failure_delay = 0
login_greeting = mailtrigger test IMAP ready.

ssl = yes
ssl_cert = <$TLS_DIR/server.pem
ssl_key = <$TLS_DIR/server.key
ssl_dh = <$TLS_DIR/dh.pem
ssl_min_protocol = TLSv1.2

passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%n $USERS_FILE
}
# Bearer tokens (XOAUTH2, OAUTHBEARER) are checked by the OAuth 2.0 test server.
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $OAUTH_CONF
}
userdb {
  driver = passwd-file
  args = username_format=%n $USERS_FILE
}
first_valid_uid = $((UID_BASE + 1))
last_valid_uid = $((UID_BASE + 9999))
first_valid_gid = $((UID_BASE + 1))
last_valid_gid = $((UID_BASE + 9999))

mail_location = maildir:~/Maildir
# Re-check the mailbox this often while IDLE even when inotify works; it is
# the only notification path once the per-uid inotify instance limit
# (fs.inotify.max_user_instances, often 128) is exhausted.
mailbox_idle_check_interval = 1 secs

namespace inbox {
  inbox = yes
  separator = /
  mailbox Archive {
    auto = subscribe
    special_use = \\Archive
  }
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}

protocol imap {
  mail_max_userip_connections = 2000
  # "* OK Still here" keepalive during IDLE (not the new-mail delay).
  imap_idle_notify_interval = $keepalive
}

# Limits: ~1000 concurrent TLS sessions for one user.  Each IMAP session is
# one imap process; the TLS of every session is proxied by an imap-login
# process (high-performance mode, service_count = 0).
default_process_limit = 2100
default_client_limit = 5000
default_vsz_limit = 512M

service imap-login {
  inet_listener imap {
    address = $HOST
    port = $PLAIN_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $TLS_PORT
    ssl = yes
  }
  service_count = 0
  process_min_avail = 2
  process_limit = 8
  client_limit = 2000
  vsz_limit = 1G
}

service imap {
  process_limit = 2100
  client_limit = 1
}

service auth {
  client_limit = 5000
}

service anvil {
  client_limit = 5000
  # mode 0 = no such socket: the auth process then disables the per-IP auth
  # penalty (2, 4, 8, 15 s delays for every login from 127.0.0.1 after a
  # failed one), which would slow all later test logins.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

service stats {
  client_limit = 5000
  # imap processes run as per-user uids (20001, ...) and must reach it.
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
	mv -f -- "$tmp" "$CONF"
}

provision() {
	local count=$1 keepalive=$2
	mkdir -p -- "$DIR" "$LOG_DIR" "$RUN_DIR" "$DIR/state"
	# Login processes (dovenull) and auth (dovecot) need to traverse DIR.
	chmod 0755 "$DIR" "$LOG_DIR"
	# A stale socket left by an older run would make auth log "Connection
	# refused" instead of silently running without the penalty service.
	rm -f -- "$RUN_DIR/anvil-auth-penalty"
	make_tls
	make_users "$count"
	write_conf "$keepalive"
	write_state
}

# -------------------------------------------------------------- commands ---

require_root() {
	(($(id -u) == 0)) || die "must run as root (Dovecot switches to per-user uids $((UID_BASE + 1))...)"
}

wait_ready() {
	local deadline=$(($(now_ms) + START_TIMEOUT * 1000))
	while (($(now_ms) < deadline)); do
		if ! master_pid >/dev/null; then
			# Give the master a moment to write its pid file after daemonizing.
			[[ -e $PID_FILE ]] || { sleep 0.1 && continue; }
			return 1
		fi
		if port_open "$TLS_PORT" && plain_greets "$PLAIN_PORT"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

cmd_start() {
	local t0 tls_port plain_port count keepalive
	t0=$(now_ms)
	require_root
	ensure_packages

	# A master.pid whose process is gone or a zombie (a container's PID 1 may never reap the
	# daemonized master) would make Dovecot refuse to start, taking that pid for a live master.
	if [[ -e $PID_FILE ]] && ! master_pid >/dev/null; then
		rm -f -- "$PID_FILE"
	fi
	if master_pid >/dev/null && load_state; then
		if port_open "$TLS_PORT"; then
			oauth_start
			echo "already running (tls $HOST:$TLS_PORT, plain $HOST:$PLAIN_PORT, dir $DIR)"
			if [[ ${MT_IMAP_TLS_PORT:-$TLS_PORT} != "$TLS_PORT" || ${MT_IMAP_PLAIN_PORT:-$PLAIN_PORT} != "$PLAIN_PORT" ]]; then
				warn "requested ports ${MT_IMAP_TLS_PORT:-}/${MT_IMAP_PLAIN_PORT:-} ignored; run 'stop' first to change them"
			fi
			return 0
		fi
		# Master alive but not answering: maybe still starting.
		if wait_ready; then
			oauth_start
			echo "already running (tls $HOST:$TLS_PORT, plain $HOST:$PLAIN_PORT, dir $DIR)"
			return 0
		fi
		warn "master alive but not answering; restarting it"
		cmd_stop >/dev/null
	fi

	tls_port=${MT_IMAP_TLS_PORT:-$DEFAULT_TLS_PORT}
	plain_port=${MT_IMAP_PLAIN_PORT:-$DEFAULT_PLAIN_PORT}
	count=${MT_IMAP_USER_COUNT:-$DEFAULT_USER_COUNT}
	keepalive=${MT_IMAP_IDLE_KEEPALIVE:-$DEFAULT_IDLE_KEEPALIVE}
	valid_port "$tls_port" || die "bad MT_IMAP_TLS_PORT '$tls_port'"
	valid_port "$plain_port" || die "bad MT_IMAP_PLAIN_PORT '$plain_port'"
	[[ $tls_port != "$plain_port" ]] || die "MT_IMAP_TLS_PORT and MT_IMAP_PLAIN_PORT must differ"
	if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 1 || count > 2000)); then
		die "bad MT_IMAP_USER_COUNT '$count' (1..2000)"
	fi
	[[ $keepalive =~ ^[0-9]+\ *(secs?|mins?)$ ]] || die "bad MT_IMAP_IDLE_KEEPALIVE '$keepalive' (e.g. '1 secs', '2 mins')"
	local p
	for p in "$tls_port" "$plain_port"; do
		if port_open "$p"; then
			die "port $HOST:$p is already in use by another process; choose other ports with MT_IMAP_TLS_PORT / MT_IMAP_PLAIN_PORT"
		fi
	done
	TLS_PORT=$tls_port PLAIN_PORT=$plain_port
	OAUTH_PORT=${MT_IMAP_OAUTH_PORT:-$DEFAULT_OAUTH_PORT}
	valid_port "$OAUTH_PORT" || die "bad MT_IMAP_OAUTH_PORT '$OAUTH_PORT'"

	provision "$count" "$keepalive"
	raise_nofile
	oauth_start

	# Dovecot daemonizes; never let it inherit our stdio (a $(...) caller or a
	# CI step would otherwise wait for it).
	if ! "$DOVECOT" -c "$CONF" </dev/null >"$STARTUP_LOG" 2>&1; then
		show_logs
		die "dovecot failed to start"
	fi
	if ! wait_ready; then
		show_logs
		cmd_stop >/dev/null 2>&1 || true
		die "dovecot did not become ready on $HOST:$TLS_PORT/$PLAIN_PORT within ${START_TIMEOUT}s"
	fi
	if ! tls_greets "$TLS_PORT"; then
		show_logs
		cmd_stop >/dev/null 2>&1 || true
		die "TLS check against $TLS_DIR/ca.pem failed on $HOST:$TLS_PORT"
	fi
	if [[ -s $STARTUP_LOG ]]; then
		sed 's/^/dovecot: /' -- "$STARTUP_LOG" >&2
	fi
	echo "started in $(($(now_ms) - t0)) ms (tls $HOST:$TLS_PORT, plain+STARTTLS $HOST:$PLAIN_PORT, dir $DIR, pid $(master_pid))"
}

cmd_stop() {
	local pid deadline children=''
	oauth_stop
	if ! pid=$(master_pid); then
		echo "not running"
		return 0
	fi
	children=$(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ' || true)
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$(($(now_ms) + STOP_TIMEOUT * 1000))
	while (($(now_ms) < deadline)); do
		if ! proc_alive "$pid"; then
			if ! load_state || { ! port_open "$TLS_PORT" && ! port_open "$PLAIN_PORT"; }; then
				echo "stopped"
				return 0
			fi
		fi
		sleep 0.1
	done
	warn "dovecot (pid $pid) did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
	local c
	for c in $pid $children; do
		kill -KILL "$c" 2>/dev/null || true
	done
	sleep 0.5
	if proc_alive "$pid"; then
		die "could not stop dovecot pid $pid"
	fi
	echo "stopped (killed)"
}

cmd_status() {
	if running; then
		echo "running (pid $(master_pid), tls $HOST:$TLS_PORT, plain $HOST:$PLAIN_PORT, dir $DIR)"
		return 0
	fi
	echo "not running"
	return 1
}

# shell_quote VALUE: VALUE as a single-quoted shell word unless it is plain.
shell_quote() {
	local q="'"
	if [[ $1 =~ ^[A-Za-z0-9_./:@+-]+$ ]]; then
		printf '%s' "$1"
	else
		printf "'%s'" "${1//${q}/${q}\\${q}${q}}"
	fi
}

cmd_env() {
	load_state || die "$DIR is not provisioned (no $STATE_FILE); run: $PROG start $DIR"
	running || warn "server in $DIR is not running"
	local first=${USERS%% *}
	printf 'export MT_IMAP_HOST=%s\n' "$(shell_quote "$HOST")"
	printf 'export MT_IMAP_TLS_PORT=%s\n' "$(shell_quote "$TLS_PORT")"
	printf 'export MT_IMAP_PLAIN_PORT=%s\n' "$(shell_quote "$PLAIN_PORT")"
	printf 'export MT_IMAP_USERS=%s\n' "$(shell_quote "$USERS")"
	printf 'export MT_IMAP_USER=%s\n' "$(shell_quote "$first")"
	printf 'export MT_IMAP_PASSWORD=%s\n' "$(shell_quote "$PASSWORD")"
	printf 'export MT_IMAP_CA_FILE=%s\n' "$(shell_quote "$TLS_DIR/ca.pem")"
	printf 'export MT_IMAP_OTHER_CA_FILE=%s\n' "$(shell_quote "$TLS_DIR/other-ca.pem")"
	printf 'export MT_IMAP_DIR=%s\n' "$(shell_quote "$DIR")"
	printf 'export MT_IMAP_OAUTH_URL=%s\n' "$(shell_quote "http://$HOST:$OAUTH_PORT")"
}

# user_uid USER: prints the uid of a provisioned user or fails.
user_uid() {
	local user=$1 name rest
	[[ -r $USERS_FILE ]] || die "$DIR is not provisioned; run: $PROG start $DIR"
	while IFS=: read -r name rest; do
		if [[ $name == "$user" ]]; then
			rest=${rest#*:}
			printf '%s\n' "${rest%%:*}"
			return 0
		fi
	done <"$USERS_FILE"
	die "unknown user '$user' (see MT_IMAP_USERS)"
}

cmd_reset_user() {
	local user=${1:-} id
	[[ -n $user ]] || usage
	require_root
	id=$(user_uid "$user")
	if running; then
		"$DOVEADM" -c "$CONF" kick "$user" </dev/null >/dev/null 2>&1 || true
	fi
	rm -rf -- "${MAIL_ROOT:?}/$user"
	make_maildir "$user" "$id"
	echo "reset $user"
}

cmd_append() {
	local user=${1:-} mailbox=${2:-INBOX}
	[[ -n $user ]] || usage
	require_root
	user_uid "$user" >/dev/null
	"$DOVEADM" -c "$CONF" save -u "$user" -m "$mailbox" ||
		die "doveadm save to $user/$mailbox failed"
}

main() {
	(($# >= 1)) || usage
	local cmd=$1
	shift
	case $cmd in
	start | stop | restart | status | env)
		(($# <= 1)) || usage
		set_dir "${1:-}"
		;;
	reset-user | append)
		(($# >= 2 && $# <= 3)) || usage
		set_dir "$1"
		shift
		;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	restart) cmd_stop && cmd_start ;;
	status) cmd_status ;;
	env) cmd_env ;;
	reset-user) cmd_reset_user "$@" ;;
	append) cmd_append "$@" ;;
	esac
}

main "$@"
