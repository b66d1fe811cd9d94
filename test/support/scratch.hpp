#pragma once
// Local resources a test borrows: a TCP port that was free a moment ago, for programs that cannot
// bind port 0 and report the port (HAProxy, openssl s_server, systemd-socket-activate,
// Prometheus: callers retry when another program took it meanwhile), and a temporary directory
// removed with everything in it at the end of the scope.

#include <cstdint>
#include <filesystem>
#include <string>

namespace echo::test {

// The kernel's pick for 127.0.0.1:0, bound, read and released. Throws std::runtime_error.
std::uint16_t free_port();

class temp_dir {
 public:
  // Made under the system's temporary directory as echo-TAG-XXXXXX. Throws std::runtime_error.
  explicit temp_dir(const std::string& tag);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace echo::test
