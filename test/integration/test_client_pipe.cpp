// echo-client in pipe mode (stdin not a terminal, no -m): stdin to the server and the server to
// stdout, byte for byte, a half-close after stdin's end (unless --no-shutdown), and exit 0 once
// the server has closed. stdin as a pipe, a regular file and /dev/null.

#include "support/echo_client.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tcp_listener.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

constexpr std::size_t mib = 1024 * 1024;

// A file in $TMPDIR (or /tmp) holding `bytes`, removed when the test ends.
class temp_file {
 public:
  explicit temp_file(const std::string& bytes) {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern =
        std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/echo-client-stdin-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed for " + pattern);
    ::close(fd);
    path_ = pattern;
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + path_);
  }
  ~temp_file() { ::unlink(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  const std::string& path() const { return path_; }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::string path_;
};

std::vector<std::string> to(const running_server& server, std::vector<std::string> args = {}) {
  args.insert(args.begin(), {"-p", std::to_string(server.port())});
  return args;
}

// Runs the client with stdin from `pipes` (a file, or /dev/null) until it exits.
run_result run_with_stdin(const std::vector<std::string>& args, stdio_pipes pipes,
                          deadline d = deadline::after_default()) {
  pipes.out = true;
  pipes.err = true;
  process client(client_command(args), pipes);
  return wait_for_client(client, d);
}

void check_byte_exact(const run_result& r, const std::string& expected) {
  INFO("stderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  INFO(describe_difference(expected, r.out));
  CHECK(first_difference(expected, r.out) == std::string::npos);
  CHECK(r.err.empty());
}

}  // namespace

TEST_CASE("client pipe: a line through the echo server", "[integration][client]") {
  running_server server;
  check_byte_exact(run_client(to(server), "hello\n"), "hello\n");
  CHECK(server.wait_for_log("6 bytes in, 6 bytes out (eof)"));
}

TEST_CASE("client pipe: input without a newline, and prefix and ack replies",
          "[integration][client]") {
  SECTION("echo, unterminated") {
    running_server server;
    check_byte_exact(run_client(to(server), "Hello, Server!"), "Hello, Server!");
  }
  SECTION("prefix") {
    running_server server({"--reply", "prefix"});
    check_byte_exact(run_client(to(server), "a\nb\r\nHello, Server!"),
                     "Echo: a\nEcho: b\r\nEcho: Hello, Server!");
  }
  SECTION("ack --once") {
    running_server server({"--reply", "ack", "--once"});
    check_byte_exact(run_client(to(server), "Hello, Server!"), "ACK!");
  }
}

TEST_CASE("client pipe: binary bytes, NULs and CRs pass untouched", "[integration][client]") {
  running_server server;
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  const std::string input = all_bytes + std::string("\0\0\r\r\n\n\r", 7) + all_bytes;
  check_byte_exact(run_client(to(server), input), input);
}

TEST_CASE("client pipe: 16 MiB of random binary comes back byte for byte",
          "[integration][client]") {
  running_server server;
  const std::string data = random_bytes(16 * mib, 16);
  const auto started = clock::now();
  const run_result r = run_client(to(server), data, deadline::in(std::chrono::seconds(60)));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
  INFO("16 MiB round trip took " << took.count() << " ms");
  CHECK(r.out.size() == data.size());
  check_byte_exact(r, data);
  CHECK(server.wait_for_log("16777216 bytes in, 16777216 bytes out (eof)"));
}

TEST_CASE("client pipe: stdin from a regular file", "[integration][client]") {
  running_server server;
  SECTION("a small file") {
    temp_file file("from a file\nsecond line\n");
    stdio_pipes pipes;
    pipes.in_file = file.path();
    check_byte_exact(run_with_stdin(to(server), pipes), "from a file\nsecond line\n");
  }
  SECTION("4 MiB of binary") {
    const std::string data = random_bytes(4 * mib, 4);
    temp_file file(data);
    stdio_pipes pipes;
    pipes.in_file = file.path();
    check_byte_exact(run_with_stdin(to(server), pipes, deadline::in(std::chrono::seconds(30))),
                     data);
  }
  SECTION("an empty file") {
    temp_file file("");
    stdio_pipes pipes;
    pipes.in_file = file.path();
    check_byte_exact(run_with_stdin(to(server), pipes), "");
  }
}

// The help's example: echo-client < big.bin > back.bin, both regular files.
TEST_CASE("client pipe: a file in and a file out", "[integration][client]") {
  running_server server;
  const std::string data = random_bytes(4 * mib, 44);
  temp_file in(data);
  temp_file out("");
  stdio_pipes pipes;
  pipes.in_file = in.path();
  pipes.out_file = out.path();
  process client(client_command(to(server)), pipes);
  const run_result r = wait_for_client(client, deadline::in(std::chrono::seconds(30)));
  INFO("stderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  const std::string back = out.contents();
  INFO(describe_difference(data, back));
  CHECK(first_difference(data, back) == std::string::npos);
}

TEST_CASE("client pipe: stdin from /dev/null connects, half-closes at once, exits 0",
          "[integration][client]") {
  running_server server;
  // stdio_pipes{} with no in_file: the child's stdin is /dev/null.
  const run_result r = run_with_stdin(to(server), stdio_pipes{});
  check_byte_exact(r, "");
  CHECK(server.wait_for_log("connection from"));
  CHECK(server.wait_for_log("0 bytes in, 0 bytes out (eof)"));
}

TEST_CASE("client pipe: lines go out as they are written, not at stdin's end",
          "[integration][client]") {
  running_server server({"--reply", "prefix"});
  process client(client_command(to(server)), stdio_pipes{true, true, true});
  REQUIRE(client.write_stdin("one\n", deadline::after_default()));
  CHECK(client.read_stdout_until("Echo: one\n", deadline::after_default()));
  REQUIRE(client.write_stdin("two\n", deadline::after_default()));
  CHECK(client.read_stdout_until("Echo: one\nEcho: two\n", deadline::after_default()));
  client.close_stdin();
  check_byte_exact(wait_for_client(client), "Echo: one\nEcho: two\n");
}

TEST_CASE("client pipe: stdin's end half-closes, and the reply still arrives",
          "[integration][client]") {
  // A fake server that answers only once it has read EOF: proof of the half-close.
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port())}),
                 stdio_pipes{true, true, true});
  tcp_client peer = listener.accept();
  REQUIRE(client.write_stdin("question", deadline::after_default()));
  client.close_stdin();
  const read_result in = peer.read_until_eof();
  CHECK(in.is_eof);
  CHECK(in.data == "question");
  peer.send_all("answer after EOF");
  peer.close();
  check_byte_exact(wait_for_client(client), "answer after EOF");
}

TEST_CASE("client pipe: with --no-shutdown the server closing ends it, exit 0",
          "[integration][client]") {
  running_server server({"--once"});
  const run_result r = run_client(to(server, {"--no-shutdown"}), "hello\n");
  check_byte_exact(r, "hello\n");
}

TEST_CASE("client pipe: --no-shutdown against plain echo times out after the echo",
          "[integration][client]") {
  running_server server;
  const auto started = clock::now();
  const run_result r = run_client(to(server, {"--no-shutdown", "--timeout", "0.5"}), "hello\n");
  const auto took = clock::now() - started;
  CHECK(r.exit_code == 5);
  CHECK(r.out == "hello\n");
  CHECK(r.err ==
        client_error("timed out after 0.5s waiting for a reply from " + loopback(server.port())));
  CHECK(took >= std::chrono::milliseconds(450));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("client pipe: a server silent after stdin's end times out, exit 5",
          "[integration][client]") {
  // A fake server that reads everything, EOF included, and then neither answers nor closes.
  tcp_listener listener;
  process client(client_command({"-p", std::to_string(listener.port()), "--timeout", "0.5"}),
                 stdio_pipes{true, true, true});
  tcp_client peer = listener.accept();
  REQUIRE(client.write_stdin("anyone there?\n", deadline::after_default()));
  client.close_stdin();
  const read_result in = peer.read_until_eof();
  CHECK(in.is_eof);
  CHECK(in.data == "anyone there?\n");
  const auto eof_seen = clock::now();
  const run_result r = wait_for_client(client);
  const auto took = clock::now() - eof_seen;
  CHECK(r.exit_code == 5);
  CHECK(r.out.empty());
  CHECK(r.err ==
        client_error("timed out after 0.5s waiting for a reply from " + loopback(listener.port())));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("client pipe: -v traces on stderr and leaves stdout byte-exact",
          "[integration][client]") {
  running_server server;
  const std::string data = random_bytes(256 * 1024, 99);
  const run_result r = run_client(to(server, {"-v"}), data);
  CHECK(r.exit_code == 0);
  INFO(describe_difference(data, r.out));
  CHECK(first_difference(data, r.out) == std::string::npos);
  CHECK_FALSE(r.err.empty());
}

// `yes | echo-client | head -n 1`: once head has its line it closes the pipe, and the client,
// still echoing, meets a broken pipe on stdout. Like nc, it ends quietly with 0.
TEST_CASE("client pipe: a reader that closes stdout ends it quietly, exit 0",
          "[integration][client]") {
  running_server server;
  const run_result r = run_to_exit(
      {"bash", "-c", "yes | \"$0\" -p \"$1\" | head -n 1; echo \"client ${PIPESTATUS[1]}\"",
       echo_client_path(), std::to_string(server.port())});
  INFO("stderr: " << printable(r.err));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "y\nclient 0\n");
  CHECK(r.err.empty());
}
