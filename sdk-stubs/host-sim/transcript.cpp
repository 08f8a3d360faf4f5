#include "transcript.hpp"

#include <cstdio>

namespace host_sim {
namespace {

std::string time_prefix(std::int64_t elapsed_ms) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "[%5lld ms] ", static_cast<long long>(elapsed_ms));
  return prefix;
}

bool is_utf8_continuation_byte(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0u) == 0x80u;
}

}  // namespace

void Transcript::heading(std::string_view text) {
  std::lock_guard lock(mutex_);
  out_ << text << std::endl;
}

void Transcript::event(std::string_view text) {
  std::string line = time_prefix(clock_.elapsed_ms());
  line += text;
  std::lock_guard lock(mutex_);
  out_ << line << std::endl;
}

void Transcript::event_with_detail(std::string_view text, std::string_view detail) {
  std::string prefix = time_prefix(clock_.elapsed_ms());
  std::string lines = prefix + std::string(text) + "\n";
  // Detail lines start where the event text starts, so they read as part of it.
  std::string indent(prefix.size() + 2, ' ');
  if (!detail.empty() && detail.back() == '\n') detail.remove_suffix(1);
  std::size_t start = 0;
  while (start <= detail.size()) {
    std::size_t end = detail.find('\n', start);
    if (end == std::string_view::npos) end = detail.size();
    lines += indent + abbreviate(detail.substr(start, end - start)) + "\n";
    start = end + 1;
  }
  std::lock_guard lock(mutex_);
  out_ << lines << std::flush;
}

std::string abbreviate(std::string_view text, std::size_t limit) {
  std::size_t length = text.size();
  bool cut = length > limit;
  if (cut) {
    length = limit;
    while (length > 0 && is_utf8_continuation_byte(text[length])) --length;
  }
  std::string result(text.substr(0, length));
  for (char& character : result) {
    if (character == '\n' || character == '\r' || character == '\t') character = ' ';
  }
  if (cut) result += "…";
  return result;
}

}  // namespace host_sim
