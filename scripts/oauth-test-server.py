#!/usr/bin/env python3
"""A small OAuth 2.0 authorization server for mailtrigger's tests (loopback only).

It issues, expires and revokes tokens so that the private Dovecot (scripts/imap-test-server.sh)
can check XOAUTH2 and OAUTHBEARER sign-ins against it: Dovecot's oauth2 passdb posts each bearer
token to /introspect. Everything is kept in memory and lost when the server stops.

Endpoints (RFC numbers for what each follows):
  GET  /.well-known/openid-configuration   discovery document (OpenID Connect Discovery 1.0)
  POST /token                              refresh_token, authorization_code (+ PKCE, RFC 7636)
                                           and device_code (RFC 8628) grants (RFC 6749 §4-6)
  POST /device                             device authorization request (RFC 8628 §3.1)
  GET  /authorize                          authorization endpoint; signs in ?login_hint= at once
                                           and redirects back with a code (RFC 6749 §4.1)
  POST /introspect                         token introspection (RFC 7662), for Dovecot
Test controls (JSON in, JSON out):
  POST /admin/grant     {"user", "scope"?}           -> {"refresh_token"}
  POST /admin/expire    {"user"}                      every access token of the user expires
  POST /admin/revoke    {"user"} or {"refresh_token"} refresh tokens stop working (invalid_grant)
  POST /admin/approve   {"user_code", "user"}         the user approves a device code
  POST /admin/settings  {"user"?, "access_ttl"?, "rotate"?}  access token lifetime (s), refresh
                                                      rotation; for one user, or for all
  GET  /admin/stats                                   requests per grant type, refreshes per user,
                                                      introspections

The one client is --client-id / --client-secret, sent as form fields or HTTP Basic.
Usage: oauth-test-server.py --port PORT [--client-id ID] [--client-secret S] [--log FILE] [--issued FILE]
"""
import argparse
import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Store:
    """Tokens and codes, guarded by one lock (the server is threaded)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.refresh = {}  # refresh token -> {"user", "scope"}
        self.access = {}  # access token -> {"user", "scope", "expires"}
        self.issued_file = None  # --issued
        self.devices = {}  # device code -> {"user_code", "scope", "user", "expires", "last_poll"}
        self.codes = {}  # authorization code -> {"user", "scope", "challenge", "redirect_uri"}
        self.access_ttl = 3600
        self.rotate = False
        self.per_user = {}  # user -> {"access_ttl", "rotate"}: tests that run at once keep apart
        self.stats = {"token": {}, "refreshes_by_user": {}, "introspect": 0, "introspect_active": 0, "device": 0, "authorize": 0}

    def count(self, grant):
        self.stats["token"][grant] = self.stats["token"].get(grant, 0) + 1

    def new_refresh(self, user, scope):
        token = "rt-" + secrets.token_urlsafe(24)
        self.refresh[token] = {"user": user, "scope": scope}
        self.issued(token)
        return token

    def setting(self, user, name):
        return self.per_user.get(user, {}).get(name, getattr(self, name))

    def new_access(self, user, scope):
        token = "at-" + secrets.token_urlsafe(24)
        self.access[token] = {"user": user, "scope": scope, "expires": time.time() + self.setting(user, "access_ttl")}
        self.issued(token)
        return token

    def issued(self, token):
        """Appends a token to the --issued file: scripts/scan-secrets.py looks for each in the test logs."""
        if self.issued_file:
            with open(self.issued_file, "a") as f:
                f.write(token + "\n")

    def tokens(self, user, scope, refresh_token=None):
        """A token response; a new refresh token unless `refresh_token` is kept."""
        body = {"access_token": self.new_access(user, scope), "token_type": "Bearer",
                "expires_in": self.setting(user, "access_ttl"), "scope": scope}
        body["refresh_token"] = refresh_token or self.new_refresh(user, scope)
        return body


class Handler(BaseHTTPRequestHandler):
    server_version = "mt-oauth-test/1"
    protocol_version = "HTTP/1.1"

    # -- plumbing --------------------------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.server.log:
            with open(self.server.log, "a", encoding="utf-8") as log:
                log.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, description):
        self.reply(status, {"error": code, "error_description": description})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def form(self):
        return {k: v[-1] for k, v in urllib.parse.parse_qs(self.body(), keep_blank_values=True).items()}

    def client_ok(self, form):
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                pair = base64.b64decode(auth[6:]).decode()
            except ValueError:
                return False
            client_id, _, client_secret = pair.partition(":")
            client_id, client_secret = urllib.parse.unquote(client_id), urllib.parse.unquote(client_secret)
        if client_id != self.server.client_id:
            return False
        # A public client (device flow, PKCE) may omit the secret; a wrong one never passes.
        return client_secret is None or client_secret == self.server.client_secret

    # -- routes ----------------------------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        base = "http://%s:%d" % self.server.server_address[:2]
        if url.path == "/.well-known/openid-configuration":
            self.reply(200, {"issuer": base, "token_endpoint": base + "/token",
                             "device_authorization_endpoint": base + "/device",
                             "authorization_endpoint": base + "/authorize",
                             "introspection_endpoint": base + "/introspect",
                             "grant_types_supported": ["refresh_token", "authorization_code", DEVICE_GRANT],
                             "code_challenge_methods_supported": ["S256"]})
        elif url.path == "/authorize":
            self.authorize(query)
        elif url.path == "/admin/stats":
            with self.server.store.lock:
                self.reply(200, self.server.store.stats)
        else:
            self.error(404, "not_found", url.path)

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        routes = {"/token": self.token, "/device": self.device, "/introspect": self.introspect}
        if path in routes:
            routes[path](self.form())
        elif path.startswith("/admin/"):
            try:
                request = json.loads(self.body() or "{}")
            except ValueError:
                return self.error(400, "invalid_request", "not JSON")
            self.admin(path[len("/admin/"):], request)
        else:
            self.error(404, "not_found", path)

    def token(self, form):
        store = self.server.store
        grant = form.get("grant_type", "")
        with store.lock:
            store.count(grant)
            if not self.client_ok(form):
                return self.error(401, "invalid_client", "unknown client or wrong secret")
            if grant == "refresh_token":
                entry = store.refresh.get(form.get("refresh_token", ""))
                if entry is None:
                    return self.error(400, "invalid_grant", "refresh token unknown, revoked or rotated away")
                by_user = store.stats["refreshes_by_user"]
                by_user[entry["user"]] = by_user.get(entry["user"], 0) + 1
                kept = None
                if store.setting(entry["user"], "rotate"):
                    del store.refresh[form["refresh_token"]]
                else:
                    kept = form["refresh_token"]
                return self.reply(200, store.tokens(entry["user"], entry["scope"], refresh_token=kept))
            if grant == "authorization_code":
                entry = store.codes.pop(form.get("code", ""), None)
                if entry is None or entry["redirect_uri"] != form.get("redirect_uri"):
                    return self.error(400, "invalid_grant", "code unknown, used or for another redirect_uri")
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if digest != entry["challenge"]:
                    return self.error(400, "invalid_grant", "PKCE verification failed")
                return self.reply(200, store.tokens(entry["user"], entry["scope"]))
            if grant == DEVICE_GRANT:
                entry = store.devices.get(form.get("device_code", ""))
                if entry is None or time.time() > entry["expires"]:
                    return self.error(400, "expired_token", "device code unknown or expired")
                now = time.time()
                too_soon = now - entry["last_poll"] < entry["interval"] - 0.05
                entry["last_poll"] = now
                if too_soon:
                    return self.error(400, "slow_down", "polled faster than the interval")
                if entry["user"] is None:
                    return self.error(400, "authorization_pending", "the user has not approved yet")
                del store.devices[form["device_code"]]
                return self.reply(200, store.tokens(entry["user"], entry["scope"]))
            return self.error(400, "unsupported_grant_type", grant)

    def device(self, form):
        store = self.server.store
        with store.lock:
            store.stats["device"] += 1
            if not self.client_ok(form):
                return self.error(401, "invalid_client", "unknown client")
            device_code = "dc-" + secrets.token_urlsafe(16)
            user_code = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
            store.devices[device_code] = {"user_code": user_code, "scope": form.get("scope", ""), "user": None,
                                          "expires": time.time() + 600, "last_poll": 0.0, "interval": 1}
        base = "http://%s:%d" % self.server.server_address[:2]
        self.reply(200, {"device_code": device_code, "user_code": user_code, "verification_uri": base + "/device",
                         "verification_uri_complete": base + "/device?user_code=" + user_code,
                         "expires_in": 600, "interval": 1})

    def authorize(self, query):
        store = self.server.store
        with store.lock:
            store.stats["authorize"] += 1
            if query.get("client_id") != self.server.client_id or query.get("response_type") != "code":
                return self.error(400, "invalid_request", "client_id or response_type")
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return self.error(400, "invalid_request", "PKCE with S256 is required")
            redirect = query.get("redirect_uri", "")
            host = urllib.parse.urlsplit(redirect).hostname
            if host not in ("127.0.0.1", "localhost", "::1"):
                return self.error(400, "invalid_request", "redirect_uri must be a loopback address (RFC 8252)")
            code = "ac-" + secrets.token_urlsafe(16)
            store.codes[code] = {"user": query.get("login_hint") or "mt1", "scope": query.get("scope", ""),
                                 "challenge": query["code_challenge"], "redirect_uri": redirect}
        target = redirect + ("&" if "?" in redirect else "?") + urllib.parse.urlencode(
            {"code": code, "state": query.get("state", "")})
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def introspect(self, form):
        store = self.server.store
        with store.lock:
            store.stats["introspect"] += 1
            entry = store.access.get(form.get("token", ""))
            if entry is None or time.time() > entry["expires"]:
                return self.reply(200, {"active": False})
            store.stats["introspect_active"] += 1
            self.reply(200, {"active": True, "username": entry["user"], "scope": entry["scope"],
                             "exp": int(entry["expires"])})

    def admin(self, action, request):
        store = self.server.store
        with store.lock:
            if action == "grant":
                return self.reply(200, {"refresh_token": store.new_refresh(request["user"], request.get("scope", ""))})
            if action == "expire":
                for entry in store.access.values():
                    if entry["user"] == request["user"]:
                        entry["expires"] = 0
                return self.reply(200, {})
            if action == "revoke":
                for token in [t for t, e in store.refresh.items()
                              if t == request.get("refresh_token") or e["user"] == request.get("user")]:
                    del store.refresh[token]
                return self.reply(200, {})
            if action == "approve":
                for entry in store.devices.values():
                    if entry["user_code"] == request["user_code"]:
                        entry["user"] = request["user"]
                        return self.reply(200, {})
                return self.error(404, "not_found", "no such user code")
            if action == "settings":
                target = store.per_user.setdefault(request["user"], {}) if "user" in request else None
                for name, kind in (("access_ttl", int), ("rotate", bool)):
                    if name in request:
                        if target is None:
                            setattr(store, name, kind(request[name]))
                        else:
                            target[name] = kind(request[name])
                return self.reply(200, {"access_ttl": store.access_ttl, "rotate": store.rotate, "per_user": store.per_user})
        self.error(404, "not_found", action)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", default="mailtrigger-test")
    parser.add_argument("--client-secret", default="mt-client-secret")
    parser.add_argument("--log")
    parser.add_argument("--issued", help="append every token issued to this file (for the secret scanner)")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.store = Store()
    server.store.issued_file = args.issued
    server.client_id, server.client_secret, server.log = args.client_id, args.client_secret, args.log
    server.serve_forever()


if __name__ == "__main__":
    main()
