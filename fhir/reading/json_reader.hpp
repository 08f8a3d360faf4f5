// One strict, bounded reading of untrusted JSON, for every parser of text that comes
// from outside: a FHIR server's answers, a token endpoint, SMART discovery, a client's
// panel page, the configuration file. Two readers of the same text (the host and the
// plugin, a server and the plugin) must never disagree on what it says, and a hostile
// text must cost little to refuse. So the reader refuses, with an error that never
// quotes the text:
//  - more than `maximum_bytes`, before reading a byte of it;
//  - any NUL byte (nlohmann's parser, and any C reader, would stop there and take
//    what comes after for nothing), and \u0000 inside a text or a key;
//  - anything but whitespace after the value;
//  - an object that has the same key twice (readers differ on which one wins);
//  - nesting deeper than `maximum_depth`, as soon as the parser gets there, without
//    building the tree above it;
//  - a number too large to hold (1e400).
// Comments (// and /* */) only when `allow_comments` is set (files people edit).
//
// A plain function, text in, value or error out: what tests/fuzz calls.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace alliance::fhir {

struct JsonLimits {
  std::size_t maximum_bytes = 0;
  int maximum_depth = 0;  // an object or list is one level; a bare value is level 0
  bool allow_comments = false;
};

// Every answer from a FHIR server, token endpoint or SMART discovery. The HTTPS client
// has its own, configurable limit on a body (fhir.response_limit_bytes, 8 MiB unless
// set); this one keeps the readers safe for any caller. A searchset of Observations
// nests about 8 levels deep, a transaction-response 4.
inline constexpr std::size_t kServerAnswerMaximumBytes = 64 * 1024 * 1024;
inline constexpr int kServerAnswerMaximumDepth = 64;
inline constexpr JsonLimits kServerAnswerLimits{kServerAnswerMaximumBytes, kServerAnswerMaximumDepth, false};

struct JsonReading {
  nlohmann::json value;  // null unless read
  std::string error;     // "" when read; plain words and a line and column, never the text
  bool ok() const { return error.empty(); }
};

JsonReading read_json(std::string_view text, const JsonLimits& limits);

}  // namespace alliance::fhir
