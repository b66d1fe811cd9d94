#include "server/impairment_settings.hpp"

#include "common/number_args.hpp"

// Boost.JSON as a header-only library: its sources, compiled into this one file (Boost's
// documented way to use it without linking libboost_json). Only this file parses JSON.
#include <boost/json/src.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

namespace echo::impairment {

namespace json = boost::json;

bool settings::operator==(const settings& o) const {
  return delay == o.delay && jitter == o.jitter && throttle == o.throttle &&
         loss_percent == o.loss_percent && reset_after == o.reset_after &&
         reset_chance_percent == o.reset_chance_percent && slice == o.slice &&
         slice_gap == o.slice_gap && stall_after == o.stall_after && stall == o.stall;
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double unit = 1;
  switch (text.back()) {
    case 'k':
    case 'K':
      unit = 1024.0;
      break;
    case 'm':
    case 'M':
      unit = 1024.0 * 1024;
      break;
    case 'g':
    case 'G':
      unit = 1024.0 * 1024 * 1024;
      break;
    default:
      break;
  }
  if (unit != 1) text.remove_suffix(1);
  // Digits and at most one point: no sign, exponent, space or "inf".
  bool has_digit = false;
  int points = 0;
  for (const char c : text) {
    if (c == '.') {
      ++points;
    } else if (c >= '0' && c <= '9') {
      has_digit = true;
    } else {
      return std::nullopt;
    }
  }
  if (!has_digit || points > 1) return std::nullopt;
  const std::optional<double> number = decimal_number(text);
  if (!number) return std::nullopt;
  const double rate = std::round(*number * unit);
  if (!(rate <= static_cast<double>(max_bytes))) return std::nullopt;
  return static_cast<std::uint64_t>(rate);
}

// Adding +0.0 turns a -0.0 (JSON allows "-0.0") into 0, so it is written back as "0", not "-0".
double quantized_percent(double p) { return std::round(p * 1e6) / 1e6 + 0.0; }

std::string percent_text(double p) {
  char text[48];
  std::snprintf(text, sizeof text, "%.6f", quantized_percent(p));
  std::string out(text);
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out;
}

namespace {

// One field of the JSON form: its name and how it is read from a value and written back.
struct field {
  const char* name;
  std::function<std::optional<std::string>(const json::value&, settings&)> read;
  std::function<std::string(const settings&)> write;  // its value as JSON text
};

// A whole number from 0 to `most`, as JSON gives it: an integer, or a double with no fraction.
std::optional<std::uint64_t> whole(const json::value& v, std::uint64_t most) {
  if (v.is_uint64()) {
    if (v.get_uint64() <= most) return v.get_uint64();
  } else if (v.is_int64()) {
    if (v.get_int64() >= 0 && static_cast<std::uint64_t>(v.get_int64()) <= most)
      return static_cast<std::uint64_t>(v.get_int64());
  } else if (v.is_double()) {
    // Below 2^64 before converting: (double)UINT64_MAX is 2^64 itself, which would overflow.
    const double d = v.get_double();
    if (d >= 0 && d < 18446744073709551616.0 && d == std::floor(d) &&
        static_cast<std::uint64_t>(d) <= most)
      return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

field milliseconds_field(const char* name, std::chrono::milliseconds settings::*member) {
  return {name,
          [member](const json::value& v, settings& s) -> std::optional<std::string> {
            const auto ms = whole(v, static_cast<std::uint64_t>(max_duration.count()));
            if (!ms) {
              return "expected milliseconds from 0 to " + std::to_string(max_duration.count());
            }
            s.*member = std::chrono::milliseconds(*ms);
            return std::nullopt;
          },
          [member](const settings& s) { return std::to_string((s.*member).count()); }};
}

field bytes_field(const char* name, std::uint64_t settings::*member) {
  return {name,
          [member](const json::value& v, settings& s) -> std::optional<std::string> {
            const auto n = whole(v, max_bytes);
            if (!n) return "expected a number of bytes from 0 to " + std::to_string(max_bytes);
            s.*member = *n;
            return std::nullopt;
          },
          [member](const settings& s) { return std::to_string(s.*member); }};
}

field percent_field(const char* name, double settings::*member) {
  return {name,
          [member](const json::value& v, settings& s) -> std::optional<std::string> {
            const double p = v.is_double()   ? v.get_double()
                             : v.is_int64()  ? static_cast<double>(v.get_int64())
                             : v.is_uint64() ? static_cast<double>(v.get_uint64())
                                             : -1;
            if (!(p >= 0 && p <= 100)) return "expected a percentage from 0 to 100";
            s.*member = quantized_percent(p);
            return std::nullopt;
          },
          [member](const settings& s) { return percent_text(s.*member); }};
}

field rate_field(const char* name, std::uint64_t settings::*member) {
  return {name,
          [member](const json::value& v, settings& s) -> std::optional<std::string> {
            std::optional<std::uint64_t> rate;
            if (v.is_string()) {
              const json::string& text = v.get_string();
              rate = parse_rate(std::string_view(text.data(), text.size()));
            } else {
              rate = whole(v, max_bytes);
            }
            if (!rate) return "expected bytes per second (a number, or text such as \"256k\")";
            s.*member = *rate;
            return std::nullopt;
          },
          [member](const settings& s) { return std::to_string(s.*member); }};
}

const std::vector<field>& fields() {
  static const std::vector<field> all = {
      milliseconds_field("delay_ms", &settings::delay),
      milliseconds_field("jitter_ms", &settings::jitter),
      rate_field("throttle_bytes_per_second", &settings::throttle),
      percent_field("loss_percent", &settings::loss_percent),
      bytes_field("reset_after_bytes", &settings::reset_after),
      percent_field("reset_chance_percent", &settings::reset_chance_percent),
      bytes_field("slice_bytes", &settings::slice),
      milliseconds_field("slice_gap_ms", &settings::slice_gap),
      bytes_field("stall_after_bytes", &settings::stall_after),
      milliseconds_field("stall_ms", &settings::stall),
  };
  return all;
}

}  // namespace

// Written by hand rather than by json::serialize, which prints doubles as "1.25E1": every value
// is a number, and the names are fixed.
std::string to_json(const settings& s, std::uint64_t seed) {
  std::string out = "{";
  for (const field& f : fields()) out += "\"" + std::string(f.name) + "\":" + f.write(s) + ",";
  return out + "\"seed\":" + std::to_string(seed) + "}";
}

std::optional<std::string> apply_json(std::string_view body, settings& s, std::uint64_t& seed) {
  if (body.size() > max_body) {
    return "body: larger than " + std::to_string(max_body) + " bytes";
  }
  json::error_code ec;
  // No comments, trailing commas or invalid UTF-8: the parser's strict defaults. Its depth limit
  // (32) bounds nesting, which no valid body has anyway.
  const json::value parsed = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return "body: not valid JSON (" + ec.message() + ")";
  if (!parsed.is_object()) return "body: expected a JSON object";
  settings next = s;
  std::uint64_t next_seed = seed;
  for (const auto& [key, value] : parsed.get_object()) {
    const std::string name(key.data(), key.size());
    if (name == "seed") {
      const auto n = whole(value, std::numeric_limits<std::uint64_t>::max());
      if (!n) return "seed: expected a whole number from 0 to 18446744073709551615";
      next_seed = *n;
      continue;
    }
    const field* known = nullptr;
    for (const field& f : fields()) {
      if (name == f.name) known = &f;
    }
    // Printed as JSON so that a key of control characters or quotes stays one safe line.
    if (known == nullptr) return json::serialize(json::value(key)) + ": unknown field";
    if (auto why = known->read(value, next)) return name + ": " + *why;
  }
  s = next;
  seed = next_seed;
  return std::nullopt;
}

std::string describe(const settings& s) {
  if (!s.is_active()) return "off";
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
  const auto percent = [](double p) { return percent_text(p) + "%"; };
  if (s.delay.count() != 0) add("delay " + ms(s.delay));
  if (s.jitter.count() != 0) add("jitter " + ms(s.jitter));
  if (s.throttle != 0) add("throttle " + std::to_string(s.throttle) + " B/s");
  if (s.loss_percent != 0) add("loss " + percent(s.loss_percent));
  if (s.reset_after != 0) {
    add("reset after " + std::to_string(s.reset_after) + " B" +
        (s.reset_chance_percent < 100 ? " (" + percent(s.reset_chance_percent) + " of connections)"
                                      : std::string()));
  }
  if (s.slice != 0)
    add("slices of " + std::to_string(s.slice) + " B, " + ms(s.slice_gap) + " apart");
  if (s.stall.count() != 0) {
    add("stall " + ms(s.stall) + " after " + std::to_string(s.stall_after) + " B");
  }
  return out;
}

}  // namespace echo::impairment
