#!/usr/bin/env python3
"""Print "N passed, N failed[, N skipped]" from meson's testlog.json files.

Usage: tap-summary.py BUILDDIR... FUZZ_PASSED FUZZ_FAILED
Every TAP line "ok"/"not ok" of every test program counts as one case; a
program that failed without TAP output counts as one failure.  Exit status
is 0 only when nothing failed.
"""
import json
import re
import sys

dirs, fuzz_ok, fuzz_bad = sys.argv[1:-2], int(sys.argv[-2]), int(sys.argv[-1])
passed, failed, skipped = fuzz_ok, fuzz_bad, 0
for d in dirs:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError as e:
        print(f"tap-summary: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout") or ""
        cases = re.findall(r"^(not ok|ok)\b(.*)$", out, re.M)
        if not cases:
            if t["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif t["result"] == "SKIP":
                skipped += 1
            else:
                failed += 1
            continue
        for verdict, rest in cases:
            if re.search(r"#\s*skip", rest, re.I):
                skipped += 1
            elif verdict == "ok" or re.search(r"#\s*todo", rest, re.I):
                passed += 1
            else:
                failed += 1
        if t["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") and \
                not any(v == "not ok" for v, _ in cases):
            failed += 1  # crashed or timed out after its last TAP line
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
