#include "created_resource.hpp"

#include <nlohmann/json.hpp>

namespace alliance {

using nlohmann::json;

std::string created_resource_id(std::string_view location, std::string_view body, const std::string& type) {
  const std::string marker = type + "/";
  if (const size_t at = location.find(marker); at != std::string_view::npos) {
    std::string id(location.substr(at + marker.size()));
    if (const size_t slash = id.find('/'); slash != std::string::npos) id.resize(slash);
    if (!id.empty()) return id;
  }
  const json resource = json::parse(body, nullptr, false);
  if (!resource.is_object()) return {};
  // find() and is_string(), not value(): value() throws when a field has another type.
  const auto resource_type = resource.find("resourceType");
  const auto id = resource.find("id");
  if (resource_type == resource.end() || !resource_type->is_string() || *resource_type != type) return {};
  if (id == resource.end() || !id->is_string()) return {};
  return id->get<std::string>();
}

}  // namespace alliance
