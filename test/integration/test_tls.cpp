// The server over TLS (--tls-cert, --tls-key, --tls-client-ca), driven by real TLS clients:
// `openssl s_client` and socat's OPENSSL address, with throwaway certificates (support/tls_files).
// At the end of its input socat sends a close_notify, which the server takes as EOF: it answers
// everything and closes with its own.

#include "support/conversation.hpp"
#include "support/echo_client.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"
#include "support/tls_files.hpp"

#include <sys/resource.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace echo::test;
using std::chrono::seconds;

namespace {

std::vector<std::string> tls_args(std::vector<std::string> more = {}) {
  const tls_files& files = tls_files::get();
  std::vector<std::string> args = {"--tls-cert", files.path("server.pem"), "--tls-key",
                                   files.path("server.key")};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// openssl s_client, verifying the server against `ca`; `extra`: a client certificate, say.
// s_client ends the connection as soon as its stdin ends, replies or not, so stdin stays open
// until `expected` has come back (or the deadline); with nothing expected, until it exits.
run_result s_client(const running_server& server, std::string_view input, std::string_view expected,
                    const std::string& ca = "ca.pem", std::vector<std::string> extra = {}) {
  const tls_files& files = tls_files::get();
  std::vector<std::string> argv = {"openssl",
                                   "s_client",
                                   "-quiet",
                                   "-no_ign_eof",
                                   "-verify_return_error",
                                   "-connect",
                                   "127.0.0.1:" + std::to_string(server.port()),
                                   "-CAfile",
                                   files.path(ca)};
  for (const auto& e : extra) argv.push_back(e);
  process client(argv, {true, true, true});
  const deadline d = deadline::after_default();
  client.write_stdin(input, d);
  if (expected.empty()) {
    client.read_stdout_until_eof(d);
  } else {
    client.read_stdout_until(expected, d);
  }
  client.close_stdin();
  client.read_stdout_until_eof(d);
  return {client.wait_exit(d), client.stdout_text(), client.stderr_text()};
}

// socat with TLS, verifying the server: it sends all of stdin, a close_notify, and prints all it
// gets until the server's close_notify.
run_result socat_tls(const running_server& server, std::string_view input,
                     deadline d = deadline::after_default()) {
  const tls_files& files = tls_files::get();
  return run_to_exit({"socat", "-t", "10", "-",
                      "OPENSSL:127.0.0.1:" + std::to_string(server.port()) +
                          ",cafile=" + files.path("ca.pem") + ",commonname=localhost"},
                     input, d);
}

}  // namespace

TEST_CASE("tls: s_client gets each line echoed over TLS 1.3", "[integration][tls]") {
  running_server server(tls_args());
  CHECK(server.wait_for_log("(TLS, reply echo)"));
  const run_result r = s_client(server, "hello\nworld\n", "world\n");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello\nworld\n");
  CHECK(server.wait_for_log("TLS TLSv1.3 with 127.0.0.1:"));
  CHECK(server.wait_for_log("12 bytes in, 12 bytes out ("));
}

TEST_CASE("tls: TLS 1.2 is accepted and TLS 1.1 refused", "[integration][tls]") {
  running_server server(tls_args());
  const run_result v12 = s_client(server, "twelve\n", "twelve\n", "ca.pem", {"-tls1_2"});
  CHECK(v12.exit_code == 0);
  CHECK(v12.out == "twelve\n");
  CHECK(server.wait_for_log("TLS TLSv1.2 with"));
  const run_result v11 = s_client(server, "eleven\n", "", "ca.pem", {"-tls1_1"});
  CHECK(v11.exit_code != 0);
  CHECK(v11.out.empty());
  CHECK(server.wait_for_log("TLS handshake with 127.0.0.1:"));
}

TEST_CASE("tls: 1 MiB of random bytes through socat comes back intact", "[integration][tls]") {
  running_server server(tls_args());
  const std::string data = random_bytes(1024 * 1024, 7);
  const run_result r = socat_tls(server, data, deadline::in(std::chrono::seconds(30)));
  CHECK(r.exit_code == 0);
  INFO(describe_difference(data, r.out));
  CHECK(first_difference(data, r.out) == std::string::npos);
  CHECK(server.wait_for_log("1048576 bytes in, 1048576 bytes out (eof)"));
}

TEST_CASE("tls: prefix and ack modes work the same over TLS", "[integration][tls]") {
  running_server prefix(tls_args({"--reply", "prefix"}));
  CHECK(s_client(prefix, "hi\nthere\n", "there\n").out == "Echo: hi\nEcho: there\n");
  running_server ack(tls_args({"--ack", "ACK!", "--reply", "ack", "--once"}));
  const run_result r = socat_tls(ack, "first\n");
  CHECK(r.out == "ACK!\n");
  CHECK(ack.wait_for_log("(once)"));
}

TEST_CASE("tls: a message without a newline is answered after the pause", "[integration][tls]") {
  // socat sends the unterminated message, then close_notify: one prefixed reply comes back.
  running_server server(tls_args({"--reply", "prefix"}));
  const run_result r = socat_tls(server, "no newline");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Echo: no newline");
}

TEST_CASE("tls: the wrong CA on the client side fails verification", "[integration][tls]") {
  running_server server(tls_args());
  const run_result r = s_client(server, "hello\n", "", "other-ca.pem");
  CHECK(r.exit_code != 0);
  CHECK(r.out.empty());
  CHECK(server.wait_for_log("TLS handshake with 127.0.0.1:"));
}

TEST_CASE("tls: plaintext to a TLS port gets a one-line log and a close", "[integration][tls]") {
  running_server server(tls_args());
  tcp_client client = tcp_client::connect("127.0.0.1", server.port());
  client.send_all("hello\n");
  const read_result r = client.read_until_eof();
  CHECK(r.data.find("hello") == std::string::npos);
  CHECK(server.wait_for_log("failed: wrong version number"));
  CHECK(server.wait_for_log("(TLS handshake failed)"));
  // The server is unharmed.
  CHECK(s_client(server, "still here\n", "here\n").out == "still here\n");
}

TEST_CASE("tls: a handshake that never finishes is closed at the handshake timeout",
          "[integration][tls]") {
  running_server server(tls_args({"--handshake-timeout", "1"}));
  tcp_client client = tcp_client::connect("127.0.0.1", server.port());
  client.send_all("\x16\x03\x01");  // the start of a ClientHello, and nothing more
  const read_result r = client.read_until_eof(deadline::in(std::chrono::seconds(10)));
  CHECK(r.is_timed_out == false);
  CHECK(server.wait_for_log("TLS handshake not finished within the handshake timeout"));
  CHECK(server.wait_for_log("(handshake timeout)"));
}

TEST_CASE("tls: mutual TLS logs the client certificate's subject", "[integration][tls]") {
  const tls_files& files = tls_files::get();
  running_server server(tls_args({"--tls-client-ca", files.path("ca.pem")}));
  CHECK(server.wait_for_log("(mutual TLS, reply echo)"));
  const run_result r =
      s_client(server, "it is me\n", "me\n", "ca.pem",
               {"-cert", files.path("client.pem"), "-key", files.path("client.key")});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "it is me\n");
  CHECK(server.wait_for_log("client certificate CN=alice,O=Echo Tests"));
}

TEST_CASE("tls: mutual TLS refuses a client without a certificate or with a foreign one",
          "[integration][tls]") {
  const tls_files& files = tls_files::get();
  running_server server(tls_args({"--tls-client-ca", files.path("ca.pem")}));
  const run_result none = s_client(server, "anonymous\n", "");
  CHECK(none.out.empty());
  CHECK(server.wait_for_log("failed: peer did not return a certificate"));
  const run_result foreign =
      s_client(server, "mallory\n", "", "ca.pem",
               {"-cert", files.path("other-client.pem"), "-key", files.path("other-client.key")});
  CHECK(foreign.out.empty());
  CHECK(server.wait_for_log("failed: certificate verify failed"));
  CHECK(server.log().find("anonymous") == std::string::npos);
}

TEST_CASE("tls: bad certificate files are one-line errors and exit 1", "[integration][tls]") {
  const tls_files& files = tls_files::get();
  const run_result missing =
      run_to_exit({echo_server_path(), "-p", "0", "--tls-cert", files.path("nope.pem"), "--tls-key",
                   files.path("server.key")});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("cannot load TLS certificate '" + files.path("nope.pem") +
                         "': no such file or directory") != std::string::npos);
  CHECK(count_occurrences(missing.err, "\n") == 1);
  const run_result mismatch =
      run_to_exit({echo_server_path(), "-p", "0", "--tls-cert", files.path("server.pem"),
                   "--tls-key", files.path("client.key")});
  CHECK(mismatch.exit_code == 1);
  CHECK(mismatch.err.find("cannot load TLS private key") != std::string::npos);
  const run_result alone =
      run_to_exit({echo_server_path(), "-p", "0", "--tls-cert", files.path("server.pem")});
  CHECK(alone.exit_code == 2);
  CHECK(alone.err.find("--tls-cert and --tls-key go together") != std::string::npos);
}

// Our own client against our own server: the pair a user of the seeds switches to.
TEST_CASE("tls: echo-client and echo-server, mutual TLS, every mode", "[integration][tls]") {
  const tls_files& files = tls_files::get();
  running_server server(tls_args({"--tls-client-ca", files.path("ca.pem")}));
  const std::vector<std::string> identity = {
      "-p",         std::to_string(server.port()), "--tls-ca",  files.path("ca.pem"),
      "--tls-cert", files.path("client.pem"),      "--tls-key", files.path("client.key")};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = identity;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  // Pipe mode: 4 MiB of random bytes, ended by the client's close_notify.
  const std::string data = random_bytes(4 * 1024 * 1024, 11);
  const run_result piped = run_client(with({}), data, deadline::in(std::chrono::seconds(60)));
  CHECK(piped.exit_code == 0);
  INFO(describe_difference(data, piped.out));
  CHECK(first_difference(data, piped.out) == std::string::npos);
  CHECK(server.wait_for_log("4194304 bytes in, 4194304 bytes out (eof)"));

  const run_result one = run_client(with({"-m", "hello"}));
  CHECK(one.exit_code == 0);
  CHECK(one.out == "hello\n");
  const run_result self_test = run_client(with({"--test"}));
  CHECK(self_test.exit_code == 0);
  CHECK(self_test.out.find("8 passed, 0 failed") != std::string::npos);
  const run_result bench = run_client(
      with({"--bench", "--connections", "4", "--duration", "1", "--warmup", "0.2", "--json"}), {},
      deadline::in(std::chrono::seconds(30)));
  CHECK(bench.exit_code == 0);
  CHECK(bench.out.find("\"errors\": 0, \"mismatches\": 0") != std::string::npos);
  CHECK(server.wait_for_log("client certificate CN=alice,O=Echo Tests"));
}

TEST_CASE("tls: echo-client without a certificate is refused when one is required",
          "[integration][tls]") {
  const tls_files& files = tls_files::get();
  running_server server(tls_args({"--tls-client-ca", files.path("ca.pem")}));
  const run_result r = run_client(
      {"-p", std::to_string(server.port()), "--tls-ca", files.path("ca.pem"), "-m", "hello"});
  CHECK(r.exit_code == 7);
  CHECK(r.out.empty());
  CHECK(count_occurrences(r.err, "\n") == 1);
  CHECK(r.err.find("certificate required") != std::string::npos);
  CHECK(server.wait_for_log("failed: peer did not return a certificate"));
}

// A plaintext refusal line would reach a TLS client as a broken handshake ("wrong version
// number"); a TLS port closes a refused client without a byte instead.
TEST_CASE("tls: a client past --max-connections is closed without a byte",
          "[integration][tls][limits]") {
  running_server server(tls_args({"--max-connections", "1"}));
  tcp_client first = tcp_client::connect("127.0.0.1", server.port());
  const std::string first_peer = first.local_endpoint();
  REQUIRE(server.wait_for_log("(1 open)"));

  tcp_client raw = tcp_client::connect("127.0.0.1", server.port());
  const read_result r = raw.read_until_eof();
  CHECK(r.data.empty());
  CHECK(r.is_eof);
  CHECK_FALSE(r.is_timed_out);
  CHECK(server.wait_for_log(": 1 connection open (--max-connections)"));

  const run_result refused = s_client(server, "hello\n", "");
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("wrong version number") == std::string::npos);

  // The slot frees, and the next client is served.
  first.close();
  CHECK(server.wait_for_log("closed " + first_peer));
  CHECK(s_client(server, "served\n", "served\n").out == "served\n");
}

// Issue 12: every accepted connection used to build its ssl::stream (about 85 KiB) at once, so
// 3,000 clients that never sent a ClientHello took the server from 10 MB to 265 MB. The TLS
// state now waits for the client's first bytes.
TEST_CASE("tls: connections that send nothing hold no TLS state", "[integration][tls]") {
  // Our own descriptors bound how many clients we can open: raise the soft limit to the hard one.
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  constexpr std::size_t count = 1000;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < count + 64) {
    WARN("skipped: only " << limit.rlim_cur << " descriptors allowed (ulimit -Hn)");
    return;
  }
  constexpr std::uint64_t kib = 1024;
  running_server server(tls_args({"--handshake-timeout", "60"}));
  // One TLS client first, so that what every connection shares (OpenSSL's tables, the
  // certificate) is counted before the baseline.
  CHECK(s_client(server, "warm up\n", "warm up\n").out == "warm up\n");
  CHECK(server.wait_for_log("closed "));
  const pid_t pid = server.proc().pid();
  const std::uint64_t rss_before = resident_bytes(pid);
  REQUIRE(rss_before > 0);

  std::vector<tcp_client> silent;
  silent.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    silent.push_back(tcp_client::connect("127.0.0.1", server.port()));
  }
  REQUIRE(server.wait_for_log("(" + std::to_string(count) + " open)", deadline::in(seconds(30))));
  const std::uint64_t rss_open = resident_bytes(pid);
  const std::uint64_t growth = rss_open > rss_before ? rss_open - rss_before : 0;
  WARN(count << " silent TLS connections: server RSS " << rss_before / kib << " KiB before, +"
             << growth / kib << " KiB with them open (" << growth / count << " bytes each)");
  // A silent connection costs what a plain one does (about 1 KiB); with an ssl::stream each it
  // was about 85 MiB here. 16 KiB each leaves room for the sanitizers' redzones.
  CHECK(growth < count * 16 * kib);

  // They do not stand in the way of a real client, and leave without a failed handshake: a client
  // that closes before its first byte (a TCP health check) is an ordinary end.
  CHECK(s_client(server, "still served\n", "served\n").out == "still served\n");
  silent.clear();
  CHECK(server.wait_for_log_count("(eof)", count + 2, deadline::in(seconds(30))));
  CHECK(server.log().find("TLS handshake with") == std::string::npos);
}

// --max-handshakes: a handshake in progress holds its TLS state, and a client can start one with
// a single byte and stall for the handshake timeout. Past the limit a client that starts one is
// closed at once without a byte; established connections go on, and a slot that frees is reused.
TEST_CASE("tls: past --max-handshakes a new handshake is refused, others are still served",
          "[integration][tls][limits]") {
  running_server server(tls_args({"--max-handshakes", "2", "--handshake-timeout", "60"}));
  CHECK(server.wait_for_log(", 2 TLS handshakes at once\n"));
  // An established connection, kept open: s_client echoes what we write to its stdin.
  const tls_files& files = tls_files::get();
  process established(
      {"openssl", "s_client", "-quiet", "-no_ign_eof", "-verify_return_error", "-connect",
       "127.0.0.1:" + std::to_string(server.port()), "-CAfile", files.path("ca.pem")},
      {true, true, true});
  REQUIRE(established.write_stdin("before\n", deadline::after_default()));
  REQUIRE(established.read_stdout_until("before\n", deadline::after_default()));

  // Three clients begin a ClientHello and stall: two take the slots, the third is refused.
  std::vector<std::unique_ptr<conversation>> stalled;
  std::vector<conversation*> talks;
  for (int i = 0; i < 3; ++i) {
    stalled.push_back(
        std::make_unique<conversation>(tcp_client::connect("127.0.0.1", server.port())));
    stalled.back()->send("\x16\x03\x01");
    talks.push_back(stalled.back().get());
  }
  const auto finished = [&] {
    return std::count_if(stalled.begin(), stalled.end(),
                         [](const auto& c) { return c->is_finished(); });
  };
  CHECK(drive(talks, deadline::after_default(), [&] { return finished() >= 1; }));
  CHECK(server.wait_for_log(": 2 TLS handshakes in progress (--max-handshakes)\n"));
  for (const auto& c : stalled) CHECK(c->received().empty());  // never a byte

  // The established connection is served; a real client that starts a handshake is refused.
  REQUIRE(established.write_stdin("during\n", deadline::after_default()));
  CHECK(established.read_stdout_until("during\n", deadline::after_default()));
  const run_result refused = s_client(server, "refused\n", "");
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.empty());
  // So the other two stalled clients still hold their slots: open, nothing to read.
  CHECK(finished() == 1);
  for (const auto& c : stalled) {
    if (c->is_finished()) continue;
    char byte = 0;
    CHECK(::recv(c->client().fd(), &byte, 1, MSG_DONTWAIT) == -1);
    CHECK((errno == EAGAIN || errno == EWOULDBLOCK));
  }

  // A stalled client leaves: its slot frees, and the next handshake succeeds.
  for (auto& c : stalled) {
    if (!c->is_finished()) {
      const std::string peer = c->client().local_endpoint();
      c->client().close();
      CHECK(server.wait_for_log("closed " + peer));
      break;
    }
  }
  CHECK(s_client(server, "after\n", "after\n").out == "after\n");

  established.close_stdin();
  CHECK(established.read_stdout_until_eof(deadline::after_default()));
  stalled.clear();
  talks.clear();
  REQUIRE(server.stop() == 0);
  CHECK_THAT(server.log(), Catch::Contains(", 2 refused\n"));
}
