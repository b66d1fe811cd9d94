#pragma once
// Splits a byte stream into lines, whatever the chunks it arrives in. A line ends at '\n'; a '\r'
// just before it belongs to the ending, so telnet's "\r\n" works. Created and owned by one
// reply_policy (one per connection); no I/O. Holds at most max_line bytes of an unfinished line,
// plus a final '\r' that may turn out to be the start of its ending.

#include <cstddef>
#include <string>
#include <string_view>

namespace echo {

struct line {
  std::string_view content;  // without its ending
  std::string_view ending;   // "\n", "\r\n", or "" for an unterminated message
};

class line_splitter {
 public:
  enum class status { ok, stopped, too_long };

  // max_line: the longest content a line may have (its bytes without the "\n" or "\r\n").
  explicit line_splitter(std::size_t max_line) : max_line_(max_line) {}

  // Calls on_line(line) for each complete line in `in`, in order; on_line returns false to stop
  // (feed then returns stopped, and consumed() says where in `in` it stopped). A line whose
  // content exceeds max_line, complete or not, makes feed return too_long at once; lines before it
  // were delivered. The views passed to on_line are valid only during the call.
  template <class OnLine>
  status feed(std::string_view in, OnLine&& on_line);

  // How many bytes of the last feed's `in` were used: all of them, unless feed returned stopped
  // (up to the end of the line that stopped it) or too_long.
  std::size_t consumed() const { return consumed_; }

  // True when bytes of an unfinished line are held.
  bool has_partial() const { return !partial_.empty(); }
  std::size_t partial_size() const { return partial_.size(); }

  // Hands the held bytes over as one unterminated message (ending ""), and forgets them. Returns
  // too_long, delivering nothing, when they exceed max_line: that is max_line bytes and a final
  // '\r', which no "\n" made an ending.
  template <class OnLine>
  status take_partial(OnLine&& on_line);

  std::size_t max_line() const { return max_line_; }
  // The capacity of the unfinished line's buffer, for tests of what an idle connection costs.
  std::size_t memory_held() const { return partial_.capacity(); }

 private:
  static line make_line(std::string_view with_lf);
  // May the unfinished line grow to `size` bytes? One more than max_line if the last is '\r'.
  bool fits_partial(std::size_t size, char last) const {
    return size <= max_line_ || (size - max_line_ == 1 && last == '\r');
  }
  void forget_partial();

  std::size_t max_line_;
  std::size_t consumed_ = 0;
  std::string partial_;
};

template <class OnLine>
line_splitter::status line_splitter::feed(std::string_view in, OnLine&& on_line) {
  const std::size_t size = in.size();
  consumed_ = 0;
  while (!in.empty()) {
    const std::size_t lf = in.find('\n');
    if (lf == std::string_view::npos) {
      if (!fits_partial(partial_.size() + in.size(), in.back())) return status::too_long;
      partial_.append(in);
      break;
    }
    std::string_view head = in.substr(0, lf + 1);
    in.remove_prefix(lf + 1);
    const bool has_cr =
        lf != 0 ? head[lf - 1] == '\r' : !partial_.empty() && partial_.back() == '\r';
    if (partial_.size() + head.size() - (has_cr ? 2 : 1) > max_line_) return status::too_long;
    bool keep_going;
    if (partial_.empty()) {
      keep_going = on_line(make_line(head));
    } else {
      partial_.append(head);
      keep_going = on_line(make_line(partial_));
      forget_partial();
    }
    if (!keep_going) {
      consumed_ = size - in.size();
      return status::stopped;
    }
  }
  consumed_ = size;
  return status::ok;
}

template <class OnLine>
line_splitter::status line_splitter::take_partial(OnLine&& on_line) {
  if (partial_.empty()) return status::ok;
  if (partial_.size() > max_line_) return status::too_long;
  on_line(line{partial_, {}});
  forget_partial();
  return status::ok;
}

}  // namespace echo
