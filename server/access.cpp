#include "server/access.hpp"

namespace echo {

address_filter make_access_filter(const std::vector<std::string>& allow,
                                  const std::vector<std::string>& deny) {
  address_filter filter;
  std::string error;
  for (const std::string& rule : allow) {
    if (const auto parsed = parse_cidr(rule, error)) filter.add_allow(*parsed);
  }
  for (const std::string& rule : deny) {
    if (const auto parsed = parse_cidr(rule, error)) filter.add_deny(*parsed);
  }
  return filter;
}

}  // namespace echo
