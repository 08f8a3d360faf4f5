#include "alliancectl/scope_check.hpp"

#include <algorithm>
#include <optional>

namespace alliance::control {

namespace {

// "system/Observation.c" as its parts, permissions as v2 letters in "cruds" order.
struct ParsedScope {
  std::string_view context;        // "system", "user", "patient"
  std::string_view resource_type;  // "Observation" or "*"
  std::string permissions;         // a subset of "cruds"
};

// v2 letters in order, each at most once ("crs"), or a v1 name; anything else is nothing.
std::optional<std::string> permission_letters(std::string_view text) {
  if (text == "read") return "rs";
  if (text == "write") return "cud";
  if (text == "*") return "cruds";
  static constexpr std::string_view order = "cruds";
  std::size_t next = 0;
  for (char letter : text) {
    const std::size_t position = order.find(letter, next);
    if (position == std::string_view::npos) return std::nullopt;
    next = position + 1;
  }
  if (text.empty()) return std::nullopt;
  return std::string(text);
}

std::optional<ParsedScope> parse_scope(std::string_view scope) {
  if (scope.find('?') != std::string_view::npos) return std::nullopt;
  const std::size_t slash = scope.find('/');
  const std::size_t dot = scope.rfind('.');
  if (slash == std::string_view::npos || dot == std::string_view::npos || dot < slash + 2) return std::nullopt;
  std::optional<std::string> letters = permission_letters(scope.substr(dot + 1));
  if (!letters) return std::nullopt;
  return ParsedScope{scope.substr(0, slash), scope.substr(slash + 1, dot - slash - 1), std::move(*letters)};
}

}  // namespace

bool scope_covers(std::string_view granted, std::string_view needed) {
  if (granted == needed) return true;
  const std::optional<ParsedScope> offered = parse_scope(granted);
  const std::optional<ParsedScope> wanted = parse_scope(needed);
  if (!offered || !wanted || offered->context != wanted->context) return false;
  if (offered->resource_type != "*" && offered->resource_type != wanted->resource_type) return false;
  return std::all_of(wanted->permissions.begin(), wanted->permissions.end(), [&](char letter) {
    return offered->permissions.find(letter) != std::string::npos;
  });
}

std::vector<std::string> missing_scopes(const std::vector<std::string>& needed, const std::vector<std::string>& granted) {
  std::vector<std::string> missing;
  for (const std::string& scope : needed) {
    const bool covered =
        std::any_of(granted.begin(), granted.end(), [&](const std::string& offered) { return scope_covers(offered, scope); });
    if (!covered) missing.push_back(scope);
  }
  return missing;
}

}  // namespace alliance::control
