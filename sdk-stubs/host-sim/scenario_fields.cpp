#include "scenario_fields.hpp"

namespace host_sim {

ScenarioFields::ScenarioFields(const Json& object, std::string path,
                               std::vector<std::string>& errors)
    : object_(object), path_(std::move(path)), errors_(errors) {}

std::string ScenarioFields::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

void ScenarioFields::error(std::string_view key, std::string_view message) {
  errors_.push_back(path_of(key) + ": " + std::string(message));
}

bool ScenarioFields::has(std::string_view key) const {
  return object_.find(std::string(key)) != object_.end();
}

const ScenarioFields::Json* ScenarioFields::optional_value(std::string_view key) {
  read_keys_.insert(std::string(key));
  auto found = object_.find(std::string(key));
  if (found == object_.end()) return nullptr;
  return &*found;
}

const ScenarioFields::Json* ScenarioFields::required_value(std::string_view key) {
  const Json* value = optional_value(key);
  if (value == nullptr) error(key, "required");
  return value;
}

std::optional<std::string> ScenarioFields::optional_string(std::string_view key) {
  const Json* value = optional_value(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    error(key, "must be a string");
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::string> ScenarioFields::required_string(std::string_view key) {
  if (!has(key)) {
    required_value(key);
    return std::nullopt;
  }
  return optional_string(key);
}

std::optional<bool> ScenarioFields::optional_bool(std::string_view key) {
  const Json* value = optional_value(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    error(key, "must be true or false");
    return std::nullopt;
  }
  return value->get<bool>();
}

std::optional<std::int64_t> ScenarioFields::integer_value(std::string_view key, const Json& value,
                                                          std::int64_t minimum,
                                                          std::int64_t maximum) {
  std::string range = "must be an integer from " + std::to_string(minimum) + " to " +
                      std::to_string(maximum);
  if (!value.is_number_integer()) {
    error(key, range);
    return std::nullopt;
  }
  // An unsigned value above INT64_MAX would wrap if read as signed.
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > static_cast<std::uint64_t>(maximum)) {
    error(key, range);
    return std::nullopt;
  }
  std::int64_t number = value.get<std::int64_t>();
  if (number < minimum || number > maximum) {
    error(key, range);
    return std::nullopt;
  }
  return number;
}

std::optional<std::int64_t> ScenarioFields::optional_integer(std::string_view key,
                                                             std::int64_t minimum,
                                                             std::int64_t maximum) {
  const Json* value = optional_value(key);
  if (value == nullptr) return std::nullopt;
  return integer_value(key, *value, minimum, maximum);
}

std::optional<std::int64_t> ScenarioFields::required_integer(std::string_view key,
                                                             std::int64_t minimum,
                                                             std::int64_t maximum) {
  const Json* value = required_value(key);
  if (value == nullptr) return std::nullopt;
  return integer_value(key, *value, minimum, maximum);
}

const ScenarioFields::Json* ScenarioFields::required_array(std::string_view key) {
  const Json* value = required_value(key);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    error(key, "must be an array");
    return nullptr;
  }
  return value;
}

void ScenarioFields::reject_unread_fields(std::string_view message) {
  for (const auto& item : object_.items()) {
    if (item.key() == "comment" || read_keys_.count(item.key()) != 0) continue;
    error(item.key(), message);
  }
}

}  // namespace host_sim
