// Free text in a structured log line. Every line is `event=<name> key=value ...`, and a
// value with spaces is written key="...". Texts from outside (an exception, a server's
// error description, a transport message) may hold quotes or line breaks that would
// end the value early or start a false line, and may be long; log_value() makes any text
// one safe, bounded value. It is not a PHI filter: callers pass only texts that hold
// no PHI (tests/integration/log_privacy_test.cpp checks every line).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace alliance {

inline constexpr std::size_t kLogTextLimit = 300;

// `"text"`, with " as ', line breaks and other control characters as spaces, and at
// most kLogTextLimit bytes of the text (then "...").
std::string log_value(std::string_view text);

// Whether the `count`th repeat of one kind of line is logged: a page can send messages as
// fast as it likes, so the log gets the first three, then the 10th, 100th, 1000th ...
// (each line carries the count so far).
bool repeat_worth_logging(long long count);

}  // namespace alliance
