#include "common/stats.hpp"

namespace echo {

std::string stats::summary() const {
  return "served " + std::to_string(connections_total) + " connection" +
         (connections_total == 1 ? "" : "s") + ", " + std::to_string(bytes_in) + " bytes in, " +
         std::to_string(bytes_out) + " bytes out";
}

}  // namespace echo
