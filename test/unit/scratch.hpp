#pragma once
// Helpers shared by the option tests: a config file in the temporary directory, and an
// environment variable set for one test. Test-only; header-only like chunking.hpp.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace echo::test {

// A file in the temporary directory holding `text`, removed at the end of the test.
class scratch_file {
 public:
  explicit scratch_file(const std::string& text) {
    static int made = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("echo-test-" + std::to_string(::getpid()) + "-" + std::to_string(++made) + ".conf"))
                .string();
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~scratch_file() { std::remove(path_.c_str()); }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Sets an environment variable for one test (Catch runs tests on one thread).
class scoped_variable {
 public:
  scoped_variable(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~scoped_variable() { ::unsetenv(name_); }
  scoped_variable(const scoped_variable&) = delete;
  scoped_variable& operator=(const scoped_variable&) = delete;

 private:
  const char* name_;
};

}  // namespace echo::test
