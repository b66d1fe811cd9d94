// events: the closed line's text and JSON come from one call and carry the same ending word.

#include "server/events.hpp"

#include <boost/asio/error.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

// Everything `write` logs at debug level in `format`, read back from a temporary file.
template <class Write>
std::string logged(echo::log_format format, Write write) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  write(echo::logger(echo::log_level::debug, fileno(file), format));
  std::rewind(file);
  std::string out;
  char chunk[512];
  while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, file)) out.append(chunk, n);
  std::fclose(file);
  return out;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

TEST_CASE("events: the closed line, text and JSON, with each ending's word", "[events]") {
  struct example {
    echo::ending ending;
    boost::system::error_code ec;
    std::string word;
  };
  const std::vector<example> cases = {
      {echo::ending::eof, {}, "eof"},
      {echo::ending::reset, boost::asio::error::connection_reset, "reset by peer"},
      {echo::ending::idle_timeout, {}, "idle timeout"},
      {echo::ending::bad_proxy_header, {}, "bad PROXY header"},
      {echo::ending::error, boost::asio::error::connection_refused, "connection refused"},
  };
  const echo::events::endpoint peer(boost::asio::ip::make_address("192.0.2.1"), 5000);
  for (const auto& c : cases) {
    CAPTURE(c.word);
    const auto write = [&](const echo::logger& log) {
      echo::events::closed(log, peer, std::chrono::milliseconds(1500), 3, 4, c.ending, c.ec);
    };
    const std::string text = logged(echo::log_format::text, write);
    CHECK(ends_with(text, " info: closed 192.0.2.1:5000 after 1.500s: 3 bytes in, 4 bytes out (" +
                              c.word + ")\n"));
    const std::string json = logged(echo::log_format::json, write);
    CHECK(ends_with(json,
                    "\"event\":\"closed\",\"peer\":\"192.0.2.1:5000\",\"bytes_in\":3,"
                    "\"bytes_out\":4,\"duration_ms\":1500,\"reason\":\"" +
                        c.word +
                        "\",\"message\":\"closed 192.0.2.1:5000 after 1.500s: "
                        "3 bytes in, 4 bytes out (" +
                        c.word + ")\"}\n"));
  }
}
