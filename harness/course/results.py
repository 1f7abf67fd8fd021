#!/usr/bin/python3
"""results.py - the course's records of verdicts, for ./leaklab verify --json
and ./leaklab grade (sourced through course.sh; python3 is a kit package).

  results.py verdict --case NAME --file F --exit N --verdict WORDS --run DIR
                     --out FILE [--root ROOT] [--seconds S]
      One verify's record: the verdict, the rows that failed (read from
      each mode's report in DIR, the run's own folder) and each mode's
      leaklab-check JSON, written to FILE. With the run's times file
      (course.sh writes it): build_seconds, the build's time, each
      mode's answer_seconds, when its rows were shown, and the native
      check's first_answer_seconds, when it said its first answer (a fix
      that fails on a count), all counted from the end of the build.

  results.py grade --case NAME [--json FILE] [--junit FILE] RECORD...
      Many records (one per file, in the order given): a table on stdout
      (file, verdict, the rows that failed), and the same as JSON and as
      JUnit XML (one testcase per file; a "not yet" is a failure whose
      message is the rows that failed, a "no verdict" an error).

The rows are the teaching report's own (harness/check/judge/teach.c): a
row that failed ends in " NO" and the next, indented line says why.
"""
import argparse
import json
import os
import re
import socket
import sys
import time
import xml.etree.ElementTree as ET

MODES = ("native", "checker")
ROW_NO = re.compile(r"^  (\S+)\s+(.*?)\s{2,}(\S.*?)\s+NO$")
WHY_INDENT = " " * 14


def squeeze(text):
    return re.sub(r"\s+", " ", text).strip()


def failed_rows(text):
    """The rows of one mode's report that failed, each "check measured
    (limit ...): why", or the reason the report has no table."""
    lines = text.splitlines()
    rows = []
    for i, line in enumerate(lines):
        m = ROW_NO.match(line)
        if not m:
            continue
        row = "%s %s (limit %s)" % (m.group(1), squeeze(m.group(2)), squeeze(m.group(3)))
        if i + 1 < len(lines) and lines[i + 1].startswith(WHY_INDENT):
            nxt = lines[i + 1].strip()
            if m.group(1) == "behaviour" and i + 2 < len(lines) and lines[i + 2].startswith(WHY_INDENT):
                nxt = lines[i + 2].strip()  # the line after the feature's name says why
            row += ": " + nxt
        rows.append(row)
    for line in lines:
        if line.startswith("  clients that failed:"):
            rows.append(line.strip())
    if rows:
        return rows
    # No table row failed: a crash, a stuck program or no verdict says why
    # in the lines before its verdict line.
    for line in lines:
        s = line.strip()
        if line.startswith("verdict:"):
            break
        if (line.startswith("  ") and not line.startswith("   ") and s
                and not s.startswith(("every step drives", "check ", "behaviour ", "logs kept",
                                      "its last output", "the program's last output", "("))):
            rows.append(s)
            break
    return rows


def build_errors(path, root):
    try:
        with open(path, errors="replace") as f:
            errs = [squeeze(l.replace(root.rstrip("/") + "/", "") if root else l)
                    for l in f if "error:" in l]
    except OSError:
        return ["does not build"]
    return ["does not build: " + e for e in errs[:3]] or ["does not build"]


def read_times(run):
    """The run's times file: one "step SECONDS-SINCE-EPOCH" a line (start,
    built, then each mode as its rows were shown)."""
    times = {}
    try:
        with open(os.path.join(run, "times")) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    try:
                        times[parts[0]] = float(parts[1])
                    except ValueError:
                        pass
    except OSError:
        pass
    return times


def cmd_verdict(a):
    rec = {
        "case": a.case,
        "file": a.file,
        "exit_code": a.exit,
        "verdict": a.verdict,
        "failed": [],
        "modes": [],
    }
    if a.seconds is not None:
        rec["seconds"] = round(a.seconds, 1)
    times = read_times(a.run)
    if "start" in times and "built" in times:
        rec["build_seconds"] = round(times["built"] - times["start"], 2)
    if a.verdict == "does not build":
        rec["failed"] = build_errors(os.path.join(a.run, "build.log"), a.root)
    for mode in MODES:
        out = os.path.join(a.run, mode + ".out")
        if not os.path.exists(out):
            continue
        with open(out, errors="replace") as f:
            text = f.read()
        m = {"mode": "native" if mode == "native" else "memcheck"}
        if "built" in times and mode in times:
            # When this mode's rows were shown, counted from the end of the build.
            m["answer_seconds"] = round(times[mode] - times["built"], 2)
        try:
            with open(os.path.join(a.run, mode + ".rc")) as f:
                m["exit_code"] = int(f.read().strip())
        except (OSError, ValueError):
            m["exit_code"] = 2
        m["failed"] = failed_rows(text) if m["exit_code"] != 0 else []
        verdicts = [l[len("verdict: "):] for l in text.splitlines() if l.startswith("verdict: ")]
        if verdicts:
            m["verdict_line"] = verdicts[-1]
        try:
            with open(os.path.join(a.run, mode + ".json")) as f:
                m["report"] = json.load(f)
        except (OSError, ValueError):
            pass
        firsts = [r["first_answer_at"] for r in m.get("report", {}).get("runs", [])
                  if "first_answer_at" in r]
        if "built" in times and firsts:
            # When the native check said its first answer, from the build's end.
            m["first_answer_seconds"] = round(min(firsts) - times["built"], 2)
        if m["exit_code"] != 0 and not m["failed"]:
            m["failed"] = [m.get("verdict_line", "exit %d" % m["exit_code"])]
        rec["failed"] += ["%s: %s" % (m["mode"], r) for r in m["failed"]]
        rec["modes"].append(m)
    with open(a.out, "w") as f:
        json.dump(rec, f, indent=2)
        f.write("\n")
    return 0


def load_record(path, case):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"case": case, "file": path, "exit_code": 2, "verdict": "no verdict",
                "failed": ["no record of the verify (%s)" % e], "modes": []}


def junit(records, case, path):
    suite_name = "leaklab.grade." + case
    failures = sum(1 for r in records if r["exit_code"] == 1)
    errors = sum(1 for r in records if r["exit_code"] not in (0, 1))
    total = sum(r.get("seconds", 0) for r in records)
    root = ET.Element("testsuites", name="leaklab grade", tests=str(len(records)),
                      failures=str(failures), errors=str(errors), time="%.1f" % total)
    suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(records)),
                          failures=str(failures), errors=str(errors), skipped="0",
                          time="%.1f" % total,
                          timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"),
                          hostname=socket.gethostname())
    for r in records:
        tc = ET.SubElement(suite, "testcase", classname=suite_name, name=r["file"],
                           time="%.1f" % r.get("seconds", 0))
        if r["exit_code"] == 0:
            continue
        tag = "failure" if r["exit_code"] == 1 else "error"
        el = ET.SubElement(tc, tag, message="; ".join(r["failed"]) or r["verdict"],
                           type=r["verdict"])
        el.text = "\n".join(r["failed"])
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)


def cmd_grade(a):
    records = [load_record(p, a.case) for p in a.records]
    width = max([len("file")] + [len(r["file"]) for r in records])
    vwidth = max([len("verdict")] + [len(r["verdict"]) for r in records])
    print("%-*s  %-*s  %s" % (width, "file", vwidth, "verdict", "rows that failed"))
    for r in records:
        rows = r["failed"] or ["-"]
        print("%-*s  %-*s  %s" % (width, r["file"], vwidth, r["verdict"], rows[0]))
        for row in rows[1:]:
            print("%-*s  %-*s  %s" % (width, "", vwidth, "", row))
    counts = {}
    for r in records:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    print("%d file%s: %s" % (len(records), "" if len(records) == 1 else "s",
                             ", ".join("%d %s" % (n, v) for v, n in sorted(counts.items()))))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"case": a.case, "files": records}, f, indent=2)
            f.write("\n")
    if a.junit:
        junit(records, a.case, a.junit)
    return max([r["exit_code"] if r["exit_code"] in (0, 1) else 2 for r in records] or [0])


def main():
    p = argparse.ArgumentParser(prog="results.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verdict")
    v.add_argument("--case", required=True)
    v.add_argument("--file", required=True)
    v.add_argument("--exit", type=int, required=True)
    v.add_argument("--verdict", required=True)
    v.add_argument("--run", required=True)
    v.add_argument("--out", required=True)
    v.add_argument("--root")
    v.add_argument("--seconds", type=float)
    g = sub.add_parser("grade")
    g.add_argument("--case", required=True)
    g.add_argument("--json")
    g.add_argument("--junit")
    g.add_argument("records", nargs="+")
    a = p.parse_args()
    return cmd_verdict(a) if a.cmd == "verdict" else cmd_grade(a)


if __name__ == "__main__":
    sys.exit(main())
