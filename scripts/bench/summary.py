#!/usr/bin/env python3
"""Prints the daemon benchmark's summary table from the phase results and exits 1 if a target
was missed (scripts/bench-daemon.sh).

    summary.py RESULTS_DIR

Reads latency.json (append_latency.py), burst.json, idle-1.json / idle-N.json, scale.json,
scale-latency.json and scale-keepalive.json (written by bench-daemon.sh). A phase without its file is shown as skipped; a phase that ran but failed to
produce figures counts as a failed target.
"""
from __future__ import annotations

import json
import os
import sys


def load(directory: str, name: str):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def ms(value) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def main() -> int:
    directory = sys.argv[1]
    rows: list[tuple[str, str, str, str]] = []   # (what, measured, target, verdict)
    failed = False

    def check(what: str, measured: str, target: str, ok: bool | None) -> None:
        nonlocal failed
        verdict = "info" if ok is None else ("PASS" if ok else "FAIL")
        if ok is False:
            failed = True
        rows.append((what, measured, target, verdict))

    latency = load(directory, "latency.json")
    phases = set(load(directory, "phases.json") or [])
    if latency is not None:
        m, f, a, byp = latency["mailtrigger"], latency["floor"], latency["added"], latency["added_by_percentile"]
        check("latency: webhooks received", f"{m['n']}/{latency['count']}", f"{latency['count']}/{latency['count']}",
              latency["missing_webhook"] == 0)
        check("latency: mailtrigger absolute p50/p90/p99/max",
              f"{ms(m['p50'])} / {ms(m['p90'])} / {ms(m['p99'])} / {ms(m['max'])}", "-", None)
        check("latency: server floor (bare IDLE) p50/p90/p99",
              f"{ms(f['p50'])} / {ms(f['p90'])} / {ms(f['p99'])}", "-", None)
        check("latency: added over floor p50 (paired)", ms(a["p50"]), "<= 20 ms",
              a["p50"] is not None and a["p50"] <= 20)
        check("latency: added over floor p99 (paired)", ms(a["p99"]), "<= 100 ms",
              a["p99"] is not None and a["p99"] <= 100)
        check("latency: added p90 / max (paired)", f"{ms(a['p90'])} / {ms(a['max'])}", "-", None)
        check("latency: added by percentile p50/p99", f"{ms(byp['p50'])} / {ms(byp['p99'])}", "-", None)
    elif "latency" in phases:
        check("latency", "no result", "p50 <= 20 ms, p99 <= 100 ms added", False)

    burst = load(directory, "burst.json")
    if burst is not None:
        rounds = burst.get("rounds", [burst])
        runs = len(rounds)

        def spread(key, unit=""):
            """ " (median of N; min-max)" for a per-round figure."""
            values = [r[key] for r in rounds if r.get(key) is not None]
            if runs < 2 or not values:
                return ""
            return f" (median of {runs}; {min(values):.0f}-{max(values):.0f}{unit})"

        rate = burst.get("mailtrigger_rate")
        check(f"burst: mailtrigger, {burst['count']} messages",
              f"{burst['received']}/{burst['count']} in {burst.get('mailtrigger_seconds', 0):.2f} s", "all", burst["received"] >= burst["count"])
        check("burst: mailtrigger rate", "n/a" if rate is None else f"{rate:.0f} msg/s{spread('mailtrigger_rate')}", ">= 1000 msg/s",
              rate is not None and rate >= 1000)
        mb = burst.get("mbsync_rate")
        check("burst: mbsync rate", "n/a" if mb is None else f"{mb:.0f} msg/s{spread('mbsync_rate')}", "-", None)
        ratio = rate / mb if rate and mb else None
        ratios = [r["mailtrigger_rate"] / r["mbsync_rate"] * 100 for r in rounds
                  if r.get("mailtrigger_rate") and r.get("mbsync_rate")]
        each = f" (per round: {', '.join(f'{x:.0f}' for x in ratios)} %)" if runs > 1 and ratios else ""
        check("burst: mailtrigger / mbsync (medians)", "n/a" if ratio is None else f"{ratio * 100:.0f} %{each}", ">= 60 %",
              ratio is not None and ratio >= 0.6)
        floor = burst.get("webhook_alone_rate")
        if floor is not None:
            check("burst: webhook path alone (no IMAP/MIME/SQLite)", f"{floor:.0f} msg/s{spread('webhook_alone_rate')}", "-", None)
            if mb:
                check("burst: webhook path alone / mbsync (medians)", f"{floor / mb * 100:.0f} %", "-", None)
    elif "burst" in phases:
        check("burst", "no result", ">= 1000 msg/s, >= 60 % of mbsync", False)

    for name in sorted(n for n in os.listdir(directory) if n.startswith("idle-") and n.endswith(".json")):
        idle = load(directory, name)
        k = idle["mailboxes"]
        targeted = k >= 100
        check(f"idle, {k} mailbox{'es' if k != 1 else ''}: CPU over {idle['seconds']:.0f} s",
              f"{idle['cpu_percent']:.2f} %", "<= 1 %" if targeted else "-", (idle["cpu_percent"] <= 1.0) if targeted else None)
        check(f"idle, {k} mailbox{'es' if k != 1 else ''}: RSS max (mean)",
              f"{idle['rss_max_mb']:.1f} MB ({idle['rss_mean_mb']:.1f})", "<= 40 MB" if targeted else "-",
              (idle["rss_max_mb"] <= 40.0) if targeted else None)
    if "idle" in phases and not any(n.startswith("idle-") for n in os.listdir(directory)):
        check("idle", "no result", "<= 1 % CPU, <= 40 MB", False)

    scale = load(directory, "scale.json")
    if scale is not None:
        k = scale["mailboxes"]
        targeted = k >= 1000
        check(f"scale, {k} profiles: start to READY=1", f"{scale['ready_ms']} ms", "<= 1000 ms" if targeted else "-",
              (scale["ready_ms"] <= 1000) if targeted else None)
        check(f"scale, {k} mailboxes: start to every one watching", f"{scale['all_watching_ms'] / 1000:.1f} s "
              f"({scale['idle_sessions']} IDLE sessions on the server)", "-", None)
        keepalive = f", server keepalive {scale['keepalive']}" if "keepalive" in scale else ""
        check(f"scale, {k} mailboxes: CPU over {scale['seconds']:.0f} s, no new mail{keepalive}", f"{scale['cpu_percent']:.2f} %",
              "<= 2 %" if targeted else "-", (scale["cpu_percent"] <= 2.0) if targeted else None)
        peak = max(scale["rss_max_mb"], scale.get("hwm_end_mb", 0))
        check(f"scale, {k} mailboxes: RSS peak since start (idle max, mean)",
              f"{peak:.1f} MB ({scale['rss_max_mb']:.1f}, {scale['rss_mean_mb']:.1f})", "<= 150 MB" if targeted else "-",
              (peak <= 150.0) if targeted else None)
    elif "scale" in phases:
        check("scale", "no result", "READY <= 1 s, CPU <= 2 %, RSS <= 150 MB", False)
    scale_latency = load(directory, "scale-latency.json")
    if scale_latency is not None:
        a, m = scale_latency["added"], scale_latency["mailtrigger"]
        what = f"scale latency ({scale_latency['count']} messages over {scale_latency.get('users', 1)} mailboxes)"
        check(f"{what}: webhooks received", f"{m['n']}/{scale_latency['count']}", "all", scale_latency["missing_webhook"] == 0)
        check(f"{what}: absolute p50/p99", f"{ms(m['p50'])} / {ms(m['p99'])}", "-", None)
        check(f"{what}: added over floor p50", ms(a["p50"]), "<= 20 ms", a["p50"] is not None and a["p50"] <= 20)
        check(f"{what}: added over floor p99", ms(a["p99"]), "<= 100 ms", a["p99"] is not None and a["p99"] <= 100)
    elif "scale" in phases:
        check("scale latency", "no result", "p50 <= 20 ms, p99 <= 100 ms added", False)

    loaded = load(directory, "scale-keepalive.json")
    if loaded is not None:
        # Not idle: the server sends every session a response each interval. Shown, not judged.
        per = loaded.get("us_per_keepalive")
        check(f"scale, {loaded['mailboxes']} mailboxes, keepalive every {loaded['keepalive']}: CPU over {loaded['seconds']:.0f} s",
              f"{loaded['cpu_percent']:.2f} % ({loaded['keepalives_per_second']:.0f} keepalives/s, "
              f"{'n/a' if per is None else f'{per:.0f}'} us each)", "-", None)

    widths = [max(len(r[i]) for r in rows + [("figure", "measured", "target", "verdict")]) for i in range(4)]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format("figure", "measured", "target", "verdict").rstrip())
    print(line.format(*("-" * w for w in widths)).rstrip())
    for row in rows:
        print(line.format(*row).rstrip())
    print()
    print("RESULT: " + ("FAIL (a target was missed)" if failed else "PASS (every target met)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
