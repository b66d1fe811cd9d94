#include "common/framing.hpp"

namespace echo {

line line_splitter::make_line(std::string_view with_lf) {
  std::size_t ending = 1;
  if (with_lf.size() >= 2 && with_lf[with_lf.size() - 2] == '\r') ending = 2;
  return line{with_lf.substr(0, with_lf.size() - ending), with_lf.substr(with_lf.size() - ending)};
}

}  // namespace echo
