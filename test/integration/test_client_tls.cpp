// echo-client over TLS, every mode, against a TLS echo peer of our own (support/tls_echo_peer,
// which records SNI, the client certificate and the client's close_notify) and against Debian's
// `openssl s_server`: the server verified against --tls-ca (or the wrong CA), the name check and
// --tls-server-name, --insecure and its warning, mutual TLS accepted and refused, --tls against a
// plaintext server, the handshake bounded by --timeout, and the flags' usage errors. Each failure
// is one line with exit 7 (TLS), 5 (timed out) or 2 (usage).

#include "support/echo_client.hpp"
#include "support/pty_process.hpp"
#include "support/running_server.hpp"
#include "support/scratch.hpp"
#include "support/tcp_listener.hpp"
#include "support/test_data.hpp"
#include "support/tls_echo_peer.hpp"
#include "support/tls_files.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

constexpr std::size_t mib = 1024 * 1024;

std::string file(const std::string& name) { return tls_files::get().path(name); }

tls_echo_peer::settings peer_with(const std::string& identity, std::string client_ca = {}) {
  return {file(identity + ".pem"), file(identity + ".key"), std::move(client_ca), true};
}

// echo-client's arguments for 127.0.0.1:port, then `more`.
std::vector<std::string> to(std::uint16_t port, std::vector<std::string> more) {
  more.insert(more.begin(), {"-p", std::to_string(port)});
  return more;
}

void check_ok(const run_result& r, const std::string& out) {
  INFO("stderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  CHECK(r.out == out);
  CHECK(r.err.empty());
}

// One line on stderr that starts with `start`, nothing on stdout, exit `code`.
void check_failure(const run_result& r, int code, const std::string& start) {
  INFO("stderr: " << printable(r.err));
  CHECK(r.exit_code == code);
  CHECK(r.err.rfind(start, 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
}

tls_echo_peer::record only_record(tls_echo_peer& peer) {
  const auto records = peer.wait_for_records(1);
  REQUIRE(records);
  REQUIRE(records->size() == 1);
  return records->front();
}

// `openssl s_server -rev` (each line answered reversed) with the test server certificate, on a
// free port, for one connection; `more` adds flags (-Verify 1 -CAfile ca.pem for mutual TLS).
class s_server {
 public:
  explicit s_server(const std::vector<std::string>& more = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      std::vector<std::string> argv{"openssl", "s_server",         "-accept", std::to_string(port_),
                                    "-cert",   file("server.pem"), "-key",    file("server.key"),
                                    "-rev",    "-naccept",         "1"};
      argv.insert(argv.end(), more.begin(), more.end());
      process_ = std::make_unique<process>(argv, stdio_pipes{false, true, true});
      // It says ACCEPT on stdout once it listens, and exits at once when the port is taken.
      if (process_->read_stdout_until("ACCEPT", deadline::after_default())) return;
    }
    FAIL("openssl s_server did not start: " << printable(process_->stderr_text()));
  }

  std::uint16_t port() const { return port_; }
  std::string output() const { return process_->stdout_text() + process_->stderr_text(); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<process> process_;
};

}  // namespace

TEST_CASE("client tls: one-shot messages over TLS, verified against --tls-ca",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server"));
  check_ok(run_client(
               to(peer.port(), {"--tls-ca", file("ca.pem"), "-m", "hello", "-m", "w\xC3\xB6rld"})),
           "hello\nw\xC3\xB6rld\n");
  const auto r = only_record(peer);
  CHECK(r.is_handshake_ok);
  CHECK(r.bytes_echoed == 13);  // "hello\n" and "w\xC3\xB6rld\n"
  // 127.0.0.1 is an IP address: verified as such, and never sent as SNI.
  CHECK(r.server_name.empty());
  // The client ends with a close_notify, not a bare TCP close.
  CHECK(r.is_close_notify_received);
}

TEST_CASE("client tls: a host name is verified and sent as SNI", "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server"));
  SECTION("localhost") {
    check_ok(
        run_client(to(peer.port(), {"-H", "localhost", "--tls-ca", file("ca.pem"), "-m", "hi"})),
        "hi\n");
    CHECK(only_record(peer).server_name == "localhost");
  }
  SECTION("--tls-server-name with an IP address as the host") {
    check_ok(run_client(to(peer.port(), {"--tls-server-name", "localhost", "--tls-ca",
                                         file("ca.pem"), "-m", "hi"})),
             "hi\n");
    CHECK(only_record(peer).server_name == "localhost");
  }
}

TEST_CASE("client tls: pipe mode carries 16 MiB byte for byte and ends with close_notify",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server"));
  const std::string data = random_bytes(16 * mib, 61);
  const auto started = clock::now();
  const run_result r = run_client(to(peer.port(), {"--tls-ca", file("ca.pem")}), data,
                                  deadline::in(std::chrono::seconds(60)));
  INFO("16 MiB over TLS took "
       << std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count()
       << " ms; stderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  INFO(describe_difference(data, r.out));
  CHECK(first_difference(data, r.out) == std::string::npos);
  CHECK(r.err.empty());
  const auto record = only_record(peer);
  // The echo came back after our close_notify: the half-close works over TLS.
  CHECK(record.is_close_notify_received);
  CHECK(record.bytes_echoed == data.size());
}

TEST_CASE("client tls: a server that closes without close_notify still ends like EOF",
          "[integration][client][tls]") {
  auto settings = peer_with("server");
  settings.is_close_notify = false;
  tls_echo_peer peer(settings);
  check_ok(run_client(to(peer.port(), {"--tls-ca", file("ca.pem")}), "no notify\n"), "no notify\n");
}

TEST_CASE("client tls: --test passes every case over TLS", "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server"));
  const run_result r = run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "--test"}), {},
                                  deadline::in(std::chrono::seconds(60)));
  INFO("stdout: " << r.out << "\nstderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("PASS half-close") != std::string::npos);
  CHECK(r.out.find("8 passed, 0 failed") != std::string::npos);
}

TEST_CASE("client tls: --bench handshakes every connection and checks every byte",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server"));
  SECTION("closed loop") {
    const run_result r =
        run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "--bench", "--connections", "4",
                                    "--duration", "0.5", "--warmup", "0", "--json"}),
                   {}, deadline::in(std::chrono::seconds(30)));
    INFO("stdout: " << r.out << "\nstderr: " << printable(r.err));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\"errors\": 0,") != std::string::npos);
    CHECK(r.out.find("\"mismatches\": 0,") != std::string::npos);
    CHECK(r.out.find("\"msgs_per_s\": 0.0") == std::string::npos);
  }
  SECTION("churn") {
    const run_result r =
        run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "--bench", "--churn", "--duration",
                                    "0.5", "--warmup", "0", "--json"}),
                   {}, deadline::in(std::chrono::seconds(30)));
    INFO("stdout: " << r.out << "\nstderr: " << printable(r.err));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\"errors\": 0,") != std::string::npos);
    CHECK(r.out.find("\"msgs_per_s\": 0.0") == std::string::npos);
  }
}

TEST_CASE("client tls: --bench reports an untrusted server in one line",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("other-server"));
  check_failure(run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "--bench", "--duration",
                                            "0.5", "--warmup", "0"})),
                7,
                "echo-client: TLS handshake with " + loopback(peer.port()) +
                    " failed: certificate verify failed");
}

TEST_CASE("client tls: interactive mode over TLS", "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server"));
  pty_process client(client_command(to(peer.port(), {"--tls-ca", file("ca.pem")})));
  REQUIRE(client.read_until("Connected to " + loopback(peer.port())));
  REQUIRE(client.read_until("> "));
  REQUIRE(client.write("over tls\r"));
  // The client wipes the prompt line before it prints a reply: this is the echo, not the
  // terminal showing what was typed.
  REQUIRE(client.read_until("\r\033[Kover tls\r\n"));
  REQUIRE(client.write("quit\r"));
  REQUIRE(client.read_until("Disconnected."));
  INFO("screen:\n" << printable(client.transcript()));
  CHECK(client.wait_exit(deadline::after_default()) == 0);
  CHECK(only_record(peer).bytes_echoed == 9);
}

TEST_CASE("client tls: a server certificate from another CA fails with exit 7",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("other-server"));
  const std::string start =
      "echo-client: TLS handshake with " + loopback(peer.port()) + " failed: ";
  SECTION("against --tls-ca") {
    check_failure(run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "-m", "hi"})), 7,
                  start + "certificate verify failed (unable to get local issuer certificate)\n");
  }
  SECTION("against the system's trust store (--tls)") {
    check_failure(run_client(to(peer.port(), {"--tls", "-m", "hi"})), 7,
                  start + "certificate verify failed");
  }
  SECTION("pipe mode, --test and --bench say the same") {
    check_failure(run_client(to(peer.port(), {"--tls-ca", file("ca.pem")}), "hi\n"), 7, start);
    check_failure(run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "--test"})), 7, start);
  }
}

TEST_CASE("client tls: a certificate for another name fails unless --tls-server-name matches",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("named"));  // for echo.test only
  const std::string start =
      "echo-client: TLS handshake with " + loopback(peer.port()) + " failed: ";
  SECTION("the IP address is not in it") {
    check_failure(run_client(to(peer.port(), {"--tls-ca", file("ca.pem"), "-m", "hi"})), 7,
                  start + "certificate verify failed (IP address mismatch)\n");
  }
  SECTION("nor is localhost") {
    check_failure(
        run_client(to(peer.port(), {"-H", "localhost", "--tls-ca", file("ca.pem"), "-m", "hi"})), 7,
        "echo-client: TLS handshake with 127.0.0.1:" + std::to_string(peer.port()) +
            " failed: certificate verify failed (hostname mismatch)\n");
  }
  SECTION("--tls-server-name echo.test") {
    check_ok(run_client(to(peer.port(), {"--tls-server-name", "echo.test", "--tls-ca",
                                         file("ca.pem"), "-m", "hi"})),
             "hi\n");
    CHECK(only_record(peer).server_name == "echo.test");
  }
}

TEST_CASE("client tls: --insecure connects to any certificate, with one warning",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("other-server"));
  const run_result r = run_client(to(peer.port(), {"--insecure", "-m", "hi"}));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hi\n");
  CHECK(r.err == "echo-client: warning: --insecure: the server's certificate is not verified\n");
}

TEST_CASE("client tls: mutual TLS, the client certificate accepted and refused",
          "[integration][client][tls]") {
  tls_echo_peer peer(peer_with("server", file("ca.pem")));
  const std::vector<std::string> trust{"--tls-ca", file("ca.pem"), "-m", "hi"};
  SECTION("accepted, and the server saw who we are") {
    std::vector<std::string> args = to(peer.port(), trust);
    args.insert(args.end(), {"--tls-cert", file("client.pem"), "--tls-key", file("client.key")});
    check_ok(run_client(args), "hi\n");
    CHECK(only_record(peer).client_subject.find("CN=alice") != std::string::npos);
  }
  // TLS 1.3: our side of the handshake is done before the server checks our certificate, so its
  // refusal is an alert on the first read.
  SECTION("refused without a certificate") {
    check_failure(run_client(to(peer.port(), trust)), 7,
                  "echo-client: TLS connection to " + loopback(peer.port()) +
                      " failed: tlsv13 alert certificate required\n");
  }
  SECTION("refused with a certificate from another CA") {
    std::vector<std::string> args = to(peer.port(), trust);
    args.insert(args.end(),
                {"--tls-cert", file("other-client.pem"), "--tls-key", file("other-client.key")});
    check_failure(run_client(args), 7,
                  "echo-client: TLS connection to " + loopback(peer.port()) + " failed: ");
  }
}

TEST_CASE("client tls: openssl s_server, one-shot and mutual TLS", "[integration][client][tls]") {
  SECTION("-rev answers each line reversed") {
    s_server server;
    check_ok(run_client(to(server.port(), {"--tls-ca", file("ca.pem"), "-m", "hello"})), "olleh\n");
  }
  SECTION("-Verify 1 accepts our client certificate") {
    s_server server({"-Verify", "1", "-CAfile", file("ca.pem")});
    check_ok(
        run_client(to(server.port(), {"--tls-ca", file("ca.pem"), "--tls-cert", file("client.pem"),
                                      "--tls-key", file("client.key"), "-m", "hello"})),
        "olleh\n");
  }
  SECTION("-Verify 1 refuses a client without a certificate") {
    s_server server({"-Verify", "1", "-CAfile", file("ca.pem")});
    check_failure(run_client(to(server.port(), {"--tls-ca", file("ca.pem"), "-m", "hello"})), 7,
                  "echo-client: TLS connection to " + loopback(server.port()) + " failed: ");
  }
  SECTION("-Verify 1 refuses a certificate from another CA") {
    // s_server only reports a bad certificate unless told to refuse it.
    s_server server({"-Verify", "1", "-CAfile", file("ca.pem"), "-verify_return_error"});
    check_failure(run_client(to(server.port(),
                                {"--tls-ca", file("ca.pem"), "--tls-cert", file("other-client.pem"),
                                 "--tls-key", file("other-client.key"), "-m", "hello"})),
                  7, "echo-client: TLS connection to " + loopback(server.port()) + " failed: ");
  }
}

TEST_CASE("client tls: --tls against a plaintext server fails cleanly",
          "[integration][client][tls]") {
  SECTION("an echo server answers the ClientHello with itself: not TLS") {
    running_server server;
    const auto started = clock::now();
    check_failure(run_client(to(server.port(), {"--tls", "--timeout", "2", "-m", "hi"})), 7,
                  "echo-client: TLS handshake with " + loopback(server.port()) + " failed: ");
    CHECK(clock::now() - started < std::chrono::seconds(2));
  }
  SECTION("a silent server: the handshake is bounded by --timeout") {
    tcp_listener listener;
    process client(client_command(to(listener.port(), {"--tls", "--timeout", "0.5", "-m", "hi"})),
                   stdio_pipes{false, true, true});
    tcp_client peer = listener.accept();
    const auto accepted = clock::now();
    const run_result r = wait_for_client(client);
    const auto took = clock::now() - accepted;
    INFO("stderr: " << printable(r.err));
    CHECK(r.exit_code == 5);
    CHECK(r.err == client_error("timed out after 0.5s in the TLS handshake with " +
                                loopback(listener.port())));
    CHECK(took >= std::chrono::milliseconds(400));
    CHECK(took < std::chrono::seconds(5));
  }
}

TEST_CASE("client tls: flag errors", "[integration][client][tls]") {
  const auto usage = [](const std::vector<std::string>& args, const std::string& what) {
    const run_result r = run_client(args);
    CHECK(r.exit_code == 2);
    CHECK(r.err == "echo-client: " + what + " (try 'echo-client --help')\n");
  };
  usage({"--tls-cert", file("client.pem"), "-m", "x"}, "--tls-cert and --tls-key go together");
  usage({"--tls-key", file("client.key"), "-m", "x"}, "--tls-cert and --tls-key go together");
  usage({"--insecure", "--tls-ca", file("ca.pem"), "-m", "x"},
        "--insecure and --tls-ca cannot be used together");
  usage({"--tls-ca", "", "-m", "x"}, "invalid --tls-ca '': empty");
  SECTION("a CA file that does not exist is one line and exit 1") {
    const run_result r = run_client({"--tls-ca", "/nonexistent/ca.pem", "-m", "x"});
    CHECK(r.exit_code == 1);
    CHECK(std::regex_match(r.err, std::regex("echo-client: cannot load TLS CA "
                                             "'/nonexistent/ca.pem': [^\n]+\n")));
  }
}
