#include "common/stats.hpp"

namespace echo {

namespace {

std::string count_of(std::uint64_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

stats& stats::operator+=(const stats& other) {
  connections_total += other.connections_total;
  connections_active += other.connections_active;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  refused += other.refused;
  timed_out += other.timed_out;
  return *this;
}

std::string stats::summary() const {
  return "served " + count_of(connections_total, "connection", "connections") + ", " +
         count_of(bytes_in, "byte", "bytes") + " in, " + count_of(bytes_out, "byte", "bytes") +
         " out" + (refused != 0 ? ", " + std::to_string(refused) + " refused" : "") +
         (timed_out != 0 ? ", " + std::to_string(timed_out) + " timed out" : "");
}

}  // namespace echo
