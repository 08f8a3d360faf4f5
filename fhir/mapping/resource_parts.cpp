#include "mapping/resource_parts.hpp"

#include <map>
#include <openssl/evp.h>

namespace alliance::fhir {

using nlohmann::json;

const std::string& chart_title(const MeasureDefinition& measure) {
  return measure.chart_title.empty() ? measure.title : measure.chart_title;
}

json reference(const std::string& target) { return {{"reference", target}}; }

json coding(const Coding& value) {
  json result = {{"system", value.system}, {"code", value.code}};
  if (!value.display.empty()) result["display"] = value.display;
  return result;
}

json concept_of(const std::string& system, const std::string& code, const std::string& display,
                const std::string& text) {
  json coded = {{"system", system}, {"code", code}};
  if (!display.empty()) coded["display"] = display;
  return {{"coding", json::array({coded})}, {"text", text}};
}

json points(Tenths value) { return tenths_to_points(value); }

json score_quantity(Tenths value) {
  return {{"value", points(value)}, {"unit", "{score}"}, {"system", kUcum}, {"code", "{score}"}};
}

bool is_stopped(const Administration& administration) { return administration.status == "stopped"; }

std::string answerer(const Administration& administration) {
  if (!administration.other_rater) return administration.patient_reference;
  if (administration.rater_reference.rfind("RelatedPerson/", 0) == 0) return administration.rater_reference;
  return {};
}

bool is_verbal(const Administration& administration) { return administration.completion_mode == "VERBAL"; }

std::string entered_by(const Administration& administration) {
  if (!is_verbal(administration)) return {};
  const std::string& who = administration.entered_by_reference;
  return who.rfind("Practitioner/", 0) == 0 && who.size() > std::string_view("Practitioner/").size() ? who
                                                                                                     : std::string();
}

namespace {

json verbal_coding() { return {{"system", kParticipationMode}, {"code", "VERBAL"}, {"display", "verbal"}}; }

}  // namespace

json verbal_completion_mode_extension() {
  return {{"url", kCompletionModeExtension}, {"valueCodeableConcept", {{"coding", json::array({verbal_coding()})}}}};
}

json verbal_method() {
  return {{"coding", json::array({verbal_coding()})},
          {"text", "Verbal administration: read aloud by the practitioner, who entered the client's answers"}};
}

// The relationships a collateral rater usually has.
std::string relationship_display(const std::string& code) {
  static const std::map<std::string, std::string> displays = {
      {"MTH", "mother"},        {"FTH", "father"},     {"PRN", "parent"},       {"STPMTH", "stepmother"},
      {"STPFTH", "stepfather"}, {"STPPRN", "step parent"}, {"GRMTH", "grandmother"}, {"GRFTH", "grandfather"},
      {"GRPRN", "grandparent"}, {"GUARD", "guardian"}, {"SPS", "spouse"},      {"DOMPART", "domestic partner"},
      {"SIB", "sibling"},       {"CHILD", "child"},    {"AUNT", "aunt"},        {"UNCLE", "uncle"},
      {"FRND", "unrelated friend"}, {"SIGOTHR", "significant other"}};
  const auto found = displays.find(code);
  return found == displays.end() ? std::string() : found->second;
}

std::string attachment_data(std::string_view bytes) {
  std::string encoded;
  // EVP_EncodeBlock writes 4 characters per 3 bytes and a NUL; it takes an int length,
  // so long inputs go in whole 3-byte groups.
  constexpr size_t kChunk = 3 * 1024 * 1024;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t offset = 0; offset < bytes.size(); offset += kChunk) {
    const std::string_view chunk = bytes.substr(offset, kChunk);
    std::string block((chunk.size() + 2) / 3 * 4 + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(block.data()),
                                        reinterpret_cast<const unsigned char*>(chunk.data()),
                                        static_cast<int>(chunk.size()));
    encoded.append(block.data(), static_cast<size_t>(written));
  }
  return encoded;
}

}  // namespace alliance::fhir
