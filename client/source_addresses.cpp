#include "client/source_addresses.hpp"

#include "common/endpoint.hpp"
#include "common/escape.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace echo {

namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::address_v4;
using asio::ip::address_v6;
using boost::system::error_code;

namespace {

// An IPv6 address as two 64-bit halves, most significant first, for range arithmetic.
using halves = std::pair<std::uint64_t, std::uint64_t>;

halves halves_of(const address_v6& a) {
  const address_v6::bytes_type bytes = a.to_bytes();
  halves h{0, 0};
  for (std::size_t i = 0; i < 8; ++i) h.first = (h.first << 8) | bytes[i];
  for (std::size_t i = 8; i < 16; ++i) h.second = (h.second << 8) | bytes[i];
  return h;
}

address_v6 v6_of(halves h, unsigned long scope) {
  address_v6::bytes_type bytes{};
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[7 - i] = static_cast<unsigned char>(h.first >> (8 * i));
    bytes[15 - i] = static_cast<unsigned char>(h.second >> (8 * i));
  }
  return address_v6(bytes, scope);
}

// last - first + 1, or nullopt when last is below first; counts above max_count come back as
// max_count + 1, which is enough for the caller to refuse them.
std::optional<std::size_t> count_between(const address& first, const address& last) {
  constexpr std::uint64_t too_many = source_addresses::max_count + 1;
  if (first.is_v4()) {
    const std::uint64_t a = first.to_v4().to_uint();
    const std::uint64_t b = last.to_v4().to_uint();
    if (b < a) return std::nullopt;
    return static_cast<std::size_t>(std::min(b - a + 1, too_many));
  }
  const halves a = halves_of(first.to_v6());
  const halves b = halves_of(last.to_v6());
  if (b < a) return std::nullopt;
  const std::uint64_t high = b.first - a.first - (b.second < a.second ? 1 : 0);
  const std::uint64_t low = b.second - a.second;
  if (high != 0 || low >= too_many) return static_cast<std::size_t>(too_many);
  return static_cast<std::size_t>(low + 1);
}

address advance(const address& first, std::size_t offset) {
  if (first.is_v4()) {
    return address_v4(static_cast<address_v4::uint_type>(first.to_v4().to_uint() + offset));
  }
  halves h = halves_of(first.to_v6());
  h.second += offset;
  if (h.second < offset) ++h.first;
  return v6_of(h, first.to_v6().scope_id());
}

const char* family_of(const address& a) { return a.is_v4() ? "IPv4" : "IPv6"; }

std::string text_of(const address& a) { return a.is_v6() ? a.to_v6().to_string() : a.to_string(); }

}  // namespace

source_addresses source_addresses::parse(const std::string& text) {
  const auto invalid = [&text](const std::string& why) {
    return usage_error("invalid --source '" + text + "': " + why);
  };
  source_addresses sources;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) throw invalid("an empty address");
    const std::size_t dash = item.find('-');
    const std::string first_text = item.substr(0, dash);
    const auto first = parse_address(first_text);
    if (!first) throw invalid("'" + first_text + "' is not an IP address");
    address last = *first;
    if (dash != std::string::npos) {
      const std::string last_text = item.substr(dash + 1);
      std::optional<address> parsed = parse_address(last_text);
      // "127.0.0.1-16": the last octet only.
      if (first->is_v4() && !last_text.empty() && last_text.size() <= 3 &&
          is_all_digits(last_text) && std::stoul(last_text) <= 255) {
        parsed = address_v4((first->to_v4().to_uint() & 0xFFFF'FF00u) | std::stoul(last_text));
      }
      if (!parsed) throw invalid("'" + last_text + "' is not an IP address");
      last = *parsed;
    }
    if (last.is_v4() != first->is_v4() ||
        (!sources.ranges_.empty() && sources.ranges_.front().first.is_v4() != first->is_v4())) {
      throw invalid("IPv4 and IPv6 addresses mixed");
    }
    const std::optional<std::size_t> count = count_between(*first, last);
    if (!count) throw invalid("the range '" + item + "' runs backwards");
    sources.count_ += *count;
    if (sources.count_ > max_count) {
      throw invalid("more than " + std::to_string(max_count) + " addresses");
    }
    sources.ranges_.push_back({*first, *count});
  }
  return sources;
}

source_addresses source_addresses::churn_default(const address& target) {
  if (!target.is_v4() || !target.is_loopback()) return {};
  source_addresses sources;
  sources.ranges_.push_back({address_v4::loopback(), 16});
  sources.count_ = 16;
  return sources;
}

address source_addresses::at(std::size_t index) const {
  index %= count_;
  for (const range& r : ranges_) {
    if (index < r.count) return advance(r.first, index);
    index -= r.count;
  }
  return ranges_.front().first;  // not reached: index < count_
}

std::string source_addresses::describe() const {
  std::string text;
  for (const range& r : ranges_) {
    if (!text.empty()) text += ',';
    text += text_of(r.first);
    if (r.count > 1) text += "-" + text_of(advance(r.first, r.count - 1));
  }
  return text;
}

error_code bind_source(asio::ip::tcp::socket& socket, const address& source) {
  error_code ec;
  if (!socket.is_open()) {
    socket.open(source.is_v4() ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), ec);
    if (ec) return ec;
  }
  // Best effort: without it (kernels before 4.2) bind picks the port, as nc -s does.
  const int on = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
  socket.bind(asio::ip::tcp::endpoint(source, 0), ec);
  return ec;
}

error_code bind_source(asio::ip::udp::socket& socket, const address& source) {
  error_code ec;
  if (!socket.is_open()) {
    socket.open(source.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
    if (ec) return ec;
  }
  socket.bind(asio::ip::udp::endpoint(source, 0), ec);
  return ec;
}

failure source_failure(const error_code& ec, const std::string& peer, const address& source) {
  failure f = connect_failure(ec, peer);
  f.message = "cannot connect to " + escape_for_log(peer) + " from " + text_of(source) + ": " +
              lower_message(ec);
  return f;
}

// Plain system calls, not an Asio socket (which would also register with epoll): 65,536 of
// these take about a second.
std::optional<failure> check_sources(const source_addresses& sources, const std::string& peer) {
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const asio::ip::tcp::endpoint source(sources.at(i), 0);
    const int fd = ::socket(source.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : 0;
    if (rc == 0) {
      const int on = 1;
      ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
      rc = ::bind(fd, source.data(), static_cast<socklen_t>(source.size()));
    }
    const int error = errno;
    if (fd >= 0) ::close(fd);
    if (rc != 0) {
      return source_failure(error_code(error, boost::system::system_category()), peer,
                            source.address());
    }
  }
  return std::nullopt;
}

failure source_family_failure(const source_addresses& sources, const std::string& server) {
  const char* family = family_of(sources.at(0));
  return {exit_code::usage, "--source " + sources.describe() + " is " + family + " but " +
                                escape_for_log(server) + " has no " + family + " address"};
}

}  // namespace echo
