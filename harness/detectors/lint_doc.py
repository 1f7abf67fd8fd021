"""Keeps docs/detectors.md true without running a detector: what the doc
says must agree with the matrix it quotes, and the matrix with the code.

    lint_doc.py docs/detectors.md

- The grid's symbol for every case and detector is the one its case's
  block implies (LOOK or quiet for the leak and for the fix).
- Every source site a block names ("handle (leak.c:97)") is a line of
  that case's file inside that function: a case edited since the run
  that made the blocks fails here until the matrix is made again.
- The prose's claims: a case a detector's paragraph says it "misses" or
  "sees" is one the grid marks so; a fix named among its "false alarms"
  is marked "!"; every number with a unit the prose quotes (B/client,
  KiB, errors, sessions, s) is one a block or the grid's last line
  prints; "N for NN's" of goleak is that case's count.
- Every walkthrough links to its case's block, and every case has one.

Exit 0 the doc holds, 1 it does not (each finding on its own line).
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The block's detector titles and the grid's column titles.
COLUMNS = {
    "kit growth": "kit", "memcheck exit": "mc-exit", "memcheck growth": "mc-growth",
    "LeakSanitizer": "LSan", "ASan": "ASan", "heaptrack": "heaptrack", "massif": "massif",
    "TSan": "TSan", "DRD": "DRD", "Prometheus": "Prometheus", "bcc memleak": "bcc",
}
# A paragraph of "What each detector is blind to", by its bold opening.
PARAGRAPHS = {
    "The kit's growth under load": "kit", "memcheck at exit": "mc-exit",
    "memcheck's growth between two points": "mc-growth", "LeakSanitizer": "LSan",
    "AddressSanitizer": "ASan", "heaptrack": "heaptrack", "massif": "massif",
    "ThreadSanitizer": "TSan", "DRD": "DRD", "Prometheus": "Prometheus",
    "bcc's memleak": "bcc",
}
UNITS = r"(?:B/client|B|KiB|MiB|errors|conflicting accesses|sessions|s)"


def text_blocks(text):
    """The ```text blocks, in order."""
    return re.findall(r"```text\n(.*?)```", text, re.S)


def parse_grid(block):
    grid, head = {}, None
    for line in block.splitlines():
        if line.startswith("case ") and "mc-exit" in line:
            head = line.split()[1:]
        elif head and re.match(r"^\d\d-[a-z-]+\s", line):
            parts = line.split()
            if len(parts) == len(head) + 1:
                grid[parts[0]] = dict(zip(head, parts[1:]))
    return grid


def parse_block(block):
    """One case's block: (name, {title: (leak text, fixed text)})."""
    lines = block.splitlines()
    name = lines[0].split(":")[0]
    head = next((ln for ln in lines if ln.lstrip().startswith("detector ")), None)
    rows = {}
    if head is None:
        return name, rows
    pl, pf, pc = head.index("leak"), head.index("fixed"), head.index("cost")
    for ln in lines:
        if not ln.startswith("  ") or ln is head:
            continue
        title = next((t for t in sorted(COLUMNS, key=len, reverse=True)
                      if ln[2:].startswith(t + " ")), None)
        if title is None:
            continue
        rest = ln[2 + len(title):].strip()
        if rest.startswith("not run:"):
            rows[title] = (rest, rest)
        else:
            rows[title] = (ln[pl:pf].strip(), ln[pf:pc].strip())
    return name, rows


def implied(leak, fixed):
    def look(v):
        if v.startswith("LOOK"):
            return True
        if v.startswith("quiet"):
            return False
        return None
    lk, fx = look(leak), look(fixed)
    if lk is None or fx is None:
        return "n/a"
    return ("+" if lk else "-") + ("!" if fx else "")


def function_at(path, line):
    """The function a line of a C file lies in: the nearest definition
    above it that starts at column 0 (this code base's style)."""
    with open(path) as f:
        src = f.read().splitlines()
    if line < 1 or line > len(src):
        return None
    for i in range(line - 1, -1, -1):
        s = src[i]
        if not s or s[0] in " \t{}#/*" or s.rstrip().endswith(";"):
            continue
        m = re.search(r"(\w+)\s*\(", s)
        if m and s[0].isalpha():
            return m.group(1)
    return None


def case_numbers(fragment):
    return re.findall(r"(?<![\d.])(\d\d)(?![\d.]\d)", fragment)


def lint(path):
    with open(path) as f:
        text = f.read()
    errors = []
    counts = {"cells": 0, "sites": 0, "claims": 0}
    blocks = text_blocks(text)
    if not blocks:
        return [f"{path}: no text blocks"], counts
    grid = parse_grid(blocks[0])
    if not grid:
        return [f"{path}: the first block holds no grid"], counts
    footer = blocks[0].strip().splitlines()[-1]
    cases = {}
    for b in blocks[1:]:
        name, rows = parse_block(b)
        if rows:
            cases[name] = (rows, b)

    # The grid against the blocks.
    for name, cols in grid.items():
        if name not in cases:
            errors.append(f"{name}: in the grid, but no block of its own")
            continue
        rows = cases[name][0]
        for title, col in COLUMNS.items():
            if col not in cols:
                continue
            if title not in rows:
                errors.append(f"{name}: no {title} row in its block")
                continue
            want = implied(*rows[title])
            counts["cells"] += 1
            if cols[col] != want:
                errors.append(f"{name} {col}: the grid says {cols[col]}, its block says {want} "
                              f"(leak: {rows[title][0][:40]}; fixed: {rows[title][1][:40]})")
    for name in cases:
        if name not in grid:
            errors.append(f"{name}: a block, but no row in the grid")

    # Every source site a block names, against the case's file.
    for name, (rows, b) in cases.items():
        for func, variant, line in re.findall(r"(\w+) \((leak|fixed)\.c:(\d+)\)", b):
            src = os.path.join(ROOT, "cases", name, f"{variant}.c")
            if not os.path.exists(src):
                errors.append(f"{name}: {variant}.c not found for {func} ({variant}.c:{line})")
                continue
            got = function_at(src, int(line))
            counts["sites"] += 1
            if got != func:
                errors.append(f"{name}: the block says {func} ({variant}.c:{line}), but line {line} "
                              f"of cases/{name}/{variant}.c is in {got or 'no function'}: run "
                              f"./leaklab detectors {name[:2]} --twins --write-doc "
                              f"docs/detectors.md")

    # The prose.
    generated = "\n".join(blocks)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    prose = re.sub(r"<!--.*?-->", "", prose, flags=re.S)
    by_num = {n[:2]: n for n in grid}
    for para in re.split(r"\n\s*\n", prose):
        flat = " ".join(para.split())
        m = re.match(r"\*\*(.+?)\*\*", flat)
        col = PARAGRAPHS.get(m.group(1)) if m else None
        if col:
            for verb, frag in re.findall(r"\b(misses|sees)\b((?: [a-z]+){0,3} \(?(?:\d\d(?:'s)?"
                                         r"(?:,| and|,? and)? ?)+)", flat):
                for num in case_numbers(frag):
                    name = by_num.get(num)
                    sym = grid.get(name, {}).get(col, "")
                    ok = sym.startswith("-") if verb == "misses" else sym.startswith("+")
                    counts["claims"] += 1
                    if not ok:
                        errors.append(f"{col}: the prose says it {verb} {num}, the grid says "
                                      f"{sym or 'nothing'}")
            for sentence in re.split(r"(?<=[.;])\s", flat):
                if "false alarm" not in sentence:
                    continue
                for num in re.findall(r"\b(\d\d)'s", sentence):
                    sym = grid.get(by_num.get(num), {}).get(col, "")
                    counts["claims"] += 1
                    if not sym.endswith("!"):
                        errors.append(f"{col}: the prose names {num}'s fix a false alarm, the "
                                      f"grid says {sym or 'nothing'}")
        for num, unit in re.findall(r"(?<![\w.])([+-]?\d+(?:\.\d+)?) (" + UNITS + r")(?![\w/])",
                                    flat):
            counts["claims"] += 1
            if not re.search(r"(?<![\w.])" + re.escape(num) + r" " + re.escape(unit) + r"(?![\w/])",
                             generated):
                errors.append(f"the prose quotes \"{num} {unit}\", which no block prints")
        for field, num in re.findall(r"\b(def|ind|pos|reach|fds) (\d+)\b", flat):
            counts["claims"] += 1
            if not re.search(rf"\b{field} {num}\b", generated):
                errors.append(f"the prose quotes \"{field} {num}\", which no block prints")
        for lst in re.findall(r"fds left open \(([\d, and]+)\)", flat):
            for num in case_numbers(lst):
                rows = cases.get(by_num.get(num), ({}, ""))[0]
                leak = rows.get("memcheck exit", ("", ""))[0]
                counts["claims"] += 1
                if not re.search(r"fds [1-9]", leak):
                    errors.append(f"the prose says {num} leaves fds open at exit, its memcheck "
                                  f"exit cell says: {leak or 'nothing'}")
        for count, num in re.findall(r"\b(\d+) for (\d\d)'s", flat):
            rows = cases.get(by_num.get(num), ({}, ""))[1]
            counts["claims"] += 1
            if not re.search(rf"go goleak\s+LOOK {count} unexpected goroutines", rows):
                errors.append(f"the prose says goleak counts {count} for {num}, its block does not")
    m = re.search(r"(\d+) sessions .*? took (\d+) s", " ".join(prose.split()))
    if m:
        want = f"{m.group(1)} sessions in {m.group(2)} s"
        if not footer.startswith(want):
            errors.append(f"the prose says \"{want}\", the grid's last line \"{footer}\"")

    # Every walkthrough links to its block.
    docs = os.path.join(ROOT, "docs", "cases")
    for name in grid:
        walk = os.path.join(docs, name + ".md")
        if not os.path.exists(walk):
            errors.append(f"{name}: no walkthrough {walk}")
            continue
        with open(walk) as f:
            if f"../detectors.md#{name}" not in f.read():
                errors.append(f"{name}: its walkthrough does not link to ../detectors.md#{name}")
        if not re.search(rf"^### {re.escape(name)}$", text, re.M):
            errors.append(f"{name}: no heading '### {name}' for the walkthrough's link")
    return errors, counts


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    errors, counts = lint(sys.argv[1])
    for e in errors:
        print(f"FAIL: {e}")
    print(f"{'ok' if not errors else 'FAIL'}: {sys.argv[1]}: {counts['cells']} grid cells against "
          f"their blocks, {counts['sites']} source sites against the cases' code, "
          f"{counts['claims']} claims of the prose against the matrix")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
