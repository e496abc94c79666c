#!/usr/bin/env python3
"""Reads swift-testing's event streams (`swift test --experimental-event-stream-output`) and
says what ran: tests passed, failed and skipped, every failure's messages, and which declared
integration tests ("Dovecot: ..." and "Dovecot and Cyrus: ..." display names, found in Tests/)
did not pass.

Why not the console output: its lines go through a pipe, and CI once lost 73 of them (two
integration tests' "passed" lines among them) while the run itself passed. The event stream is
written to a file by the test process.

A test that started and did not end (the run was killed: it hung, or the process crashed) is
named as such.

Usage: test-report.py TESTS_DIR STREAM.jsonl [STREAM.jsonl ...]
       test-report.py --in-flight STREAM.jsonl   (the tests running now, for a run that hangs)
Exit status: 0 when every test passed and every declared integration test passed; 1 otherwise.
"""
import json
import pathlib
import re
import sys


def declared_integration_tests(tests_dir):
    names = set()
    for path in pathlib.Path(tests_dir).rglob("*.swift"):
        names.update(re.findall(r'@Test\("(Dovecot(?: and Cyrus)?[:,][^"]*)"', path.read_text(encoding="utf-8")))
    return names


def read_stream(path, tests, ended, skipped, issues, started=None):
    # Records end with "\n" only: splitlines() would also split at U+2028 and U+0085 in names.
    for line in pathlib.Path(path).read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        record = json.loads(line)
        payload = record.get("payload", {})
        if record.get("kind") == "test":
            tests[payload["id"]] = payload
            continue
        kind = payload.get("kind")
        test_id = payload.get("testID")
        if kind == "testStarted" and test_id and started is not None:
            started.add(test_id)
        elif kind == "testEnded" and test_id:
            ended[test_id] = payload.get("messages", [{}])[0].get("symbol")
        elif kind == "testSkipped" and test_id:
            skipped.add(test_id)
        elif kind == "issueRecorded":
            issues.append((test_id, [m.get("text", "") for m in payload.get("messages", [])]))


def in_flight(stream):
    tests, ended, started = {}, {}, set()
    read_stream(stream, tests, ended, set(), [], started)
    running = sorted(name(tests, i) for i in started - ended.keys() if tests.get(i, {}).get("kind") == "function")
    print(f"{len(running)} test(s) started and not ended:")
    for test in running[:60]:
        print(f"  {test}")
    if len(running) > 60:
        print(f"  ... and {len(running) - 60} more")
    return 0


def name(tests, test_id):
    return tests.get(test_id, {}).get("displayName") or tests.get(test_id, {}).get("name", test_id)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--in-flight":
        return in_flight(sys.argv[2])
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    tests, ended, skipped, issues, started = {}, {}, set(), [], set()
    for stream in sys.argv[2:]:
        read_stream(stream, tests, ended, skipped, issues, started)
    functions = {i: t for i, t in tests.items() if t.get("kind") == "function"}
    passed = [i for i in functions if ended.get(i) == "pass"]
    failed = [i for i in functions if i in ended and ended[i] != "pass"]
    for test_id, messages in issues:
        for text in messages:
            print(f"✘ {name(functions, test_id)}: {text}")
    unfinished = sorted(((started - ended.keys()) & functions.keys()), key=lambda i: name(functions, i))
    # Tests start eagerly and wait for a thread: a stopped run leaves hundreds "started".
    for test_id in unfinished[:30]:
        print(f"✘ {name(functions, test_id)}: started and did not end (the run was stopped, or crashed)")
    if len(unfinished) > 30:
        print(f"✘ ... and {len(unfinished) - 30} more tests started and did not end")
    declared = declared_integration_tests(sys.argv[1])
    integration = {functions[i].get("displayName") for i in passed} & declared
    missing = sorted(declared - integration)
    print(f"tests: {len(passed)} passed, {len(failed)} failed, {len(skipped & functions.keys())} skipped, "
          f"{len(issues)} issues")
    print(f"integration tests passed: {len(integration)} of {len(declared)} declared")
    for display in missing:
        ids = [i for i in functions if functions[i].get("displayName") == display]
        state = "skipped" if any(i in skipped for i in ids) else "did not end" if any(i in started and i not in ended for i in ids) \
            else "did not pass" if any(i in ended for i in ids) else "did not start"
        print(f"  not passed ({state}): {display}")
    print(f"counts: {len(passed)} {len(failed)}")
    return 0 if not failed and not issues and not unfinished and declared and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
