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
  if (resource.is_object() && resource.value("resourceType", "") == type && resource.contains("id") &&
      resource["id"].is_string()) {
    return resource["id"].get<std::string>();
  }
  return {};
}

}  // namespace alliance
