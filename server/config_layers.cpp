#include "server/config_layers.hpp"

#include "common/escape.hpp"

#include <cctype>
#include <cerrno>
#include <set>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace echo {

namespace po = boost::program_options;

namespace {

// Values that Program_options did not default, so that a later layer can tell what is new.
std::set<std::string> given_names(const po::variables_map& values) {
  std::set<std::string> names;
  for (const auto& [name, value] : values) {
    if (!value.defaulted()) names.insert(name);
  }
  return names;
}

bool is_given(const po::variables_map& values, const std::string& name) {
  const auto it = values.find(name);
  return it != values.end() && !it->second.defaulted();
}

std::string lowercase_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// Closes a descriptor at the end of a scope.
struct descriptor_guard {
  int fd;
  ~descriptor_guard() { ::close(fd); }
};

// The whole file, or a usage_error saying why it cannot be read ("no such file or directory",
// "is a directory", "not a regular file", "permission denied", too large).
std::string read_file(const std::string& path) {
  const auto fail = [&](const std::string& why) {
    throw usage_error("cannot read config file '" + path + "': " + why);
  };
  const auto fail_with = [&](int error) {
    fail(lowercase_first(std::generic_category().message(error)));
  };
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting for one. The
  // type check is fstat on what was opened, not stat on the path before, so that the file checked
  // is the file read even if the path changes in between. Only a regular file is read: a device
  // (/dev/zero) or a FIFO never ends or may block, a directory is the usual mistake.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail_with(errno);
  const descriptor_guard guard{fd};
  struct stat status {};
  if (::fstat(fd, &status) != 0) fail_with(errno);
  if (S_ISDIR(status.st_mode)) fail_with(EISDIR);
  if (!S_ISREG(status.st_mode)) fail("not a regular file");
  // Read until the end or past the limit rather than trusting st_size, which a file growing as
  // we read (or one in /proc, which says 0) does not keep.
  std::string text;
  char chunk[64 * 1024];
  while (true) {
    const ::ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_with(errno);
    if (n == 0) return text;
    text.append(chunk, static_cast<std::size_t>(n));
    if (text.size() > max_config_file_bytes) {
      fail("larger than " + std::to_string(max_config_file_bytes / (1024 * 1024)) +
           " MiB, the most a config file may hold");
    }
  }
}

}  // namespace

std::string environment_name(std::string_view prefix, std::string_view option) {
  std::string name(prefix);
  for (const char c : option) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

void store_environment(command_line& line, const po::options_description& settable,
                       std::string_view prefix, const po::options_description& command_only) {
  std::map<std::string, std::string> option_of;  // "ECHO_SERVER_MAX_LINE" -> "max-line"
  for (const auto& option : settable.options()) {
    option_of[environment_name(prefix, option->long_name())] = option->long_name();
  }
  const auto to_option = [&](const std::string& variable) -> std::string {
    if (variable.compare(0, prefix.size(), prefix) != 0) return {};
    const auto it = option_of.find(variable);
    if (it != option_of.end()) return it->second;
    for (const auto& option : command_only.options()) {
      if (environment_name(prefix, option->long_name()) == variable) {
        throw usage_error("environment variable " + variable + ": --" + option->long_name() +
                          " works only on the command line");
      }
    }
    throw usage_error("environment variable " + variable + " names no option");
  };
  const po::parsed_options parsed = po::parse_environment(settable, to_option);
  // One at a time, so that an error names its variable.
  for (const po::option& option : parsed.options) {
    const std::string origin =
        "environment variable " + environment_name(prefix, option.string_key);
    if (is_given(line.values, option.string_key)) continue;  // the command line wins
    po::parsed_options one(&settable);
    one.options.push_back(option);
    try {
      po::store(one, line.values);
    } catch (const po::error& e) {
      throw usage_error(origin + ": " + e.what());
    }
    line.origins[option.string_key] = origin;
  }
}

void store_config_file(command_line& line, const po::options_description& settable,
                       const std::string& path, const po::options_description& command_only) {
  const std::string origin = "config file '" + path + "'";
  std::istringstream text(read_file(path));
  po::parsed_options parsed(&settable);
  try {
    parsed = po::parse_config_file(text, settable, true);
  } catch (const po::error& e) {
    throw usage_error(origin + ": " + e.what());
  }
  for (po::option& option : parsed.options) {
    if (option.unregistered) {
      if (command_only.find_nothrow(option.string_key, false) != nullptr) {
        throw usage_error(origin + ": --" + option.string_key + " works only on the command line");
      }
      throw usage_error(origin + ": unrecognised option '" + option.string_key + "'");
    }
    try {
      for (std::string& value : option.value) value = unquote_config_value(value);
    } catch (const usage_error& e) {
      throw usage_error(origin + ": " + option.string_key + ": " + e.what());
    }
  }
  const std::set<std::string> before = given_names(line.values);
  try {
    po::store(parsed, line.values);
  } catch (const po::error& e) {
    throw usage_error(origin + ": " + e.what());
  }
  for (const std::string& name : given_names(line.values)) {
    if (before.count(name) == 0) line.origins[name] = origin;
  }
}

}  // namespace echo
