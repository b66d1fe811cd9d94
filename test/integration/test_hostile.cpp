// Hostile input: random binary in every reply mode, a 100 MiB line without a newline, telnet
// control sequences (IAC), and zero-length writes. No crash, bounded memory, byte-exact answers
// where the mode promises them, and a logged reason where the server ends the session.

#include "support/conversation.hpp"
#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>

using namespace echo::test;
using std::chrono::seconds;

namespace {

constexpr std::size_t mib = 1024 * 1024;

// Queues `data` in 1 MiB pieces, so each piece's memory is freed once it is sent.
void queue_in_pieces(conversation& c, const std::string& data) {
  for (std::size_t at = 0; at < data.size(); at += mib) c.send(data.substr(at, mib));
}

// What a line mode answers to `input`, sent whole and then half-closed: one reply per line, each
// keeping the line's own ending ("\r\n" or "\n"; none for the unterminated tail).
std::string line_mode_replies(const std::string& input, const std::string& mode) {
  std::string out;
  for (std::size_t at = 0; at < input.size();) {
    const std::size_t newline = input.find('\n', at);
    const std::size_t end = newline == std::string::npos ? input.size() : newline + 1;
    const std::string line = input.substr(at, end - at);
    if (mode == "prefix") {
      out += "Echo: " + line;
    } else {
      const bool has_crlf = line.size() >= 2 && line.compare(line.size() - 2, 2, "\r\n") == 0;
      out += "ACK!" + std::string(newline == std::string::npos ? "" : has_crlf ? "\r\n" : "\n");
    }
    at = end;
  }
  return out;
}

// Sends all of `data`, half-closes, reads everything back until EOF.
conversation round_trip(const running_server& server, const std::string& data) {
  conversation c(tcp_client::connect(server.host(), server.port()));
  queue_in_pieces(c, data);
  c.half_close_when_sent();
  CHECK(drive_to_end(c, deadline::in(seconds(15))));
  CHECK(c.is_eof());
  CHECK(c.read_error() == 0);
  CHECK(c.send_error() == 0);
  return c;
}

}  // namespace

TEST_CASE("hostile: random binary comes back byte for byte in echo mode",
          "[integration][hostile]") {
  running_server server;
  const std::string data = random_bytes(4 * mib, 4242);
  REQUIRE(data.find('\0') != std::string::npos);
  REQUIRE(data.find('\xff') != std::string::npos);
  const conversation c = round_trip(server, data);
  INFO(describe_difference(data, c.received()));
  CHECK(first_difference(data, c.received()) == std::string::npos);
}

TEST_CASE("hostile: random binary in line modes gets one reply per line, endings kept",
          "[integration][hostile]") {
  const auto mode = GENERATE(as<std::string>{}, "prefix", "ack");
  // A long --message-wait: the unterminated tail is answered at our EOF, never split by a pause.
  running_server server({"--reply", mode, "--message-wait", "10000"});
  const std::string data = random_bytes(mib, 77);
  const std::string expected = line_mode_replies(data, mode);
  const conversation c = round_trip(server, data);
  INFO(describe_difference(expected, c.received()));
  CHECK(first_difference(expected, c.received()) == std::string::npos);
}

TEST_CASE("hostile: a 100 MiB line gets the error line and EOF, and memory stays bounded",
          "[integration][hostile]") {
  running_server server({"--reply", "prefix"});
  const pid_t pid = server.proc().pid();
  const std::uint64_t rss_before = resident_bytes(pid);
  REQUIRE(rss_before > 0);
  std::uint64_t rss_peak = rss_before;
  const auto sample = [&] { rss_peak = std::max(rss_peak, resident_bytes(pid)); };

  constexpr std::uint64_t line_size = 100 * mib;
  const std::string piece(mib, 'x');
  std::uint64_t queued = 0;
  conversation c(tcp_client::connect(server.host(), server.port()));
  const std::string peer = c.client().local_endpoint();
  std::size_t rounds = 0;
  REQUIRE(drive({&c}, deadline::in(seconds(15)), [&] {
    if (++rounds % 16 == 0) sample();
    if (c.pending() < piece.size() && queued < line_size) {
      c.send(piece);
      queued += piece.size();
    }
    return c.is_finished();
  }));
  sample();
  const std::string error_line = "error: line longer than 65536 bytes, closing\n";
  CHECK(c.received() == error_line);
  CHECK(c.is_eof());
  CHECK(c.read_error() == 0);
  CHECK(c.send_error() == 0);

  // The client keeps sending the rest of its line: the server drains it for a while, then closes.
  std::uint64_t sent = c.sent();
  try {
    while (sent < line_size) {
      c.client().send_all(piece, deadline::in(seconds(5)));
      sent += piece.size();
      if (sent % (8 * mib) == 0) sample();
    }
  } catch (const std::runtime_error&) {
    // The server closed after its linger time: a reset or broken pipe ends our sending.
  }
  sample();
  c.client().close();
  INFO("client sent " << sent / mib << " MiB; server RSS " << rss_before / 1024 << " KiB before, "
                      << rss_peak / 1024 << " KiB at most");
  CHECK(sent > 64 * 1024);
  CHECK(server.wait_for_log(peer + " sent a line longer than 65536 bytes; closing"));
  CHECK(server.wait_for_log(std::regex("closed " + regex_escape(peer) + " after [^\n]* " +
                                       std::to_string(error_line.size()) +
                                       " bytes out \\(line too long\\)\n")));
  CHECK(rss_peak - rss_before < 8 * mib);
  WARN("100 MiB line: client sent " << sent / mib << " MiB; server RSS grew by "
                                    << (rss_peak - rss_before) / 1024 << " KiB");
}

TEST_CASE("hostile: telnet IAC sequences are echoed byte-exact and logged escaped",
          "[integration][hostile]") {
  // WILL ECHO, DO SUPPRESS-GO-AHEAD, DONT LINEMODE, IP, DO TIMING-MARK, an escaped 0xff, and a
  // subnegotiation (SB TERMINAL-TYPE ... SE), around plain text.
  const std::string iac = "\xff\xfb\x01\xff\xfd\x03\xff\xfe\x22";
  const std::string line =
      iac + "hello\xff\xf4\xff\xfd\x06\xff\xff" + "\xff\xfa\x18\x01\xff\xf0" + "world\r\n";
  SECTION("echo") {
    running_server server;
    const conversation c = round_trip(server, line + line);
    CHECK(c.received() == line + line);
  }
  SECTION("prefix, verbose") {
    running_server server({"--reply", "prefix", "-v"});
    conversation c(tcp_client::connect(server.host(), server.port()));
    const std::string peer = c.client().local_endpoint();
    c.send(line);
    c.half_close_when_sent();
    CHECK(drive_to_end(c, deadline::after_default()));
    CHECK(c.received() == "Echo: " + line);
    // The log shows the line's content, without its "\r\n" ending.
    const std::string logged = printable(line.substr(0, line.size() - 2));
    REQUIRE(logged.rfind("\\xff\\xfb\\x01\\xff\\xfd\\x03\\xff\\xfe\"hello", 0) == 0);
    CHECK(server.wait_for_log("debug: Received from " + peer + ": " + logged + "\n"));
  }
}

TEST_CASE("hostile: zero-length writes between real data change nothing",
          "[integration][hostile]") {
  const auto zero_write = [](const tcp_client& c) {
    const ssize_t n = ::send(c.fd(), "", 0, MSG_NOSIGNAL);
    CHECK(n == 0);
  };
  SECTION("echo") {
    running_server server;
    tcp_client c = tcp_client::connect(server.host(), server.port());
    const std::string peer = c.local_endpoint();
    zero_write(c);
    c.send_all("abc");
    zero_write(c);
    zero_write(c);
    c.send_all("def\n");
    zero_write(c);
    c.shutdown_send();
    const read_result r = c.read_until_eof();
    CHECK(r.data == "abcdef\n");
    CHECK(r.is_eof);
    CHECK(server.wait_for_log("closed " + peer));
    CHECK_THAT(server.log(), Catch::Contains(": 7 bytes in, 7 bytes out (eof)"));
  }
  SECTION("prefix") {
    running_server server({"--reply", "prefix"});
    tcp_client c = tcp_client::connect(server.host(), server.port());
    c.send_all("one\n");
    zero_write(c);
    c.send_all("two\n");
    zero_write(c);
    // A zero-length write is no message: nothing comes back for it.
    const read_result r = c.read(std::string("Echo: one\nEcho: two\n").size());
    CHECK(r.data == "Echo: one\nEcho: two\n");
    zero_write(c);
    c.shutdown_send();
    const read_result rest = c.read_until_eof();
    CHECK(rest.data.empty());
    CHECK(rest.is_eof);
  }
}

// Telnet's Synch sends its byte as TCP urgent data. Without SO_OOBINLINE the kernel takes the
// urgent byte out of the stream, and an echo server that never reads it "out of band" drops it.
TEST_CASE("hostile: urgent (MSG_OOB) data is echoed in order with everything else",
          "[integration][hostile]") {
  const auto send_with_urgent_byte = [](tcp_client& c) {
    c.send_all("abc");
    REQUIRE(::send(c.fd(), "X", 1, MSG_OOB | MSG_NOSIGNAL) == 1);
    c.send_all("def\n");
    c.shutdown_send();
  };
  SECTION("echo") {
    running_server server;
    tcp_client c = tcp_client::connect(server.host(), server.port());
    send_with_urgent_byte(c);
    const read_result r = c.read_until_eof();
    CHECK(r.data == "abcXdef\n");
    CHECK(r.is_eof);
    CHECK(server.wait_for_log(": 8 bytes in, 8 bytes out (eof)"));
  }
  SECTION("prefix") {
    running_server server({"--reply", "prefix"});
    tcp_client c = tcp_client::connect(server.host(), server.port());
    send_with_urgent_byte(c);
    const read_result r = c.read_until_eof();
    CHECK(r.data == "Echo: abcXdef\n");
    CHECK(r.is_eof);
  }
}
