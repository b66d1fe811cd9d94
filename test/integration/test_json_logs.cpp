// --log-format json on the real echo-server: a busy run with -v (several clients, text with quotes
// and backslashes, bytes that are not UTF-8, a refused connection, an idle timeout, SIGUSR1 and
// shutdown) where every stderr line must be one JSON object in valid UTF-8, checked by python3's
// json module, and the main events must carry their fields as JSON numbers and strings.

#include "support/process.hpp"
#include "support/running_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_data.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace echo::test;

namespace {

// Reads the log on stdin and checks each line: valid UTF-8, one JSON object with no duplicate
// names, ts in RFC 3339 UTC with milliseconds, level, event and message strings first and last.
// Prints each object again with sorted keys and ASCII escapes, one per line, so the test can
// match the decoded values; exits 1 with the bad line on stderr at the first failure.
constexpr const char* check_script = R"(
import json, re, sys
ts = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$')
def no_duplicates(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise ValueError('duplicate name')
    return dict(pairs)
data = sys.stdin.buffer.read()
if not data.endswith(b'\n'):
    sys.exit('the log does not end with a newline')
for raw in data.split(b'\n')[:-1]:
    try:
        text = raw.decode('utf-8')
        obj = json.loads(text, object_pairs_hook=no_duplicates)
        names = list(obj.keys())
        assert names[:3] == ['ts', 'level', 'event'] and names[-1] == 'message', names
        assert ts.match(obj['ts']), obj['ts']
        assert obj['level'] in ('debug', 'info', 'warning', 'error'), obj['level']
        assert all(isinstance(obj[k], str) for k in ('event', 'message'))
    except Exception as e:
        sys.exit('bad line %r: %s' % (raw, e))
    print(json.dumps(obj, sort_keys=True, ensure_ascii=True))
)";

// The checked, re-printed lines; fails the test when python3 rejects the log.
std::vector<std::string> checked_json_lines(const std::string& log) {
  const run_result checked = run_to_exit({"python3", "-c", check_script}, log);
  INFO("python3 stderr: " << checked.err << "\nlog:\n" << log);
  REQUIRE(checked.exit_code == std::optional<int>(0));
  std::vector<std::string> lines;
  std::istringstream in(checked.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of event `name` (re-printed with sorted keys, so `"event": "closed"`).
std::vector<std::string> events(const std::vector<std::string>& lines, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& line : lines) {
    if (line.find("\"event\": \"" + name + "\"") != std::string::npos) found.push_back(line);
  }
  return found;
}

bool has(const std::string& line, const std::string& pattern) {
  return std::regex_search(line, std::regex(pattern));
}

// One echo exchange: sends `bytes`, half-closes and reads the echo to EOF.
void echo_once(running_server& server, const std::string& bytes) {
  tcp_client client = tcp_client::connect(server.host(), server.port());
  client.send_all(bytes);
  client.shutdown_send();
  CHECK(client.read_until_eof().data == bytes);
}

}  // namespace

TEST_CASE("json logs: every line of a busy run parses and the events carry their fields",
          "[integration][log][json]") {
  running_server server(
      {"--log-format", "json", "-v", "--max-connections", "2", "--idle-timeout", "2"});
  const std::string quoted = "say \"hi\" to C:\\temp\\n\n";
  const std::string binary = std::string("\xff\xfe\xc3( \x00\x1b[2J\xc3\xa9\n", 13);

  // Two clients at once, then a third over --max-connections 2.
  tcp_client text_client = tcp_client::connect(server.host(), server.port());
  tcp_client binary_client = tcp_client::connect(server.host(), server.port());
  const std::string text_peer = text_client.local_endpoint();
  text_client.send_all(quoted);
  binary_client.send_all(binary);
  CHECK(text_client.read(quoted.size()).data == quoted);
  CHECK(binary_client.read(binary.size()).data == binary);
  tcp_client refused = tcp_client::connect(server.host(), server.port());
  const std::string refused_peer = refused.local_endpoint();
  refused.read_until_eof();
  REQUIRE(server.wait_for_log("\"event\":\"refused\""));
  for (tcp_client* c : {&text_client, &binary_client}) {
    c->shutdown_send();
    c->read_until_eof();
  }
  REQUIRE(server.wait_for_log_count("\"event\":\"closed\"", 2));

  // A few quick clients in a row, then one left idle past --idle-timeout.
  for (int i = 0; i < 5; ++i) echo_once(server, "ping " + std::to_string(i) + "\n");
  tcp_client idle = tcp_client::connect(server.host(), server.port());
  const std::string idle_peer = idle.local_endpoint();
  CHECK(idle.read_until_eof(deadline::in(std::chrono::seconds(20))).is_eof);
  REQUIRE(server.wait_for_log("\"reason\":\"idle timeout\""));

  server.proc().signal(SIGUSR1);
  REQUIRE(server.wait_for_log("\"event\":\"stats\""));
  REQUIRE(server.stop() == 0);

  const std::vector<std::string> lines = checked_json_lines(server.log());
  INFO("re-printed log:\n"
       << [&] {
            std::string all;
            for (const auto& l : lines) all += l + "\n";
            return all;
          }());
  REQUIRE(lines.size() >= 20);

  const auto listening = events(lines, "listening");
  REQUIRE(listening.size() == 1);
  CHECK(has(listening[0], "\"port\": " + std::to_string(server.port()) + "[,}]"));
  CHECK(has(listening[0], R"("address": "127\.0\.0\.1")"));
  CHECK(has(listening[0], R"("reply": "echo")"));

  // Refused connections never get a session: no accepted or closed line for them.
  const std::string peer_of_text = "\"peer\": \"" + regex_escape(text_peer) + "\"";
  const auto accepted = events(lines, "accepted");
  CHECK(accepted.size() == 8);
  CHECK(std::count_if(accepted.begin(), accepted.end(), [&](const std::string& l) {
          return has(l, R"("open": [12], )" + peer_of_text);
        }) == 1);

  const auto closed = events(lines, "closed");
  REQUIRE(closed.size() == 8);
  for (const auto& line : closed) {
    INFO(line);
    CHECK(has(line, R"("bytes_in": [0-9]+, "bytes_out": [0-9]+, "duration_ms": [0-9]+,)"));
    CHECK(has(line, R"re("reason": "(eof|idle timeout)")re"));
  }
  const std::string size = std::to_string(quoted.size());
  CHECK(std::count_if(closed.begin(), closed.end(), [&](const std::string& l) {
          return has(l, "\"bytes_in\": " + size + ", \"bytes_out\": " + size + ",.*" +
                            peer_of_text + R"(, "reason": "eof")");
        }) == 1);
  CHECK(std::count_if(closed.begin(), closed.end(), [&](const std::string& l) {
          return has(
              l, R"("bytes_in": 0, "bytes_out": 0, "duration_ms": ([2-9]|[1-9][0-9])[0-9]{3},.*)" +
                     std::string("\"peer\": \"") + regex_escape(idle_peer) +
                     R"(", "reason": "idle timeout")");
        }) == 1);

  const auto refusals = events(lines, "refused");
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].find("\"peer\": \"" + refused_peer + "\"") != std::string::npos);
  CHECK(refusals[0].find(R"("reason": "max_connections")") != std::string::npos);
  CHECK(refusals[0].find(R"("level": "warning")") != std::string::npos);

  // The client's bytes, decoded from JSON: quotes and backslashes as sent, bytes that are not
  // UTF-8 as the text \xHH, controls and UTF-8 as the characters they are.
  const auto messages = events(lines, "message");
  const auto has_text = [&](const std::string& text) {
    return std::count_if(messages.begin(), messages.end(), [&](const std::string& l) {
             return l.find(R"("level": "debug")") != std::string::npos &&
                    l.find("\"text\": " + text) != std::string::npos;
           }) == 1;
  };
  CHECK(has_text(R"("say \"hi\" to C:\\temp\\n\n")"));
  CHECK(has_text(R"("\\xff\\xfe\\xc3( \u0000\u001b[2J\u00e9\n")"));
  CHECK(has_text(R"("ping 4\n")"));

  const std::string counters =
      R"("bytes_in": [0-9]+, "bytes_out": [0-9]+, "connections_active": 0, )"
      R"("connections_total": 8, .*"refused": 1, "timed_out": 1)";
  const auto stats = events(lines, "stats");
  REQUIRE(stats.size() == 1);
  CHECK(has(stats[0], counters));
  const auto shutdown = events(lines, "shutdown");
  REQUIRE(shutdown.size() == 1);
  CHECK(has(shutdown[0], counters));
  CHECK(has(shutdown[0], R"("message": "shut down: served 8 connections)"));
}

TEST_CASE("json logs: a bad --log-format is a one-line usage error", "[integration][log][json]") {
  const run_result r = run_to_exit({echo_server_path(), "--log-format", "yaml"});
  CHECK(r.exit_code == std::optional<int>(2));
  CHECK(r.err ==
        "echo-server: invalid --log-format 'yaml': expected text or json (try 'echo-server "
        "--help')\n");
}

TEST_CASE("json logs: the text format stays the default", "[integration][log][json]") {
  running_server server({"--log-format", "text"});
  REQUIRE(server.stop() == 0);
  CHECK(server.log().find('{') == std::string::npos);
  CHECK(server.log().find(" info: listening on 127.0.0.1:") != std::string::npos);
}
