// --proxy-protocol: a PROXY v1 or v2 header (what HAProxy's send-proxy / send-proxy-v2 add)
// before the data names the real client for the logs and the per-address limit. The header is
// never echoed; a missing or malformed one closes the connection with a logged reason. The
// headers here are written by hand, byte for byte; test_haproxy.cpp runs the real HAProxy.

#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tls_files.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace echo::test;

namespace {

// A v2 PROXY header for TCP over IPv4 from 203.0.113.9:4242 to 127.0.0.1:8888, with one
// 4-byte TLV (type 0xEE) after the addresses, which the server must skip.
std::string v2_header(bool is_local = false) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += is_local ? '\x20' : '\x21';          // version 2, LOCAL or PROXY
  h += '\x11';                              // TCP over IPv4
  h += std::string("\x00\x13", 2);          // 12 bytes of addresses + 7 of TLV
  h += std::string("\xCB\x00\x71\x09", 4);  // 203.0.113.9
  h += std::string("\x7F\x00\x00\x01", 4);  // 127.0.0.1
  h += std::string("\x10\x92", 2);          // 4242
  h += std::string("\x22\xB8", 2);          // 8888
  h += std::string("\xEE\x00\x04zzzz", 7);  // a TLV
  return h;
}

std::string round_trip(const running_server& server, const std::string& bytes) {
  tcp_client client = tcp_client::connect("127.0.0.1", server.port());
  client.send_all(bytes);
  client.shutdown_send();
  return client.read_until_eof().data;
}

}  // namespace

TEST_CASE("proxy: a v1 header names the client and is not echoed", "[integration][proxy]") {
  running_server server({"--proxy-protocol"});
  CHECK(server.wait_for_log("(PROXY protocol, reply echo)"));
  CHECK(round_trip(server, "PROXY TCP4 192.0.2.7 127.0.0.1 5555 8888\r\nhello\n") == "hello\n");
  CHECK(server.wait_for_log("connection from 192.0.2.7:5555"));
  CHECK(server.wait_for_log("closed 192.0.2.7:5555 after"));
}

TEST_CASE("proxy: a v1 TCP6 header, sent a byte at a time", "[integration][proxy]") {
  running_server server({"--proxy-protocol", "--reply", "prefix"});
  tcp_client client = tcp_client::connect("127.0.0.1", server.port());
  for (char c : std::string("PROXY TCP6 2001:db8::5 ::1 40000 8888\r\n")) {
    client.send_all(std::string(1, c));
  }
  client.send_all("line\n");
  CHECK(client.read_until("\n").data == "Echo: line\n");
  CHECK(server.wait_for_log("connection from [2001:db8::5]:40000"));
}

TEST_CASE("proxy: a v2 header with a TLV, data in the same segment", "[integration][proxy]") {
  running_server server({"--proxy-protocol"});
  CHECK(round_trip(server, v2_header() + "binary\x01\x02") == "binary\x01\x02");
  CHECK(server.wait_for_log("connection from 203.0.113.9:4242"));
}

TEST_CASE("proxy: a v2 LOCAL header (health check) keeps the socket's address",
          "[integration][proxy]") {
  running_server server({"--proxy-protocol"});
  CHECK(round_trip(server, v2_header(true) + "ping\n") == "ping\n");
  CHECK(server.wait_for_log("connection from 127.0.0.1:"));
}

TEST_CASE("proxy: no header or a malformed one closes with a logged reason",
          "[integration][proxy]") {
  running_server server({"--proxy-protocol"});
  CHECK(round_trip(server, "hello\n").empty());
  CHECK(server.wait_for_log("not a PROXY protocol header; closing"));
  CHECK(round_trip(server, "PROXY TCP4 1.2.3 127.0.0.1 1 2\r\nhello\n").empty());
  CHECK(server.wait_for_log_count("(bad PROXY header)", 2));
  CHECK(server.log().find("hello") == std::string::npos);
}

TEST_CASE("proxy: without --proxy-protocol a header is just data", "[integration][proxy]") {
  running_server server;
  const std::string header = "PROXY TCP4 192.0.2.7 127.0.0.1 5555 8888\r\n";
  CHECK(round_trip(server, header) == header);
}

TEST_CASE("proxy: an incomplete header is closed at the handshake timeout",
          "[integration][proxy]") {
  running_server server({"--proxy-protocol", "--handshake-timeout", "1"});
  tcp_client client = tcp_client::connect("127.0.0.1", server.port());
  client.send_all("PROXY TCP4 192.0.2.7");
  CHECK(client.read_until_eof(deadline::in(std::chrono::seconds(10))).is_eof);
  CHECK(server.wait_for_log("no complete PROXY header within the handshake timeout"));
}

TEST_CASE("proxy: the per-address limit counts the address in the header", "[integration][proxy]") {
  running_server server({"--proxy-protocol", "--max-connections-per-ip", "1"});
  tcp_client first = tcp_client::connect("127.0.0.1", server.port());
  first.send_all("PROXY TCP4 192.0.2.1 127.0.0.1 1000 8888\r\nfirst\n");
  CHECK(first.read_until("\n").data == "first\n");
  // Another client behind the same proxy: a different address, served.
  tcp_client other = tcp_client::connect("127.0.0.1", server.port());
  other.send_all("PROXY TCP4 192.0.2.2 127.0.0.1 1000 8888\r\nother\n");
  CHECK(other.read_until("\n").data == "other\n");
  // The first address again: refused.
  tcp_client again = tcp_client::connect("127.0.0.1", server.port());
  again.send_all("PROXY TCP4 192.0.2.1 127.0.0.1 1001 8888\r\nagain\n");
  CHECK(again.read_until_eof().data == "error: too many connections, try again later\n");
  CHECK(server.wait_for_log("refused 192.0.2.1:1001"));
}

TEST_CASE("proxy: the header comes before the TLS handshake", "[integration][proxy][tls]") {
  const tls_files& files = tls_files::get();
  running_server server({"--proxy-protocol", "--tls-cert", files.path("server.pem"), "--tls-key",
                         files.path("server.key")});
  // The header, then the first bytes of a ClientHello in the same segment: the header names the
  // client and the rest goes to the handshake, which waits for more (no TLS client here can
  // send a PROXY header; HAProxy in front of a TLS server does, see test_haproxy.cpp).
  tcp_client client = tcp_client::connect("127.0.0.1", server.port());
  client.send_all("PROXY TCP4 198.51.100.3 127.0.0.1 7777 8888\r\n\x16\x03\x01");
  CHECK(server.wait_for_log("connection from 198.51.100.3:7777"));
  client.close();
  CHECK(server.wait_for_log("closed 198.51.100.3:7777"));
}

// On a TLS port the per-address refusal is a close without a byte, as --max-connections's is:
// a plaintext line would reach the client as a broken handshake.
TEST_CASE("proxy: behind TLS the per-address refusal writes no plaintext",
          "[integration][proxy][tls]") {
  const tls_files& files = tls_files::get();
  running_server server({"--proxy-protocol", "--max-connections-per-ip", "1", "--tls-cert",
                         files.path("server.pem"), "--tls-key", files.path("server.key")});
  tcp_client first = tcp_client::connect("127.0.0.1", server.port());
  first.send_all("PROXY TCP4 192.0.2.1 127.0.0.1 1000 8888\r\n");
  CHECK(server.wait_for_log("connection from 192.0.2.1:1000"));
  tcp_client again = tcp_client::connect("127.0.0.1", server.port());
  again.send_all("PROXY TCP4 192.0.2.1 127.0.0.1 1001 8888\r\n");
  const read_result r = again.read_until_eof();
  CHECK(r.data.empty());
  CHECK(r.is_eof);
  CHECK(server.wait_for_log("refused 192.0.2.1:1001"));
}
