#include "panels/clinician_message.hpp"

#include <nlohmann/json.hpp>

#include "reading/json_reader.hpp"

namespace alliance {

using fhir::JsonReading;
using fhir::read_json;
using nlohmann::json;

namespace {

InvalidMessage problem(std::string field, std::string message) {
  return InvalidMessage{{MessageProblem{std::move(field), std::move(message)}}};
}

}  // namespace

const char* to_string(ClinicianRequest request) {
  return request == ClinicianRequest::share_trend ? "share_trend" : "stop_sharing";
}

ParsedClinicianMessage parse_clinician_message(std::string_view text) {
  if (text.size() > kMaximumClinicianMessageBytes) {
    return problem("", "The message is too large (" + std::to_string(text.size()) + " bytes; at most " +
                           std::to_string(kMaximumClinicianMessageBytes) + ").");
  }
  JsonReading reading =
      read_json(text, fhir::JsonLimits{kMaximumClinicianMessageBytes, kMaximumClinicianMessageDepth, false});
  if (!reading.ok()) return problem("", "The message is not valid JSON (" + reading.error + ").");
  const json& message = reading.value;
  if (!message.is_object()) return problem("", "The message must be a JSON object.");

  const auto type = message.find("type");
  if (type == message.end() || !type->is_string()) return problem("type", "The message type is missing.");
  ClinicianMessage parsed;
  const std::string& type_name = type->get_ref<const std::string&>();
  if (type_name == "share_trend") {
    parsed.request = ClinicianRequest::share_trend;
  } else if (type_name == "stop_sharing") {
    parsed.request = ClinicianRequest::stop_sharing;
  } else {
    return problem("type", "Unknown message type.");
  }
  const auto participant = message.find("participant_id");
  if (participant == message.end() || !participant->is_string()) {
    return problem("participant_id", "The message does not say which client it is about.");
  }
  parsed.participant_id = participant->get<std::string>();
  if (parsed.participant_id.empty() || parsed.participant_id.size() > kMaximumClinicianParticipantIdBytes) {
    return problem("participant_id", "The client's id must be 1 to " +
                                         std::to_string(kMaximumClinicianParticipantIdBytes) + " bytes long.");
  }
  // Only the two keys: a key this version does not know may mean something it would
  // get wrong (a later "show_srs": true, say).
  if (message.size() != 2) return problem("", "The message has keys this panel does not send.");
  return parsed;
}

}  // namespace alliance
