#pragma once
// The three escapers, plain C++ with no I/O: network bytes made safe for a terminal log line
// (escape_for_log) and for a JSON log value (json_quote), and option values written to and read
// back from a config file line (quote_config_value, unquote_config_value).

#include <string>
#include <string_view>

namespace echo {

// Makes bytes from the network safe for a terminal: printable ASCII and valid UTF-8 text as they
// are; \n \r \t \\ as C escapes; every other byte (controls, NUL, invalid UTF-8) as \xHH.
std::string escape_for_log(std::string_view bytes);

// `bytes` as a quoted JSON string that is valid UTF-8 whatever the bytes: valid UTF-8 as it is
// (C1 controls and DEL as \u00XX), `"` and `\` escaped, \n \r \t and the other C0 controls as
// JSON escapes, and each byte of invalid UTF-8 as the four characters \xHH (so the value holds
// the text "\xff" where the client sent the byte 0xff, as escape_for_log shows it).
std::string json_quote(std::string_view bytes);
void append_json_string(std::string& out, std::string_view bytes);

// A value as a config file line must hold it: as it is when the file reads it back unchanged,
// otherwise in double quotes with \\ \" \n \r \t and \xHH escapes (for '#', which starts a comment,
// surrounding spaces, which are trimmed, an empty value and control bytes).
std::string quote_config_value(std::string_view value);
// The reverse: a value in double quotes loses them and its escapes are decoded; any other value
// is returned as it is. Throws usage_error for an unknown escape or a missing closing quote.
std::string unquote_config_value(std::string_view value);

}  // namespace echo
