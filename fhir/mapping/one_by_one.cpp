#include "mapping/one_by_one.hpp"

namespace alliance::fhir {

using nlohmann::json;

void resolve_references(json& value, const std::map<std::string, std::string>& server_references) {
  if (value.is_array()) {
    for (json& element : value) resolve_references(element, server_references);
    return;
  }
  if (!value.is_object()) return;
  for (auto& [key, element] : value.items()) {
    if (key == "reference" && element.is_string()) {
      if (const auto found = server_references.find(element.get<std::string>()); found != server_references.end()) {
        element = found->second;
      }
    } else {
      resolve_references(element, server_references);
    }
  }
}

std::string as_transaction_response(const std::vector<json>& created) {
  json entries = json::array();
  for (const json& resource : created) {
    entries.push_back({{"response",
                        {{"status", std::to_string(resource["status"].get<int>())},
                         {"location", resource["type"].get<std::string>() + "/" + resource["id"].get<std::string>()}}}});
  }
  return json({{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", entries}}).dump();
}

}  // namespace alliance::fhir
