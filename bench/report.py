#!/usr/bin/env python3
"""report.py: bench/run's tables. Reads what bench/run measured and prints markdown.

    report.py SERVERS METRICS RESULTS

SERVERS  name <TAB> label, one a line, in column order; the one named epoll_echo is the baseline
METRICS  key <TAB> table <TAB> label <TAB> target <TAB> format [<TAB> reduce], one a line, in
         row order; format is a Python format spec for the value ("{:,.0f}"); reduce is how
         rounds become one figure: median (the default) or max
RESULTS  key <TAB> server <TAB> round <TAB> value <TAB> note; value may be empty (then note says
         why). Several rounds of one key and server are reduced to one figure (see reduce). Key "*" carries
         a note on the server as a whole (a peer that could not be installed, a warning our
         server logged): those are listed once, after the tables.

Every cell is "value (ratio)" with ratio = value / epoll_echo's value for the same row, so the
targets read the same way for every row: lower is better for times and memory, higher for rates.
Notes become numbered footnotes under the table they belong to.
"""
import statistics
import sys
from collections import defaultdict

BASELINE = "epoll_echo"


def read_tsv(path, columns):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            fields += [""] * (columns - len(fields))
            rows.append(fields[:columns])
    return rows


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    servers = read_tsv(sys.argv[1], 2)
    metrics = read_tsv(sys.argv[2], 6)
    reduce = {m[0]: (max if m[5] == "max" else statistics.median) for m in metrics}
    values = defaultdict(list)  # (key, server) -> [(round, value)]
    notes = defaultdict(list)  # (key, server) -> [note]
    for key, server, rnd, value, note in read_tsv(sys.argv[3], 5):
        if value:
            values[(key, server)].append((rnd, float(value)))
        if note:
            notes[(key, server)].append(note)

    def figure(key, server):
        got = [v for _, v in values.get((key, server), [])]
        return reduce[key](got) if got else None

    # A row nobody measured (a scenario that did not run) is left out.
    metrics = [m for m in metrics if any((m[0], name) in values or (m[0], name) in notes
                                         for name, _ in servers)]
    tables = []
    for metric in metrics:
        if metric[1] not in tables:
            tables.append(metric[1])

    for table in tables:
        footnotes = []

        def footnote(text):
            if text not in footnotes:
                footnotes.append(text)
            return f"[{footnotes.index(text) + 1}]"

        rows = [m for m in metrics if m[1] == table]
        has_target = any(m[3] for m in rows)
        header = ["scenario"] + [label for _, label in servers]
        if has_target:
            header.append("target for ours")
        print(f"### {table}\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" + "---:|" * len(servers) + ("---|" if has_target else ""))
        for key, _, label, target, fmt, _ in rows:
            base = figure(key, BASELINE)
            cells = [label]
            for name, _ in servers:
                value = figure(key, name)
                cell = "—" if value is None else fmt.format(value)
                if value is not None and base:
                    cell += f" ({value / base:.2f}×)"
                marks = [footnote(n) for n in notes.get((key, name), [])]
                if marks:
                    cell += " " + "".join(dict.fromkeys(marks))
                elif value is None and (("*", name) in notes):
                    cell += " (see notes)"
                cells.append(cell)
            if has_target:
                cells.append(target)
            print("| " + " | ".join(cells) + " |")
        print()
        for i, text in enumerate(footnotes, 1):
            print(f"[{i}] {text}  ")
        if footnotes:
            print()

    rounds = sorted({r for entries in values.values() for r, _ in entries if r not in ("", "1")}, key=int)
    if rounds:
        print("### Every round of the rows above that have more than one\n")
        print("| scenario | server | " + " | ".join(f"round {r}" for r in ["1"] + rounds) + " |")
        print("|---|---|" + "---:|" * (len(rounds) + 1))
        for key, table, label, _, fmt, _ in metrics:
            if table != tables[0]:
                continue
            for name, server_label in servers:
                entries = dict(values.get((key, name), []))
                if len(entries) < 2:
                    continue
                cells = [fmt.format(entries[r]) if r in entries else "—" for r in ["1"] + rounds]
                print(f"| {label} | {server_label} | " + " | ".join(cells) + " |")
        print()

    general = [(label, n) for name, label in servers for n in dict.fromkeys(notes.get(("*", name), []))]
    if general:
        print("### Notes\n")
        for label, text in general:
            print(f"- {label}: {text}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
