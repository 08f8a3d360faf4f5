#include "mapping/created_resource.hpp"

#include "mapping/transaction_response.hpp"

namespace alliance {

std::string created_resource_id(std::string_view location, std::string_view body, const std::string& type) {
  const std::string marker = type + "/";
  if (const size_t at = location.find(marker); at != std::string_view::npos) {
    std::string id(location.substr(at + marker.size()));
    if (const size_t slash = id.find('/'); slash != std::string::npos) id.resize(slash);
    if (!id.empty()) return id;
  }
  // The body is read by the strict reader, which checks each member's type and the id's
  // form and never throws ({"resourceType":1} once threw inside the HTTPS callback).
  return fhir::read_created_id(body, type);
}

}  // namespace alliance
