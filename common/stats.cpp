#include "common/stats.hpp"

namespace echo {

namespace {

std::string count_of(std::uint64_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

stats& stats::operator+=(const stats& other) {
  connections_total += other.connections_total.load();
  connections_active += other.connections_active.load();
  bytes_in += other.bytes_in.load();
  bytes_out += other.bytes_out.load();
  refused += other.refused.load();
  timed_out += other.timed_out.load();
  return *this;
}

std::string stats::summary() const {
  return "served " + count_of(connections_total, "connection", "connections") + ", " +
         count_of(bytes_in, "byte", "bytes") + " in, " + count_of(bytes_out, "byte", "bytes") +
         " out" + (refused != 0 ? ", " + std::to_string(refused.load()) + " refused" : "") +
         (timed_out != 0 ? ", " + std::to_string(timed_out.load()) + " timed out" : "");
}

std::string stats::name_values() const {
  return "connections_active=" + std::to_string(connections_active.load()) +
         " connections_total=" + std::to_string(connections_total.load()) +
         " bytes_in=" + std::to_string(bytes_in.load()) +
         " bytes_out=" + std::to_string(bytes_out.load()) +
         " refused=" + std::to_string(refused.load()) +
         " timed_out=" + std::to_string(timed_out.load());
}

}  // namespace echo
