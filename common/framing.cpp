#include "common/framing.hpp"

namespace echo {

namespace {

// An unfinished line's buffer is kept for the next one up to this size; a longer one is freed, so
// an idle connection does not keep the memory of the longest line it ever had.
constexpr std::size_t kept_partial_capacity = 256;

}  // namespace

void line_splitter::forget_partial() {
  partial_.clear();
  if (partial_.capacity() > kept_partial_capacity) std::string().swap(partial_);
}

line line_splitter::make_line(std::string_view with_lf) {
  std::size_t ending = 1;
  if (with_lf.size() >= 2 && with_lf[with_lf.size() - 2] == '\r') ending = 2;
  return line{with_lf.substr(0, with_lf.size() - ending), with_lf.substr(with_lf.size() - ending)};
}

}  // namespace echo
