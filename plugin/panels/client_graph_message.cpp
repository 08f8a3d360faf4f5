#include "panels/client_graph_message.hpp"

#include <nlohmann/json.hpp>

#include "reading/json_reader.hpp"

namespace alliance {

ClientGraphMessage parse_client_graph_message(std::string_view text) {
  if (text.size() > kMaximumClientGraphMessageBytes) return ClientGraphMessage::ignored;
  const fhir::JsonReading reading = fhir::read_json(text, fhir::JsonLimits{kMaximumClientGraphMessageBytes, 1, false});
  if (!reading.ok() || !reading.value.is_object() || reading.value.size() != 1) return ClientGraphMessage::ignored;
  const auto type = reading.value.find("type");
  if (type == reading.value.end() || !type->is_string() || type->get_ref<const std::string&>() != "close") {
    return ClientGraphMessage::ignored;
  }
  return ClientGraphMessage::close;
}

}  // namespace alliance
