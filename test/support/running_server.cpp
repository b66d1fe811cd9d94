#include "support/running_server.hpp"

#include <catch2/catch.hpp>

#include <exception>
#include <stdexcept>

namespace echo::test {

namespace {

std::vector<std::string> command_line(const std::vector<std::string>& args,
                                      const std::vector<std::string>& wrapper) {
  std::vector<std::string> argv = wrapper;
  argv.insert(argv.end(), {echo_server_path(), "--port", "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::string echo_server_path() { return ECHO_SERVER_PATH; }

std::size_t count_occurrences(std::string_view haystack, std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = haystack.find(text); at != std::string_view::npos;
       at = haystack.find(text, at + text.size())) {
    ++count;
  }
  return count;
}

running_server::running_server(const std::vector<std::string>& args,
                               const std::vector<std::string>& wrapper)
    : process_(command_line(args, wrapper)) {
  // "listening on 127.0.0.1:44717 (reply echo)" or "listening on [::1]:44717 (reply echo)"
  static const std::regex listening(R"(listening on (\[([^\]]+)\]|([0-9.]+)):([0-9]+) )");
  const auto match = process_.read_stderr_until(listening, deadline::after_default());
  if (!match) {
    throw std::runtime_error("echo-server did not report 'listening on'; its stderr:\n" +
                             process_.stderr_text());
  }
  host_ = (*match)[2].empty() ? (*match)[3] : (*match)[2];
  port_ = static_cast<std::uint16_t>(std::stoi((*match)[4]));
}

running_server::~running_server() {
  if (is_stopped_) return;
  const auto code = stop();
  // While a failed REQUIRE unwinds the test, stopping is all we do: that failure is the story.
  if (std::uncaught_exceptions() == 0) {
    INFO("echo-server log:\n" << log());
    CHECK(code == std::optional<int>(0));
  }
}

bool running_server::wait_for_log(std::string_view text, deadline d) {
  return process_.read_stderr_until(text, d);
}

std::optional<std::vector<std::string>> running_server::wait_for_log(const std::regex& pattern,
                                                                     deadline d) {
  return process_.read_stderr_until(pattern, d);
}

bool running_server::wait_for_log_count(std::string_view text, std::size_t count, deadline d) {
  return process_.wait_for_stderr(
      [&](const std::string& log) { return count_occurrences(log, text) >= count; }, d);
}

std::optional<int> running_server::stop(int signal_number, deadline d) {
  process_.signal(signal_number);
  return wait_exit(d);
}

std::optional<int> running_server::wait_exit(deadline d) {
  is_stopped_ = true;
  const auto code = process_.wait_exit(d);
  // Its last lines may still be in the pipe; the tests that stop a server then read its log.
  if (code) process_.read_stderr_until_eof(deadline::in(std::chrono::seconds(2)));
  return code;
}

}  // namespace echo::test
