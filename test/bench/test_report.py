#!/usr/bin/env python3
"""test_report.py: bench/report.py, bench/run's arithmetic and page (ctest bench.report).

Two parts. Unit checks: each figure and note bench/run records, against values worked out by
hand. And the end of a run through report.py's command line, as bench/run calls it, on the
fixtures in test/bench/report/:

    CASE.tsv           a results.tsv as bench/run saves it: @date, @machine, @command, @server and
                       @metric lines, then the measurements
    CASE.args          the settings of bench/run that results.tsv does not keep (key TAB value)
    page.md            a RESULTS.md with text by hand around a stale generated part
    CASE.expected.md   what bench/run wrote onto page.md; CASE.new.md: what it wrote with no
                       RESULTS.md

The .tsv and .md files were written by bench/run and report.py as they were before the
arithmetic moved into report.py (commit e5bf193), so the test holds the page to that, byte for
byte. Cases: real (the full run behind bench/RESULTS.md), edge (every kind of cell and note: a
missing value, a server that never started, a zero baseline, a fallback rate, shared
footnotes), quick (a --quick run of one scenario: one table, the chart markers at its end).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "report")
REPORT = os.path.join(HERE, "..", "..", "bench", "report.py")
sys.path.insert(0, os.path.dirname(REPORT))
import report  # noqa: E402  (bench/ is not a package)


def run_report(*args, check=True):
    """report.py ARGS... as bench/run runs it (LC_ALL=C); its completed process."""
    env = dict(os.environ, LC_ALL="C")
    return subprocess.run([sys.executable, REPORT, *args], env=env, check=check,
                          capture_output=True, text=True, encoding="utf-8")


class Figures(unittest.TestCase):
    """What one run's readings become."""

    def test_figures_are_recorded_with_six_decimals_as_awk_printed_them(self):
        self.assertEqual(report.fixed(1 / 3), "0.333333")
        self.assertEqual(report.fixed(4.5), "4.500000")
        self.assertEqual(report.fixed(-4e-7), "-0.000000")

    def test_window_is_the_differences_of_the_readings_at_its_edges(self):
        got = report.window(1764000000.25, 1764000003.85, 100.5, 102.3, 50.0, 53.4)
        self.assertEqual([report.fixed(x) for x in got], ["3.600000", "1.800000", "3.400000"])

    def test_percent_of_one_cpu(self):
        self.assertEqual(report.percent(1.8, 3.6), 50.0)
        self.assertEqual(report.fixed(report.percent(1, 3)), "33.333333")

    def test_load_limit_from_90_percent_of_the_clients_core(self):
        self.assertEqual(report.load_limit(90.0),
                         "echo-client used 90% or more of its core: the load's limit, not the server's")
        self.assertEqual(report.load_limit(89.999999), "")

    def test_cpu_per_echo_is_cpu_over_the_messages_in_the_window(self):
        # 0.5 s of server CPU for 80,000 msgs/s over 4 s: 0.5e6 µs / 320,000 echoes.
        self.assertAlmostEqual(report.per_echo_us(0.5, 80000.0, 4.0), 1.5625)
        self.assertAlmostEqual(report.per_echo_us(0.5, 1.0, 4.0), 125000.0)

    def test_no_cpu_per_echo_when_nothing_was_echoed(self):
        for msgs in (None, 0.0, 0.99, float("nan")):
            self.assertIsNone(report.per_echo_us(0.5, msgs, 4.0), msgs)

    def test_shortfall_below_97_percent_of_the_rate(self):
        self.assertEqual(report.shortfall(77599.6, "80000", "2"),
                         "did not sustain 80000 msgs/s (round 2: 77600)")
        self.assertEqual(report.shortfall(77600.0, "80000", "2"), "")

    def test_shortfall_names_its_unit_when_given(self):
        self.assertEqual(report.shortfall(9000.4, "10000", "1", "datagrams/s"),
                         "did not sustain 10000 datagrams/s (round 1: 9000)")
        self.assertEqual(report.shortfall(97000.0, "100000", "1", "datagrams/s"), "")

    def test_saturation_names_the_side_whose_core_was_full(self):
        self.assertEqual(report.saturation(89.9, 89.9), "")
        self.assertEqual(report.saturation(90.0, 50.0),
                         "the server used 90% or more of its core: the server's limit")
        self.assertEqual(report.saturation(50.0, 95.0), report.load_limit(95.0))
        self.assertEqual(report.saturation(99.0, 90.0),
                         "the server and echo-client both used 90% or more of their cores: "
                         "both at their limit")

    def test_side_that_saturated_from_90_percent_of_a_core(self):
        readings = {(89.9, 89.9): "neither", (90.0, 50.0): "server-bound", (99.5, 89.99): "server-bound",
                    (60.0, 90.0): "client-bound", (12.0, 99.9): "client-bound", (90.0, 90.0): "both",
                    (100.0, 97.0): "both", (0.0, 0.0): "neither"}
        for (server, client), label in readings.items():
            self.assertEqual(report.side(server, client), label, (server, client))

    def test_a_side_where_the_client_was_a_limit_says_the_rate_is_not_the_servers(self):
        self.assertEqual([report.side_mark(x) for x in ("server-bound", "client-bound", "both", "neither")],
                         ["server-bound", "client-bound: not the server's", "both: not the server's alone",
                          "neither"])

    def test_client_cpu_per_message_is_its_cpu_over_the_messages_in_the_window(self):
        # (b) on a 3.6 s window: 213,025 msgs/s, the server 3.42 s of CPU (95%), echo-client 3.564 s (99%).
        self.assertAlmostEqual(report.per_echo_us(3.42, 213025.0, 3.6), 4.45957, places=5)
        self.assertAlmostEqual(report.per_echo_us(3.564, 213025.0, 3.6), 4.64734, places=5)
        self.assertEqual(report.side(report.percent(3.42, 3.6), report.percent(3.564, 3.6)), "both")

    def test_losses_of_a_udp_run(self):
        self.assertEqual(report.losses(2000.0, 5.0, 0.0), "5 of 2000 datagrams lost (0.25%)")
        self.assertEqual(report.losses(2000.0, 0.0, 3.0), "3 duplicated")
        self.assertEqual(report.losses(2000.0, 1.0, 1.0), "1 of 2000 datagrams lost (0.05%), 1 duplicated")
        self.assertEqual(report.losses(0.0, 4.0, 0.0), "4 datagrams lost")
        self.assertEqual(report.losses(2000.0, 0.0, 0.0), "")
        self.assertEqual(report.losses(None, None, None), "")  # echo-client said nothing (TCP)

    def test_udp_keys_and_servers(self):
        self.assertEqual([report.scenario_of(k) for k in ("a_p50", "g80000", "u1_p50", "u3_100000_cpu")],
                         ["a", "g", "u1", "u3"])
        self.assertEqual([report.is_udp_server(n) for n in ("ours", "epoll_echo", "go", "udp_echo",
                                                            "ours_udp", "go_udp")],
                         [False, False, False, True, True, True])

    def test_kib_per_connection_is_the_growth_over_the_connections(self):
        self.assertAlmostEqual(report.kib_per_connection(9000, 18123, 10000), 0.9123)
        self.assertEqual(report.fixed(report.kib_per_connection(9000, 9000, 10000)), "0.000000")

    def test_memory_is_steady_within_one_percent_either_way(self):
        self.assertTrue(report.steady(9000, 9090))
        self.assertFalse(report.steady(9000, 9091))
        self.assertTrue(report.steady(9000, 8910))
        self.assertFalse(report.steady(9000, 8909))

    def test_disturbance_beyond_5_percent_of_cpu_1_or_10_percent_of_cpu_0(self):
        # A 4 s window, the server used 2 s of CPU 1 and the client 3 s of CPU 0.
        quiet = report.disturbance(4.0, 2.0, 3.0, (100.0, 200.0), (103.2, 202.1))  # 5% / 2.5%
        self.assertEqual(quiet, "")
        self.assertEqual(report.disturbance(4.0, 2.0, 3.0, (100.0, 200.0), (103.2, 202.4)),
                         "other processes were busy on the test CPUs during this run (10% of CPU 1, "
                         "5% of CPU 0 beyond the server and the load): figures unreliable")
        self.assertIn("(2% of CPU 1, 12% of CPU 0",
                      report.disturbance(4.0, 2.0, 3.0, (100.0, 200.0), (103.48, 202.08)))

    def test_busy_percent_adds_both_cpus(self):
        self.assertEqual(f"{report.busy_percent((10.0, 20.0), (10.05, 20.02)):.0f}", "7")

    def test_minutes(self):
        self.assertEqual(report.minutes(486), "8 min 6 s")
        self.assertEqual(report.minutes(59), "0 min 59 s")


SERVERS = [["ours", "echo-server (ours)"], ["epoll_echo", "epoll_echo (C)"], ["node", "Node.js net"]]


def one_table(rows, results, servers=SERVERS):
    """The tables of RESULTS (lists of 5 strings) for metric ROWS of one table."""
    return report.tables(servers, [[k, "T", k + " label", "", fmt, reduce] for k, fmt, reduce in rows],
                         [r.split(",") for r in results])


class Tables(unittest.TestCase):
    """Rounds, medians, ratios and footnotes."""

    def test_median_of_odd_and_even_rounds_and_ratio_to_epoll_echo(self):
        md = one_table([("a_p50", "{:.1f}", "median")],
                       ["a_p50,ours,1,10.0,", "a_p50,ours,2,14.0,", "a_p50,ours,3,12.0,",
                        "a_p50,epoll_echo,1,9.0,", "a_p50,epoll_echo,2,11.0,"])
        self.assertIn("| a_p50 label | 12.0 (1.20×) | 10.0 (1.00×) | — |", md)

    def test_max_takes_the_best_round(self):
        md = one_table([("d_mbps", "{:,.0f}", "max")],
                       ["d_mbps,ours,1,2869.2,", "d_mbps,ours,2,1200.0,", "d_mbps,epoll_echo,1,2800.0,"])
        self.assertIn("| d_mbps label | 2,869 (1.02×) | 2,800 (1.00×) | — |", md)

    def test_no_ratio_against_a_zero_baseline(self):
        md = one_table([("f_kib", "{:.2f}", "median")], ["f_kib,ours,1,0.912,", "f_kib,epoll_echo,1,0.0,"])
        self.assertIn("| f_kib label | 0.91 | 0.00 | — |", md)

    def test_notes_become_shared_footnotes_and_server_notes_are_listed_once(self):
        md = one_table([("b_rate", "{:,.0f}", "median")],
                       ["b_rate,ours,1,1000.0,limit", "b_rate,epoll_echo,1,,limit",
                        "*,node,,,failed to start", "*,node,,,failed to start"])
        self.assertIn("| b_rate label | 1,000 [1] | — [1] | — (see notes) |", md)
        self.assertIn("[1] limit  \n", md)
        self.assertEqual(md.count("- Node.js net: failed to start"), 1)

    def test_rounds_are_ordered_as_numbers(self):
        md = one_table([("a_p50", "{:.1f}", "median")],
                       ["a_p50,ours,10,3.0,", "a_p50,ours,2,2.0,", "a_p50,ours,1,1.0,"])
        self.assertIn("| scenario | server | round 1 | round 2 | round 10 |", md)
        self.assertIn("| a_p50 label | echo-server (ours) | 1.0 | 2.0 | 3.0 |", md)

    def test_a_row_nobody_measured_is_left_out(self):
        md = one_table([("a_p50", "{:.1f}", "median"), ("c_rate", "{:,.0f}", "median")],
                       ["a_p50,ours,1,1.0,"])
        self.assertNotIn("c_rate", md)

    def test_closed_loop_rates_say_which_side_saturated(self):
        rows = [r for r in report.metrics("1", "32", "10000", "80000", "20000", scenarios=["b", "c", "e"])]
        results = ["b_rate,ours,1,200000.0,", "b_server_cpu,ours,1,95.0,", "b_client_cpu,ours,1,60.0,",
                   "b_server_us,ours,1,4.75,", "b_client_us,ours,1,3.0,",
                   "b_rate,epoll_echo,1,250000.0,", "b_server_cpu,epoll_echo,1,80.0,",
                   "b_client_cpu,epoll_echo,1,99.0,", "b_server_us,epoll_echo,1,3.2,",
                   "b_client_us,epoll_echo,1,3.96,",
                   "c_rate,ours,1,100.0,", "c_server_cpu,ours,1,95.0,", "c_client_cpu,ours,1,92.0,",
                   "c_rate,epoll_echo,1,100.0,", "c_server_cpu,epoll_echo,1,10.0,",
                   "c_client_cpu,epoll_echo,1,10.0,",
                   "e_cps,ours,1,14000.0,"]  # no CPU rows: no label
        md = report.tables(SERVERS[:2], rows, [r.split(",") for r in results])
        self.assertIn("| (b) 100 conns × 64 B, depth 1: msgs/s | 200,000 (0.80×, server-bound) | "
                      "250,000 (1.00×, client-bound: not the server's) | ≥ 1.0× |", md)
        # The comparable figure when the client was the limit, with its ratio and target.
        self.assertIn("| (b) 100 conns × 64 B, depth 1: server CPU µs per echo | 4.75 (1.48×) | 3.20 (1.00×) "
                      "| ≤ 1.05× |", md)
        self.assertIn("| (c) 50 conns × 64 B, depth 16: msgs/s | 100 (1.00×, both: not the server's alone) | "
                      "100 (1.00×, neither) |  |", md)
        self.assertIn("| (e) churn, 32 loops of connect, 64 B, close: conns/s | 14,000 | — | ≥ 1.0× |", md)
        # echo-client's CPU per message against one server or another: no ratio.
        self.assertIn("| (b) echo-client CPU µs per message | 3.00 | 3.96 |", md)
        self.assertIn(report.SIDE_LEGEND, md)
        self.assertEqual(md.count(report.SIDE_LEGEND), 1)

    def test_the_round_that_gave_the_figure_says_which_side_saturated(self):
        rows = [["b_rate", "T", "b", "", "{:,.0f}", "median"], ["b_server_cpu", "T", "s", "", "{:.0f}", "median"],
                ["b_client_cpu", "T", "c", "", "{:.0f}", "median"], ["d_mbps", "T", "d", "", "{:,.0f}", "max"],
                ["d_server_cpu", "T", "ds", "", "{:.0f}", "median"],
                ["d_client_cpu", "T", "dc", "", "{:.0f}", "median"]]
        # The median rate is round 2's, when the server's core was full; the median CPU rows
        # alone would say the client's was (91%) and the server's not (85%).
        results = ["b_rate,ours,1,90.0,", "b_rate,ours,2,100.0,", "b_rate,ours,3,110.0,",
                   "b_server_cpu,ours,1,85.0,", "b_server_cpu,ours,2,95.0,", "b_server_cpu,ours,3,80.0,",
                   "b_client_cpu,ours,1,91.0,", "b_client_cpu,ours,2,50.0,", "b_client_cpu,ours,3,99.0,",
                   # Two rounds: the median rate is no round's; then the medians of the CPU.
                   "b_rate,epoll_echo,1,100.0,", "b_rate,epoll_echo,2,120.0,",
                   "b_server_cpu,epoll_echo,1,80.0,", "b_server_cpu,epoll_echo,2,100.0,",
                   "b_client_cpu,epoll_echo,1,99.0,", "b_client_cpu,epoll_echo,2,99.0,",
                   # (d) takes the best round: round 1 here, client-bound.
                   "d_mbps,ours,1,3000.0,", "d_mbps,ours,2,1300.0,",
                   "d_server_cpu,ours,1,50.0,", "d_server_cpu,ours,2,99.0,",
                   "d_client_cpu,ours,1,99.0,", "d_client_cpu,ours,2,40.0,"]
        md = report.tables(SERVERS[:2], rows, [r.split(",") for r in results])
        self.assertIn("| b | 100 (0.91×, server-bound) | 110 (1.00×, both: not the server's alone) |", md)
        self.assertIn("| d | 3,000 (client-bound: not the server's) | — |", md)

    def test_the_clients_table_compares_echo_client_with_load_gen(self):
        rows = report.metrics("1", "32", "10000", "80000", "20000", scenarios=["l1", "l2"])
        self.assertEqual([r[0] for r in rows], ["l1_rate", "l1_client_us", "l1_server_us", "l1_client_cpu",
                                                "l1_server_cpu", "l2_cps", "l2_client_us", "l2_server_us",
                                                "l2_client_cpu", "l2_server_cpu"])
        self.assertEqual(report.metrics("1", "32", "10000", "80000", "20000", scenarios=list("abcdefg")),
                         [r for r in report.metrics("1", "32", "10000", "80000", "20000")
                          if not report.is_client_key(r[0]) and not report.is_udp_key(r[0])])
        results = ["l1_rate,echo_client,1,200000.0,", "l1_client_cpu,echo_client,1,99.0,",
                   "l1_server_cpu,echo_client,1,70.0,", "l1_client_us,echo_client,1,4.95,",
                   "l1_server_us,echo_client,1,3.5,",
                   "l1_rate,load_gen,1,400000.0,", "l1_client_cpu,load_gen,1,80.0,",
                   "l1_server_cpu,load_gen,1,99.0,", "l1_client_us,load_gen,1,2.0,",
                   "l1_server_us,load_gen,1,2.475,",
                   "l2_cps,echo_client,1,14000.0,", "l2_cps,load_gen,1,19800.0,",
                   "b_rate,ours,1,1.0,"]
        rows = report.metrics("1", "32", "10000", "80000", "20000", scenarios=["b", "l1", "l2"])
        md = report.tables(SERVERS[:2], rows, [r.split(",") for r in results])
        table = md.split("### " + report.CLIENT_TABLE)[1]
        self.assertIn("| scenario | echo-client | load_gen (C) | target for echo-client |", table)
        # Here the client is what is measured: the labels go in as they are.
        self.assertIn("| (l1) 100 conns × 64 B, depth 1: msgs/s | 200,000 (0.50×, client-bound) "
                      "| 400,000 (1.00×, server-bound) |  |", table)
        self.assertIn(report.CLIENT_LEGEND, table)
        self.assertNotIn(report.SIDE_LEGEND, table)
        self.assertIn("| (l1) 100 conns × 64 B, depth 1: client CPU µs per message | 4.95 (2.48×) | 2.00 (1.00×) "
                      "| ≤ 1.0× |", table)
        self.assertIn("| (l2) churn, 32 loops of connect, 64 B, close: conns/s | 14,000 (0.71×) | 19,800 (1.00×) |",
                      table)
        self.assertNotIn("echo-client", md.split("### " + report.CLIENT_TABLE)[0].split("| scenario |")[1]
                         .split("\n")[0])
        # echo-client from one source, in (l2) only: a column once it has measured something.
        results.append("l2_cps,echo_client_1src,1,14100.0,")
        md = report.tables(SERVERS[:2], rows, [r.split(",") for r in results])
        table = md.split("### " + report.CLIENT_TABLE)[1]
        self.assertIn("| scenario | echo-client | load_gen (C) | echo-client, one source (l2 only) "
                      "| target for echo-client |", table)
        self.assertIn("| (l2) churn, 32 loops of connect, 64 B, close: conns/s | 14,000 (0.71×) "
                      "| 19,800 (1.00×) | 14,100 (0.71×) |", table)

    def test_metrics_carry_the_settings_and_keep_the_scenarios_that_ran(self):
        rows = report.metrics("5", "32", "10000", "80000", "20000", scenarios=["g"])
        self.assertEqual([r[0] for r in rows], ["g80000", "g20000"])
        every = report.metrics("5", "32", "10000", "80000", "20000", scenarios=list("abcdefg"))
        self.assertEqual(len(every), 28)
        self.assertIn("(d) 1 conn, 64 KiB messages, depth 4: MB/s echoed (best of 5)", [r[2] for r in every])
        self.assertEqual({r[5] for r in every if r[0] != "d_mbps"}, {"median"})

    def test_udp_metrics_carry_their_settings_and_are_in_the_full_run(self):
        rows = report.metrics("5", "32", "10000", "80000", "20000", scenarios=["u3"], udp_sockets="64",
                              udp_rate="100000", udp_fallback_rate="10000")
        self.assertEqual([r[0] for r in rows], ["u3_100000_cpu", "u3_100000_loss", "u3_10000_cpu",
                                                "u3_10000_loss"])
        self.assertEqual(rows[0][1:5], (report.UDP_MAIN, "(u3) 64 sockets × 64 B at 100000 datagrams/s: "
                                        "server CPU µs per datagram", "≤ 1.10×", "{:.2f}"))
        self.assertEqual(rows[1][2:4], ("(u3) 64 sockets × 64 B at 100000 datagrams/s: % lost", "0"))
        every = report.metrics("5", "32", "10000", "80000", "20000")
        udp = [r for r in every if r[1] in (report.UDP_MAIN, report.UDP_CPU)]
        self.assertEqual([r[0] for r in udp],
                         ["u1_p50", "u1_p99", "u2_rate", "u2_server_us", "u3_100000_cpu", "u3_100000_loss",
                          "u3_10000_cpu", "u3_10000_loss", "u4_mbps", "u4_server_us", "u1_server_cpu",
                          "u1_client_cpu", "u2_server_cpu", "u2_client_cpu", "u4_server_cpu", "u4_client_cpu",
                          "u2_client_us", "u4_client_us"])
        self.assertEqual(len(every), 56)
        self.assertEqual([r[3] for r in udp[:3]], ["≤ 1.05×", "", "≥ 0.9×"])

    def test_udp_tables_have_udp_columns_and_ratios_to_udp_echo(self):
        servers = [["ours", "ours TCP"], ["epoll_echo", "epoll"], ["go", "Go TCP"], ["ours_udp", "ours UDP"],
                   ["udp_echo", "udp"], ["go_udp", "Go UDP"]]
        rows = [r for r in report.metrics("3", "32", "10000", "80000", "20000", scenarios=["a", "u1", "u3"],
                                          udp_rate="100000", udp_fallback_rate="10000")]
        results = ["a_p50,ours,1,10.0,", "a_p50,epoll_echo,1,8.0,", "a_p50,go,1,12.0,",
                   "u1_p50,ours_udp,1,22.0,", "u1_p50,ours_udp,2,21.0,", "u1_p50,ours_udp,3,23.0,",
                   "u1_p50,udp_echo,1,20.0,", "u1_p50,udp_echo,2,20.0,", "u1_p50,udp_echo,3,21.0,",
                   "u1_p50,go_udp,1,30.0,",
                   "u3_100000_cpu,ours_udp,1,3.3,", "u3_100000_cpu,udp_echo,1,3.0,",
                   "u3_100000_loss,ours_udp,1,0.5,", "u3_100000_loss,udp_echo,1,0.25,",
                   "u3_100000_cpu,go_udp,1,6.0,did not sustain", "u3_100000_loss,go_udp,1,40.0,",
                   "*,go_udp,,,echoes no empty datagram"]
        md = report.tables(servers, rows, [r.split(",") for r in results])
        tcp, udp = md.split("### UDP results")[0], "### UDP results" + md.split("### UDP results")[1]
        self.assertIn("| scenario | ours TCP | epoll | Go TCP | target for ours |", tcp)
        self.assertIn("| (a) 1 conn × 64 B ping-pong: p50 µs | 10.0 (1.25×) | 8.0 (1.00×) | 12.0 (1.50×) | ≤ 1.05× |",
                      tcp)
        self.assertIn("### UDP results (ratio = server ÷ udp_echo, same run)\n\n"
                      "| scenario | ours UDP | udp | Go UDP | target for ours |", udp)
        self.assertIn("| (u1) 1 socket × 64 B ping-pong: p50 µs | 22.0 (1.10×) | 20.0 (1.00×) | 30.0 (1.50×) "
                      "| ≤ 1.05× |", udp)
        self.assertIn("| (u3) 64 sockets × 64 B at 100000 datagrams/s: server CPU µs per datagram | "
                      "3.30 (1.10×) | 3.00 (1.00×) | 6.00 (2.00×) [1] | ≤ 1.10× |", udp)
        # A loss gets no ratio: 0.50% against 0.25% is not "twice as bad" in any useful sense.
        self.assertIn("| (u3) 64 sockets × 64 B at 100000 datagrams/s: % lost | 0.50 | 0.25 | 40.00 | 0 |", udp)
        self.assertNotIn("10000 datagrams/s", udp)  # the fallback did not run
        # The rounds of the UDP results are listed with those of the first table.
        self.assertIn("| (u1) 1 socket × 64 B ping-pong: p50 µs | ours UDP | 22.0 | 21.0 | 23.0 |", md)
        self.assertIn("- Go UDP: echoes no empty datagram", md)


class Page(unittest.TestCase):
    """The generated part and its place in RESULTS.md."""

    def test_chart_markers_go_before_the_second_table_or_at_the_end(self):
        markers = report.CHART_MARKERS
        self.assertEqual(report.with_chart_markers("### A\n\nx\n\n### B\n\ny\n"),
                         f"### A\n\nx\n\n{markers}\n\n### B\n\ny\n")
        self.assertEqual(report.with_chart_markers("### A\n\nx\n\n"), f"### A\n\nx\n\n{markers}\n")
        self.assertEqual(report.with_chart_markers(""), f"{markers}\n")

    def test_a_run_with_udp_says_how_its_rounds_were_taken(self):
        args = ["T", "d", "m", "c", 60, "2", "0.5", "ours_udp udp_echo", "3", "1", "pin", "dma", "v"]
        self.assertNotIn("UDP", report.latest_run(*args))
        self.assertIn("(f): one run each. UDP likewise: the peers' (u3) a median of 1, (u1), (u2) and (u4) "
                      "one run.\n", report.latest_run(*args, udp=True))

    def test_splice_keeps_what_is_around_the_markers(self):
        page = f"head\n{report.BEGIN}\nold\n{report.END}\ntail\n"
        new = f"{report.BEGIN}\nnew\n{report.END}\n"
        self.assertEqual(report.splice(page, new), f"head\n{report.BEGIN}\nnew\n{report.END}\ntail\n")

    def test_splice_without_an_end_marker_drops_the_rest(self):
        page = f"head\n{report.BEGIN}\nold\ntail\n"
        new = f"{report.BEGIN}\nnew\n{report.END}\n"
        self.assertEqual(report.splice(page, new), f"head\n{report.BEGIN}\nnew\n{report.END}")

    def test_a_page_without_markers_or_no_page_gets_a_new_one(self):
        new = f"{report.BEGIN}\nnew\n{report.END}\n"
        for page in (None, "by hand\n"):
            got = report.splice(page, new)
            self.assertTrue(got.startswith("# Benchmark results\n\nWritten by `bench/run`"), got)
            self.assertTrue(got.endswith("\n\n" + new), got)


def read_case(name):
    """A fixture: (settings, description, servers, metrics, measurements), lists of fields."""
    settings = {}
    with open(os.path.join(FIXTURES, name + ".args"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                key, value = line.rstrip("\n").split("\t", 1)
                settings[key] = value
    described, servers, metrics, measured = {}, [], [], []
    with open(os.path.join(FIXTURES, name + ".tsv"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                continue
            if fields[0] == "@server":
                servers.append(fields[1:])
            elif fields[0] == "@metric":
                metrics.append(fields[1:])
            elif fields[0].startswith("@"):
                described[fields[0][1:]] = fields[1]
            else:
                measured.append(fields)
    return settings, described, servers, metrics, measured


class EndOfRun(unittest.TestCase):
    """bench/run's last steps (metrics, tables, write-results) on each fixture, compared with what
    bench/run wrote before report.py took them over."""

    def setUp(self):
        self.work = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.work)

    def write(self, name, rows):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8") as f:
            f.writelines("\t".join(row) + "\n" for row in rows)
        return path

    def check_case(self, name):
        settings, described, servers, metrics, measured = read_case(name)
        got = run_report("metrics", f"--rounds={settings['rounds']}",
                         f"--churn-loops={settings['churn_loops']}",
                         f"--idle-connections={settings['idle_connections']}",
                         f"--cost-rate={settings['cost_rate']}",
                         f"--fallback-rate={settings['fallback_rate']}",
                         f"--scenarios={settings['scenarios']}").stdout
        self.assertEqual(got, "".join("\t".join(m) + "\n" for m in metrics), "metrics")
        tables = run_report("tables", self.write("servers.tsv", servers),
                            self.write("metrics.tsv", metrics), self.write("results.tsv", measured)).stdout
        tables_path = os.path.join(self.work, "tables.md")
        with open(tables_path, "w", encoding="utf-8") as f:
            f.write(tables)
        for expected, start in ((".expected.md", os.path.join(FIXTURES, "page.md")), (".new.md", None)):
            page = os.path.join(self.work, "RESULTS" + expected)
            if start:
                shutil.copy(start, page)
            run_report("write-results", f"--date={described['date']}", f"--machine={described['machine']}",
                       f"--command-line={described['command']}", f"--elapsed={settings['elapsed']}",
                       f"--duration={settings['duration']}", f"--warmup={settings['warmup']}",
                       f"--compared={settings['compared']}", f"--rounds={settings['rounds']}",
                       f"--peer-rounds={settings['peer_cost_rounds']}", f"--pin-note={settings['pin_note']}",
                       f"--dma-note={settings['dma_note']}", f"--versions={settings['versions']}",
                       page, tables_path)
            with open(page, encoding="utf-8") as f, \
                    open(os.path.join(FIXTURES, name + expected), encoding="utf-8") as g:
                self.assertEqual(f.read(), g.read(), name + expected)

    def test_real_run(self):
        self.check_case("real")

    def test_edge_cases(self):
        self.check_case("edge")

    def test_quick_run_of_one_scenario(self):
        self.check_case("quick")


class CommandLine(unittest.TestCase):
    """The answers bench/run reads: a figure, a note or nothing, an exit status."""

    def test_figures_and_notes_on_stdout(self):
        self.assertEqual(run_report("window", "10.5", "14.1", "1", "2.8", "3", "6.4").stdout,
                         "3.600000 1.800000 3.400000\n")
        self.assertEqual(run_report("percent", "1.8", "3.6").stdout, "50.000000\n")
        self.assertEqual(run_report("per-echo", "0.5", "80000.0", "4").stdout, "1.562500\n")
        self.assertEqual(run_report("per-echo", "0.5", "", "4").stdout, "")
        self.assertEqual(run_report("per-connection", "9000", "18123", "10000").stdout, "0.912300\n")
        self.assertEqual(run_report("load-limit", "89.5").stdout, "")
        self.assertEqual(run_report("shortfall", "70000.4", "80000", "3").stdout,
                         "did not sustain 80000 msgs/s (round 3: 70000)\n")
        self.assertEqual(run_report("busy", "10.00 20.00 ", "10.05 20.02 ").stdout, "7\n")
        self.assertEqual(run_report("disturbance", "4", "2", "3", "100.00 200.00 ", "103.20 202.10 ").stdout, "")
        self.assertEqual(run_report("shortfall", "70000.4", "100000", "3", "datagrams/s").stdout,
                         "did not sustain 100000 datagrams/s (round 3: 70000)\n")
        self.assertEqual(run_report("saturation", "95", "20").stdout,
                         "the server used 90% or more of its core: the server's limit\n")
        self.assertEqual(run_report("saturation", "50", "20").stdout, "")
        self.assertEqual(run_report("side", "95", "20").stdout, "server-bound\n")
        self.assertEqual(run_report("side", "40", "92.5").stdout, "client-bound\n")
        self.assertEqual(run_report("side", "90", "90").stdout, "both\n")
        self.assertEqual(run_report("side", "10", "20").stdout, "neither\n")
        self.assertEqual(run_report("losses", "1000", "10", "0").stdout, "10 of 1000 datagrams lost (1.00%)\n")
        self.assertEqual(run_report("losses", "", "", "").stdout, "")

    def test_steady_answers_with_the_exit_status(self):
        self.assertEqual(run_report("steady", "9000", "9090", check=False).returncode, 0)
        self.assertEqual(run_report("steady", "9000", "9091", check=False).returncode, 1)

    def test_fields_of_the_json(self):
        path = os.path.join(tempfile.mkdtemp(), "load.json")
        try:
            with open(path, "w") as f:
                f.write('{"msgs_per_s": 80012.5, "errors": 0}')
            self.assertEqual(run_report("fields", path, "msgs_per_s", "errors", "p50_us").stdout,
                             "80012.5 0 \n")
        finally:
            shutil.rmtree(os.path.dirname(path))

    def test_a_bad_reading_is_one_line_and_a_failure(self):
        done = run_report("percent", "1", "0", check=False)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr, "report.py percent: float division by zero\n")


if __name__ == "__main__":
    unittest.main()
