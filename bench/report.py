#!/usr/bin/env python3
"""report.py: bench/run's arithmetic and its page. bench/run builds, starts the servers, runs the
load and reads the clocks; everything it computes from those readings, and every line it writes
into bench/RESULTS.md, comes from here: one small function each, unit tested by
test/bench/test_report.py.

    report.py COMMAND ARGS...            (report.py COMMAND --help: the arguments of one)

While measuring, one run at a time (figures come out as "%.6f", as results.tsv keeps them):
    fields FILE KEY...                   values of echo-client's --json object, space-separated
    window T0 T1 S0 S1 C0 C1             the window's length, and server and client CPU s in it
    disturbance WINDOW SERVER CLIENT BEFORE AFTER    a note when others kept the test CPUs busy
    busy BEFORE AFTER                    how busy both CPUs were over a second, % of one CPU
    percent PART WHOLE                   100 × PART / WHOLE
    load-limit CLIENT_PERCENT            a note when the load generator's core was full
    saturation SERVER_PERCENT CLIENT_PERCENT    a note naming the side whose core was full (UDP)
    side SERVER_PERCENT CLIENT_PERCENT   server-bound, client-bound, both or neither
    losses SENT LOST DUPLICATED          a note on the datagrams lost or duplicated (UDP)
    per-echo CPU_S MSGS_PER_S WINDOW_S   CPU µs per echo (nothing when nothing was echoed): the
                                         server's, or the client's per message
    shortfall MSGS_PER_S RATE ROUND [UNIT]    a note when an open-loop run fell short of its rate
    per-connection BEFORE AFTER COUNT    KiB per connection between two memory readings
    steady PREVIOUS CURRENT              exit 0 when two memory readings are within 1%
At the end of the run:
    metrics --rounds N ... --scenarios LIST    the rows of the tables, as results.tsv's @metric
    tables SERVERS METRICS RESULTS       the markdown tables, medians and ratios
    write-results FILE TABLES --date ... the generated part of FILE (bench/RESULTS.md) replaced
"""
import argparse
import inspect
import json
import math
import statistics
import sys
from collections import defaultdict

BASELINE = "epoll_echo"
UDP_BASELINE = "udp_echo"
# The clients compared against epoll_echo in (l1) and (l2), recorded under these names in the
# server column of results.tsv; ratios against load_gen, the client-side ceiling.
CLIENT_BASELINE = "load_gen"
CLIENTS = [["echo_client", "echo-client"], [CLIENT_BASELINE, "load_gen (C)"],
           ["echo_client_1src", "echo-client, one source (l2 only)"]]
BEGIN = "<!-- bench/run: begin -->"
END = "<!-- bench/run: end -->"
CHART_MARKERS = "<!-- bench/plot: begin -->\n<!-- bench/plot: end -->"

# A closed-loop rate measured while echo-client's core was this busy is the load's limit.
LOAD_LIMIT_PERCENT = 90
# An open-loop run that achieved less than this share of its rate did not sustain it.
SUSTAINED_SHARE = 0.97


def fixed(value):
    """A figure as bench/run records it: six decimals (awk's printf "%.6f" before report.py)."""
    return f"{value:.6f}"


# ---------------------------------------------------------------------------------------------
# While measuring: one run's readings become its figures and notes.


def fields(path, keys):
    """The values of KEYS in the JSON object in PATH (echo-client --json), "" for a missing one."""
    with open(path) as f:
        data = json.load(f)
    return [str(data.get(k, "")) for k in keys]


def window(t0, t1, s0, s1, c0, c1):
    """From readings at the edges of the measuring window (T: wall clock, S: the server's CPU
    seconds, C: the client's): its length, and the CPU seconds each side used in it."""
    return t1 - t0, s1 - s0, c1 - c0


def disturbance(window_s, server_cpu_s, client_cpu_s, before, after):
    """A note when something other than the server kept CPU 1 busy (over 5% of the window) or
    something other than the load kept CPU 0 busy (over 10%: bench/run samples there); "" when
    neither. BEFORE and AFTER are the busy seconds of (CPU 0, CPU 1) at the window's edges."""
    other1 = 100 * (after[1] - before[1] - server_cpu_s) / window_s
    other0 = 100 * (after[0] - before[0] - client_cpu_s) / window_s
    if other1 > 5 or other0 > 10:
        return (f"other processes were busy on the test CPUs during this run ({other1:.0f}% of "
                f"CPU 1, {other0:.0f}% of CPU 0 beyond the server and the load): "
                "figures unreliable")
    return ""


def busy_percent(before, after):
    """How much of one CPU CPU 0 and CPU 1 together were busy over one second, from their busy
    seconds (CPU 0, CPU 1) at its start and its end."""
    return 100 * (after[0] - before[0] + after[1] - before[1])


def percent(part, whole):
    """PART as a percentage of WHOLE: CPU seconds in a window as % of one CPU."""
    return 100 * part / whole


def load_limit(client_percent):
    """A note when the load generator used LOAD_LIMIT_PERCENT or more of its core: a rate
    measured then is the load's limit, not the server's. "" otherwise."""
    if client_percent >= LOAD_LIMIT_PERCENT:
        return (f"echo-client used {LOAD_LIMIT_PERCENT}% or more of its core: the load's limit, "
                "not the server's")
    return ""


def saturation(server_percent, client_percent):
    """A note naming the side whose core was LOAD_LIMIT_PERCENT or more busy: a rate measured then
    is that side's limit (the UDP rows say it either way; load_limit only for the load). "" when
    neither was."""
    server = server_percent >= LOAD_LIMIT_PERCENT
    if server and client_percent >= LOAD_LIMIT_PERCENT:
        return (f"the server and echo-client both used {LOAD_LIMIT_PERCENT}% or more of their "
                "cores: both at their limit")
    if server:
        return f"the server used {LOAD_LIMIT_PERCENT}% or more of its core: the server's limit"
    return load_limit(client_percent)


def side(server_percent, client_percent):
    """Which side saturated over a window, from the CPU each used (% of its core): "server-bound"
    or "client-bound" when that side used LOAD_LIMIT_PERCENT or more, "both" when both did,
    "neither" when neither did (the rate was then set by something else: latency, the kernel)."""
    server = server_percent >= LOAD_LIMIT_PERCENT
    client = client_percent >= LOAD_LIMIT_PERCENT
    if server and client:
        return "both"
    return "server-bound" if server else "client-bound" if client else "neither"


def side_mark(label):
    """How a rate's cell shows SIDE's LABEL: where the client was a limit the rate is not the
    server's (its server CPU per echo is the figure to compare)."""
    return {"client-bound": "client-bound: not the server's",
            "both": "both: not the server's alone"}.get(label, label)


def losses(sent, lost, duplicated):
    """A note on a UDP run's datagrams lost (of SENT) and duplicated; "" when none were, or when
    echo-client did not say (None)."""
    parts = []
    if lost:
        parts.append(f"{lost:.0f} of {sent:.0f} datagrams lost ({100 * lost / sent:.2f}%)"
                     if sent else f"{lost:.0f} datagrams lost")
    if duplicated:
        parts.append(f"{duplicated:.0f} duplicated")
    return ", ".join(parts)


def per_echo_us(server_cpu_s, msgs_per_s, window_s):
    """Server CPU µs per echo: the CPU it used in the window over the messages in it (the rate
    achieved × the window's length). None when no message was echoed: no rate (None), or one
    whose whole part is 0. With the client's CPU: client CPU µs per message."""
    if msgs_per_s is None or not math.isfinite(msgs_per_s) or int(msgs_per_s) == 0:
        return None
    return 1e6 * server_cpu_s / (msgs_per_s * window_s)


def shortfall(msgs_per_s, rate, rnd, unit=None):
    """A note when an open-loop run achieved less than SUSTAINED_SHARE of its RATE (the text
    bench/run asked for, "80000"); "" when it kept up. RND: the round, for the note; UNIT: what
    is counted per second, msgs/s unless given (datagrams/s)."""
    if msgs_per_s < SUSTAINED_SHARE * float(rate):
        return f"did not sustain {rate} {unit or 'msgs/s'} (round {rnd}: {msgs_per_s:.0f})"
    return ""


def kib_per_connection(before_kib, after_kib, connections):
    """Memory per connection: the growth between two readings over the connections opened."""
    return (after_kib - before_kib) / connections


def steady(previous_kib, current_kib):
    """Whether two memory readings are within 1% of the first: the memory stopped moving."""
    return (current_kib - previous_kib <= 0.01 * previous_kib
            and previous_kib - current_kib <= 0.01 * previous_kib)


# ---------------------------------------------------------------------------------------------
# At the end: the rows, the tables, the page.

MAIN = "Results (ratio = server ÷ epoll_echo, same run)"
CPU = "CPU use during the closed-loop runs (server on CPU 1, echo-client on CPU 0)"
UDP_MAIN = "UDP results (ratio = server ÷ udp_echo, same run)"
UDP_CPU = "CPU use during the UDP closed-loop runs (server on CPU 1, echo-client on CPU 0)"
CLIENT_TABLE = ("The load clients against epoll_echo (ratio = client ÷ load_gen, same run; client on "
                "CPU 0, epoll_echo on CPU 1)")
# The closed-loop rows whose cell is labelled with the side that saturated (see side), from the
# scenario's server and client CPU rows.
LABELLED = {"b_rate", "c_rate", "d_mbps", "e_cps", "u2_rate", "u4_mbps", "l1_rate", "l2_cps"}
SIDE_LEGEND = ("server-bound, client-bound, both, neither: the side that used "
               f"{LOAD_LIMIT_PERCENT}% or more of its core over the measured window. Where the "
               "client was a limit the rate and its ratio are the client's, not the server's: "
               "compare the server CPU µs per echo instead.")
CLIENT_LEGEND = ("server-bound, client-bound, both, neither: the side that used "
                 f"{LOAD_LIMIT_PERCENT}% or more of its core over the measured window. Where "
                 "epoll_echo was a limit the rate is not the client's: compare the client CPU µs "
                 "per message instead.")


def scenario_of(key):
    """The scenario a row's key belongs to: "u1" to "u4" for UDP keys, "l1" and "l2" for the
    clients' rows, else its first letter."""
    return key[:2] if is_udp_key(key) or is_client_key(key) else key[:1]


def is_client_key(key):
    """Whether KEY is a row of the clients' comparison: l1_rate, l2_client_us and the like."""
    return len(key) > 1 and key[0] == "l" and key[1].isdigit()


def is_udp_key(key):
    """Whether KEY is a row of a UDP scenario: u1_p50, u3_100000_cpu and the like."""
    return len(key) > 1 and key[0] == "u" and key[1].isdigit()


def is_udp_server(name):
    """Whether NAME is bench/run's name for a UDP server: udp_echo, or a name ending in _udp.
    A UDP table has only their columns, a TCP table only the others'."""
    return name == UDP_BASELINE or name.endswith("_udp")


def metrics(rounds, churn_loops, idle_connections, cost_rate, fallback_rate, scenarios=None,
            udp_sockets="64", udp_rate="100000", udp_fallback_rate="10000"):
    """The rows of the tables, in order: (key, table, label, target, format, reduce). FORMAT is a
    Python format spec for the figure, REDUCE how rounds become one figure (median or max). The
    arguments are strings, as bench/run's settings, and appear in the labels as given. SCENARIOS
    (a to g, u1 to u4), when given, keeps only their rows (see scenario_of). The labels describe
    the loads bench/run runs (closed_loop, idle_memory, cost, udp_closed_loop, udp_cost): change
    both."""
    b = "(b) 100 conns × 64 B, depth 1"
    c = "(c) 50 conns × 64 B, depth 16"
    d = "(d) 1 conn, 64 KiB messages, depth 4"
    e = f"(e) churn, {churn_loops} loops of connect, 64 B, close"
    rows = [
        ("a_p50", MAIN, "(a) 1 conn × 64 B ping-pong: p50 µs", "≤ 1.05×", "{:.1f}"),
        ("a_p99", MAIN, "(a) 1 conn × 64 B ping-pong: p99 µs", "≤ 1.2×", "{:.1f}"),
        ("b_rate", MAIN, f"{b}: msgs/s", "≥ 1.0×", "{:,.0f}"),
        ("b_server_us", MAIN, f"{b}: server CPU µs per echo", "≤ 1.05×", "{:.2f}"),
        ("b_p99", MAIN, f"{b}: p99 µs", "", "{:.0f}"),
        ("c_rate", MAIN, f"{c}: msgs/s", "", "{:,.0f}"),
        ("c_server_us", MAIN, f"{c}: server CPU µs per echo", "≤ 1.05×", "{:.2f}"),
        # One connection's stream on this VM runs at about 2.8 GB/s (echo-client's core full) or,
        # in some runs, at about 1.3 GB/s, for epoll_echo and ours alike: then the server's core
        # is full at half the rate, its CPU per byte up and its syscalls per byte unchanged. A
        # median of a few rounds is a coin toss, so (d) takes the best of its rounds: what the
        # server can do when the machine lets it.
        ("d_mbps", MAIN, f"{d}: MB/s echoed (best of {rounds})", "≥ 1.0×", "{:,.0f}", "max"),
        ("d_server_us", MAIN, f"{d}: server CPU µs per message", "", "{:.2f}"),
        ("e_cps", MAIN, f"{e}: conns/s", "≥ 1.0×", "{:,.0f}"),
        ("e_server_us", MAIN, f"{e}: server CPU µs per conn", "", "{:.2f}"),
        ("f_kib", MAIN, f"(f) {idle_connections} idle conns: KiB per conn", "≤ 1 KiB", "{:.2f}"),
        (f"g{cost_rate}", MAIN,
         f"(g) 100 conns × 64 B at {cost_rate} msgs/s: server CPU µs per echo", "≤ 1.0×",
         "{:.2f}"),
        (f"g{fallback_rate}", MAIN,
         f"(g) 100 conns × 64 B at {fallback_rate} msgs/s: server CPU µs per echo", "", "{:.2f}"),
    ]
    for s in "abcde":
        rows.append((f"{s}_server_cpu", CPU, f"({s}) server CPU %", "", "{:.0f}"))
        rows.append((f"{s}_client_cpu", CPU, f"({s}) echo-client CPU %", "", "{:.0f}"))
    for s, unit in (("b", "message"), ("c", "message"), ("d", "message"), ("e", "conn")):
        rows.append((f"{s}_client_us", CPU, f"({s}) echo-client CPU µs per {unit}", "",
                     "{:.2f}"))
    n = udp_sockets
    rows += [
        ("u1_p50", UDP_MAIN, "(u1) 1 socket × 64 B ping-pong: p50 µs", "≤ 1.05×", "{:.1f}"),
        ("u1_p99", UDP_MAIN, "(u1) 1 socket × 64 B ping-pong: p99 µs", "", "{:.1f}"),
        ("u2_rate", UDP_MAIN, f"(u2) {n} sockets × 64 B, depth 1: datagrams/s", "≥ 0.9×",
         "{:,.0f}"),
        ("u2_server_us", UDP_MAIN, f"(u2) {n} sockets × 64 B, depth 1: server CPU µs per "
         "datagram", "", "{:.2f}"),
    ]
    for rate, target in ((udp_rate, "≤ 1.10×"), (udp_fallback_rate, "")):
        load = f"(u3) {n} sockets × 64 B at {rate} datagrams/s"
        rows.append((f"u3_{rate}_cpu", UDP_MAIN, f"{load}: server CPU µs per datagram", target,
                     "{:.2f}"))
        rows.append((f"u3_{rate}_loss", UDP_MAIN, f"{load}: % lost", "0" if target else "",
                     "{:.2f}"))
    rows.append(("u4_mbps", UDP_MAIN, f"(u4) {n} sockets × 1400 B, depth 1: MB/s echoed", "",
                 "{:,.0f}"))
    rows.append(("u4_server_us", UDP_MAIN, f"(u4) {n} sockets × 1400 B, depth 1: server CPU µs "
                 "per datagram", "", "{:.2f}"))
    for s in ("u1", "u2", "u4"):
        rows.append((f"{s}_server_cpu", UDP_CPU, f"({s}) server CPU %", "", "{:.0f}"))
        rows.append((f"{s}_client_cpu", UDP_CPU, f"({s}) echo-client CPU %", "", "{:.0f}"))
    for s in ("u2", "u4"):
        rows.append((f"{s}_client_us", UDP_CPU, f"({s}) echo-client CPU µs per datagram", "",
                     "{:.2f}"))
    # (l1) and (l2): b's and e's loads from each client against epoll_echo.
    for s, load, rate, unit in (("l1", b.replace("(b)", "(l1)"), "l1_rate", "message"),
                                ("l2", e.replace("(e)", "(l2)"), "l2_cps", "conn")):
        rows += [
            (rate, CLIENT_TABLE, f"{load}: {'msgs' if s == 'l1' else 'conns'}/s", "", "{:,.0f}"),
            (f"{s}_client_us", CLIENT_TABLE, f"{load}: client CPU µs per {unit}", "≤ 1.0×",
             "{:.2f}"),
            (f"{s}_server_us", CLIENT_TABLE, f"{load}: epoll_echo CPU µs per {unit}", "",
             "{:.2f}"),
            (f"{s}_client_cpu", CLIENT_TABLE, f"({s}) client CPU %", "", "{:.0f}"),
            (f"{s}_server_cpu", CLIENT_TABLE, f"({s}) epoll_echo CPU %", "", "{:.0f}"),
        ]
    rows = [row if len(row) == 6 else row + ("median",) for row in rows]
    if scenarios is not None:
        rows = [row for row in rows if scenario_of(row[0]) in scenarios]
    return rows


def read_tsv(path, columns):
    """The lines of a tab-separated file as lists of exactly COLUMNS fields; empty lines skipped."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cells = line.split("\t")
            cells += [""] * (columns - len(cells))
            rows.append(cells[:columns])
    return rows


def tables(servers, metric_rows, results):
    """The markdown tables of a run.

    SERVERS  [name, label] in column order; the one named epoll_echo is the baseline, udp_echo
             that of the UDP tables (see is_udp_server: a table has its protocol's columns only);
             the clients' table (l1, l2) has CLIENTS' columns instead, load_gen the baseline
    METRICS  [key, table, label, target, format, reduce] in row order (see metrics)
    RESULTS  [key, server, round, value, note]; value may be empty (then note says why). Several
             rounds of one key and server are reduced to one figure (see reduce). Key "*" carries
             a note on the server as a whole (a peer that could not be installed, a warning our
             server logged): those are listed once, after the tables.

    Every cell is "value (ratio)" with ratio = value / the baseline's value for the same row, so
    the targets read the same way for every row: lower is better for times and memory, higher for
    rates (a loss has no ratio). A closed-loop rate (LABELLED) also says which side saturated
    (see side), from the CPU rows of its scenario. Notes become numbered footnotes under the table
    they belong to.
    After the tables, every round of the first table's rows (and the UDP results' rows) that have
    more than one, and the notes on whole servers."""
    reduce = {m[0]: (max if m[5] == "max" else statistics.median) for m in metric_rows}
    values = defaultdict(list)  # (key, server) -> [(round, value)]
    notes = defaultdict(list)  # (key, server) -> [note]
    for key, server, rnd, value, note in results:
        if value:
            values[(key, server)].append((rnd, float(value)))
        if note:
            notes[(key, server)].append(note)

    def figure(key, server):
        """The one figure of KEY for SERVER, its rounds reduced; None when it has none."""
        got = [v for _, v in values.get((key, server), [])]
        return reduce[key](got) if got else None

    def saturated(key, server):
        """Which side saturated for the figure of KEY (see side); None when a CPU row is missing.
        From the CPU of the round that gave the figure, when one round did (a median of an odd
        count, a best); else from the medians of the CPU rows."""
        s = scenario_of(key)
        cpu = [dict(values.get((f"{s}_{who}_cpu", server), [])) for who in ("server", "client")]
        if not cpu[0] or not cpu[1]:
            return None
        value = figure(key, server)
        for rnd, v in values.get((key, server), []):
            if v == value and rnd in cpu[0] and rnd in cpu[1]:
                return side(cpu[0][rnd], cpu[1][rnd])
        return side(statistics.median(cpu[0].values()), statistics.median(cpu[1].values()))

    # A row nobody measured (a scenario that did not run) is left out.
    metric_rows = [m for m in metric_rows if any((m[0], name) in values or (m[0], name) in notes
                                                 for name, _ in servers + CLIENTS)]
    names = []
    for metric in metric_rows:
        if metric[1] not in names:
            names.append(metric[1])

    out = []
    for table in names:
        rows = [m for m in metric_rows if m[1] == table]
        udp = is_udp_key(rows[0][0])
        if is_client_key(rows[0][0]):
            # A client that measured nothing here (echo-client from one source runs in (l2) only).
            columns = [c for c in CLIENTS if any((m[0], c[0]) in values for m in rows)]
            baseline = CLIENT_BASELINE
        else:
            columns = [s for s in servers if is_udp_server(s[0]) == udp]
            baseline = UDP_BASELINE if udp else BASELINE
        out += table_lines(table, rows, columns, figure, notes, baseline, saturated,
                           is_client_key(rows[0][0]))
    rounds_of = names[:1] + [t for t in names[1:] if t in (UDP_MAIN, CLIENT_TABLE)]
    out += rounds_lines(rounds_of, metric_rows, servers + CLIENTS, values)
    out += server_notes_lines(servers, notes)
    return "".join(line + "\n" for line in out)


def has_ratio(key):
    """Whether KEY's cells get a ratio to the baseline: all but a loss, whose baseline is 0 when
    all is well (and a ratio of two small losses says nothing), and echo-client's CPU per
    message against one server or another (the ratio would be the client's, not the servers');
    in the clients' table that ratio is the point."""
    return not key.endswith("_loss") and (is_client_key(key) or not key.endswith("_client_us"))


def table_lines(table, rows, servers, figure, notes, baseline=BASELINE, saturated=None,
                clients=False):
    """One table: a row per metric, a column per server, its footnotes below; ratios against the
    server named BASELINE. SATURATED(key, server): which side saturated for a LABELLED row's
    figure (see side), or None; its label goes in the cell (see side_mark), and SIDE_LEGEND under
    the table. CLIENTS: the columns are the load clients (the labels go in as they are, with
    CLIENT_LEGEND, and the target is echo-client's)."""
    mark = (lambda label: label) if clients else side_mark
    footnotes = []

    def footnote(text):
        """The mark of TEXT's footnote, "[2]", numbered in order of first use."""
        if text not in footnotes:
            footnotes.append(text)
        return f"[{footnotes.index(text) + 1}]"

    has_target = any(m[3] for m in rows)
    header = ["scenario"] + [label for _, label in servers]
    if has_target:
        header.append("target for echo-client" if clients else "target for ours")
    out = [f"### {table}", ""]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" + "---:|" * len(servers) + ("---|" if has_target else ""))
    labelled = False
    for key, _, label, target, fmt, _ in rows:
        base = figure(key, baseline) if has_ratio(key) else None
        cells = [label]
        for name, _ in servers:
            value = figure(key, name)
            cell = "—" if value is None else fmt.format(value)
            bound = saturated(key, name) if saturated and key in LABELLED and value else None
            labelled = labelled or bound is not None
            if value is not None and base:
                cell += f" ({value / base:.2f}×{', ' + mark(bound) if bound else ''})"
            elif bound:
                cell += f" ({mark(bound)})"
            marks = [footnote(n) for n in notes.get((key, name), [])]
            if marks:
                cell += " " + "".join(dict.fromkeys(marks))
            elif value is None and (("*", name) in notes):
                cell += " (see notes)"
            cells.append(cell)
        if has_target:
            cells.append(target)
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for i, text in enumerate(footnotes, 1):
        out.append(f"[{i}] {text}  ")
    if footnotes:
        out.append("")
    if labelled:
        out += [CLIENT_LEGEND if clients else SIDE_LEGEND, ""]
    return out


def rounds_lines(tables_, metric_rows, servers, values):
    """Every round of the rows of TABLES_ that have more than one, a row per metric and server;
    nothing when every row has one round (or there is no table)."""
    rounds = sorted({r for entries in values.values() for r, _ in entries if r not in ("", "1")},
                    key=int)
    if not rounds or not tables_:
        return []
    out = ["### Every round of the rows above that have more than one", ""]
    out.append("| scenario | server | " + " | ".join(f"round {r}" for r in ["1"] + rounds) + " |")
    out.append("|---|---|" + "---:|" * (len(rounds) + 1))
    for key, table_, label, _, fmt, _ in metric_rows:
        if table_ not in tables_:
            continue
        for name, server_label in servers:
            entries = dict(values.get((key, name), []))
            if len(entries) < 2:
                continue
            cells = [fmt.format(entries[r]) if r in entries else "—" for r in ["1"] + rounds]
            out.append(f"| {label} | {server_label} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def server_notes_lines(servers, notes):
    """The notes on whole servers (key "*"), once each, in column order."""
    general = [(label, n) for name, label in servers
               for n in dict.fromkeys(notes.get(("*", name), []))]
    if not general:
        return []
    return ["### Notes", ""] + [f"- {label}: {text}" for label, text in general] + [""]


def minutes(seconds):
    """A duration as bench/run's Command line gives it: "8 min 6 s"."""
    return f"{seconds // 60} min {seconds % 60} s"


def with_chart_markers(tables_md):
    """TABLES_MD with an empty pair of chart markers (bench/plot fills them) before its second
    table, or at its end when it has fewer than two."""
    lines = tables_md.split("\n")
    if lines[-1] == "":
        lines.pop()
    out = []
    seen = 0
    for line in lines:
        if line.startswith("### "):
            seen += 1
            if seen == 2:
                out.append(CHART_MARKERS + "\n")
        out.append(line)
    if seen < 2:
        out.append(CHART_MARKERS)
    return "".join(line + "\n" for line in out)


def latest_run(tables_md, date, machine, command, elapsed_s, duration, warmup, compared, rounds,
               peer_rounds, pin_note, dma_note, versions, udp=False):
    """The generated part of RESULTS.md, markers included: what the run was, then its tables.
    Every argument but TABLES_MD, ELAPSED_S (whole seconds) and UDP (whether UDP scenarios ran)
    is text as bench/run has it."""
    udp_rounds = (f" UDP likewise: the peers' (u3) a median of {peer_rounds}, (u1), (u2) and (u4) "
                  "one run." if udp else "")
    return "".join(line + "\n" for line in [
        BEGIN,
        "## Latest run",
        "",
        f"- Date: {date}",
        f"- Machine: {machine}",
        f"- Command: `{command}` ({minutes(elapsed_s)})",
        f"- Each run: {duration} s measured after {warmup} s of warm-up, against a freshly started "
        f"server. Rounds run in turn across servers. {compared}: medians of {rounds} rounds ((d): "
        f"the best of {rounds}); the peers: (g) a median of {peer_rounds}, (a)-(e) one run; (f): "
        f"one run each.{udp_rounds}",
        f"- {pin_note}",
        f"- {dma_note}",
        f"- Versions: {versions}",
        "",
    ]) + with_chart_markers(tables_md) + END + "\n"


def splice(page, generated):
    """PAGE (RESULTS.md's text, None when there is none) with its generated part replaced by
    GENERATED, whatever was written by hand around the markers kept. A page without the begin
    marker is replaced by a new one."""
    if page is None or BEGIN not in page:
        return ("# Benchmark results\n\n"
                "Written by `bench/run`; the part between the markers is replaced on every run, "
                "notes\noutside them are kept.\n\n" + generated)
    head, rest = page.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    return head + generated.rstrip("\n") + tail


def write_results(path, generated):
    """Splices GENERATED into the file at PATH (see splice), creating it when missing."""
    try:
        with open(path, encoding="utf-8") as f:
            page = f.read()
    except FileNotFoundError:
        page = None
    with open(path, "w", encoding="utf-8") as f:
        f.write(splice(page, generated))


# ---------------------------------------------------------------------------------------------
# Command line: a subcommand per function above, its answer printed the way bench/run reads it.


def cpu_pair(text):
    """cores_busy's output ("CPU0 CPU1 ", busy seconds so far) as a pair of numbers."""
    parts = text.split()
    return float(parts[0]), float(parts[1])


def float_or_none(text):
    """A number, or None for the empty string (echo-client gave none)."""
    return float(text) if text else None


def show_figure(value):
    """A figure as results.tsv keeps it ("%.6f"); nothing when there is none."""
    if value is not None:
        print(fixed(value))


def show_figures(values):
    """Several figures on one line, for `read -r A B C`."""
    print(" ".join(fixed(v) for v in values))


def show_whole(value):
    """A figure without decimals, for bash's integer tests."""
    print(f"{value:.0f}")


def show_note(text):
    """A note; nothing at all when it is empty, so that bench/run can test for -n."""
    if text:
        print(text)


def show_words(words):
    """Words on one line, for `read -r A B C`."""
    print(" ".join(words))


def exit_status(yes):
    """An answer as the exit status: 0 for yes, 1 for no."""
    return 0 if yes else 1


# name: (function, arguments as (name, type[, nargs]), how the answer is shown)
MEASURING = {
    "fields": (fields, [("file", str), ("key", str, "*")], show_words),
    "window": (window, [(n, float) for n in ("t0", "t1", "s0", "s1", "c0", "c1")], show_figures),
    "disturbance": (disturbance, [("window_s", float), ("server_cpu_s", float),
                                  ("client_cpu_s", float), ("before", cpu_pair),
                                  ("after", cpu_pair)], show_note),
    "busy": (busy_percent, [("before", cpu_pair), ("after", cpu_pair)], show_whole),
    "percent": (percent, [("part", float), ("whole", float)], show_figure),
    "load-limit": (load_limit, [("client_percent", float)], show_note),
    "per-echo": (per_echo_us, [("server_cpu_s", float), ("msgs_per_s", float_or_none),
                               ("window_s", float)], show_figure),
    "saturation": (saturation, [("server_percent", float), ("client_percent", float)], show_note),
    "side": (side, [("server_percent", float), ("client_percent", float)], show_note),
    "losses": (losses, [(n, float_or_none) for n in ("sent", "lost", "duplicated")], show_note),
    "shortfall": (shortfall, [("msgs_per_s", float), ("rate", str), ("round", str),
                              ("unit", str, "?")], show_note),
    "per-connection": (kib_per_connection, [("before", float), ("after", float),
                                            ("count", float)], show_figure),
    "steady": (steady, [("previous", float), ("current", float)], exit_status),
}

# write-results's options: the text of each line that describes the run.
RUN_OPTIONS = {
    "date": "when the run ended", "machine": "the CPU and the kernel",
    "command-line": "bench/run's command line", "duration": "seconds measured per run",
    "warmup": "seconds of warm-up per run", "compared": "the servers measured in rounds",
    "rounds": "their rounds", "peer-rounds": "the peers' rounds of (g)",
    "pin-note": "how the CPUs were shared", "dma-note": "what /dev/cpu_dma_latency did",
    "versions": "the servers' and the compiler's versions",
}


def parser():
    """The subcommands and their arguments; each sets `run`, which prints its answer and returns
    the exit status (None: 0)."""
    raw = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(prog="report.py", description=__doc__, formatter_class=raw)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, function):
        return sub.add_parser(name, description=inspect.cleandoc(function.__doc__),
                              formatter_class=raw)

    for name, (function, arguments, show) in MEASURING.items():
        c = command(name, function)
        for argument in arguments:
            nargs = argument[2] if len(argument) > 2 else None
            c.add_argument(argument[0], type=argument[1], nargs=nargs)
        names = [a[0] for a in arguments]
        c.set_defaults(run=lambda a, f=function, names=names, show=show:
                       show(f(*(getattr(a, n) for n in names))))

    c = command("metrics", metrics)
    for option in ("rounds", "churn-loops", "idle-connections", "cost-rate", "fallback-rate"):
        c.add_argument("--" + option, required=True, help="as bench/run has it")
    for option, default in (("udp-sockets", "64"), ("udp-rate", "100000"),
                            ("udp-fallback-rate", "10000")):
        c.add_argument("--" + option, default=default, help=f"as bench/run has it (default {default})")
    c.add_argument("--scenarios", help="the scenarios that ran (a to g, u1 to u4), separated by "
                   "spaces or commas (default: all)")
    c.set_defaults(run=run_metrics)

    c = command("tables", tables)
    for name in ("servers", "metrics", "results"):
        c.add_argument(name)
    c.set_defaults(run=lambda a: print(tables(read_tsv(a.servers, 2), read_tsv(a.metrics, 6),
                                              read_tsv(a.results, 5)), end=""))

    c = command("write-results", latest_run)
    for option, text in RUN_OPTIONS.items():
        c.add_argument("--" + option, required=True, help=text)
    c.add_argument("--elapsed", type=int, required=True, help="whole seconds the run took")
    c.add_argument("--udp", action="store_true", help="UDP scenarios ran")
    c.add_argument("file", help="RESULTS.md, created when missing")
    c.add_argument("tables", help="a file with the output of the tables command")
    c.set_defaults(run=run_write_results)
    return p


def run_metrics(a):
    """The metrics command: the rows as tab-separated lines."""
    scenarios = None if a.scenarios is None else a.scenarios.replace(",", " ").split()
    for row in metrics(a.rounds, a.churn_loops, a.idle_connections, a.cost_rate, a.fallback_rate,
                       scenarios, a.udp_sockets, a.udp_rate, a.udp_fallback_rate):
        print("\t".join(row))


def run_write_results(a):
    """The write-results command: the page written, nothing printed."""
    with open(a.tables, encoding="utf-8") as f:
        tables_md = f.read()
    write_results(a.file, latest_run(tables_md, a.date, a.machine, a.command_line, a.elapsed,
                                     a.duration, a.warmup, a.compared, a.rounds, a.peer_rounds,
                                     a.pin_note, a.dma_note, a.versions, a.udp))


def main(argv=None):
    """Runs one subcommand; a bad number or an unreadable file is one line and exit 1."""
    args = parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except (OSError, ValueError, ZeroDivisionError) as e:
        print(f"report.py {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
