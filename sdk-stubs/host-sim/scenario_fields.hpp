#pragma once

// Reads the fields of one JSON object of the scenario file, collecting every problem
// as "json.path: message" instead of stopping at the first, and noticing fields that
// nothing asked for (usually typos).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace host_sim {

class ScenarioFields {
 public:
  using Json = nlohmann::ordered_json;

  ScenarioFields(const Json& object, std::string path, std::vector<std::string>& errors);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;
  void error(std::string_view key, std::string_view message);

  bool has(std::string_view key) const;
  const Json* optional_value(std::string_view key);
  const Json* required_value(std::string_view key);

  std::optional<std::string> optional_string(std::string_view key);
  // Empty optional when the field is missing or not a string (already reported).
  std::optional<std::string> required_string(std::string_view key);
  std::optional<bool> optional_bool(std::string_view key);
  std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t minimum,
                                               std::int64_t maximum);
  std::optional<std::int64_t> required_integer(std::string_view key, std::int64_t minimum,
                                               std::int64_t maximum);
  const Json* required_array(std::string_view key);

  // Reports every field no accessor asked for, with `message`. "comment" is always
  // allowed, so that scenario authors can annotate steps.
  void reject_unread_fields(std::string_view message = "unknown field");

 private:
  std::optional<std::int64_t> integer_value(std::string_view key, const Json& value,
                                            std::int64_t minimum, std::int64_t maximum);

  const Json& object_;
  std::string path_;
  std::vector<std::string>& errors_;
  std::set<std::string, std::less<>> read_keys_;
};

}  // namespace host_sim
