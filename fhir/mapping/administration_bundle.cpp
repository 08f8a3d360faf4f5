#include "administration_bundle.hpp"

#include "scoring.hpp"
#include "uuid.hpp"

namespace alliance::fhir {

using nlohmann::json;

namespace {

constexpr const char* kUcum = "http://unitsofmeasure.org";
constexpr const char* kObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr const char* kInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

json reference(const std::string& target) { return {{"reference", target}}; }

json coding(const Coding& value) {
  json result = {{"system", value.system}, {"code", value.code}};
  if (!value.display.empty()) result["display"] = value.display;
  return result;
}

// A score as a FHIR decimal with one decimal place: tenths are exact, so 17.7 is
// written as 17.7 (nlohmann prints the shortest round-trip form of the double).
json points(Tenths value) { return tenths_to_points(value); }

json score_quantity(Tenths value) {
  return {{"value", points(value)}, {"unit", "{score}"}, {"system", kUcum}, {"code", "{score}"}};
}

json questionnaire_response(const Administration& administration, const MeasureDefinition& measure,
                            const MappingSettings& settings) {
  const ScoredMeasure& scored = administration.scored;
  json items = json::array();
  for (size_t index = 0; index < scored.item_scores.size(); ++index) {
    const std::string link_id = index < administration.item_link_ids.size() ? administration.item_link_ids[index]
                                : index < measure.items.size()              ? measure.items[index].link_id
                                                                            : std::string();
    items.push_back({{"linkId", link_id}, {"answer", json::array({{{"valueDecimal", points(scored.item_scores[index])}}})}});
  }
  items.push_back({{"linkId", measure.total_link_id}, {"answer", json::array({{{"valueDecimal", points(scored.total)}}})}});

  json response = {{"resourceType", "QuestionnaireResponse"},
                   {"identifier", {{"system", settings.identifier_system},
                                   {"value", questionnaire_response_identifier(administration)}}},
                   {"questionnaire", administration.questionnaire},
                   {"status", "completed"},
                   {"subject", reference(administration.patient_reference)}};
  if (!administration.encounter_reference.empty()) {
    response["encounter"] = reference(administration.encounter_reference);
  }
  response["authored"] = administration.authored_at;
  // Self-report: the client is both the author and the source of the answers.
  response["author"] = reference(administration.patient_reference);
  response["source"] = reference(administration.patient_reference);
  response["item"] = items;
  return response;
}

// Interpretation and reference range from the cutoff: there is no code for "below
// the clinical cutoff", so v3 A (abnormal) / N (normal) carry it, with words.
void add_cutoff(json& observation, const ScoredMeasure& scored) {
  if (!scored.cutoff) return;  // a young child's ORS has no cutoff: nothing pretends to know
  const std::string cutoff = format_tenths(*scored.cutoff);
  const bool outcome = scored.kind == MeasureKind::outcome_rating_scale;
  const std::string band = outcome ? std::string(" (") + describe(scored.age_band) + ")" : std::string();
  std::string text;
  if (outcome) {
    text = scored.in_concern_range ? "In the clinical range: below the cutoff of " + cutoff + band
                                   : "Not in the clinical range: at or above the cutoff of " + cutoff + band;
  } else {
    text = scored.in_concern_range ? "Alliance concern: below " + cutoff : "No alliance concern: " + cutoff + " or more";
  }
  observation["interpretation"] = json::array(
      {{{"coding", json::array({{{"system", kInterpretation},
                                 {"code", scored.in_concern_range ? "A" : "N"},
                                 {"display", scored.in_concern_range ? "Abnormal" : "Normal"}}})},
        {"text", text}}});
  observation["referenceRange"] = json::array(
      {{{"low", score_quantity(*scored.cutoff)},
        {"high", score_quantity(400)},
        {"text", outcome ? cutoff + " to 40.0: not in the clinical range" + band
                         : cutoff + " to 40.0: no alliance concern"}}});
}

json total_observation(const Administration& administration, const MeasureDefinition& measure,
                       const MappingSettings& settings, const std::string& response_full_url) {
  const ScoredMeasure& scored = administration.scored;
  json codings = json::array({coding(measure.measure_coding)});
  if (!measure.total_coding.code.empty()) codings.push_back(coding(measure.total_coding));
  json observation = {
      {"resourceType", "Observation"},
      {"identifier", json::array({{{"system", settings.identifier_system},
                                   {"value", total_observation_identifier(administration)}}})},
      {"status", "final"},
      {"category", json::array({{{"coding", json::array({{{"system", kObservationCategory},
                                                           {"code", "survey"},
                                                           {"display", "Survey"}}})}}})},
      {"code", {{"coding", codings}, {"text", measure.title + " total score"}}},
      {"subject", reference(administration.patient_reference)}};
  if (!administration.encounter_reference.empty()) {
    observation["encounter"] = reference(administration.encounter_reference);
  }
  observation["effectiveDateTime"] = administration.authored_at;
  observation["performer"] = json::array({reference(administration.patient_reference)});
  observation["valueQuantity"] = score_quantity(scored.total);
  add_cutoff(observation, scored);
  observation["derivedFrom"] = json::array({reference(response_full_url)});
  return observation;
}

json conditional_create(const std::string& full_url, json resource, const MappingSettings& settings,
                        const std::string& identifier) {
  const std::string type = resource["resourceType"];
  return {{"fullUrl", full_url},
          {"resource", std::move(resource)},
          {"request", {{"method", "POST"},
                       {"url", type},
                       {"ifNoneExist", "identifier=" + settings.identifier_system + "|" + identifier}}}};
}

}  // namespace

std::string questionnaire_response_identifier(const Administration& administration) {
  return administration.administration_id;
}

std::string total_observation_identifier(const Administration& administration) {
  return administration.administration_id + "-total";
}

BundleResult administration_bundle(const Administration& administration, const MeasureDefinition& measure,
                                   const MappingSettings& settings) {
  if (administration.patient_reference.rfind("Patient/", 0) != 0) {
    return {{}, "no Patient reference: the host gave none for this client, so it cannot go into a chart"};
  }
  const std::string response_uuid = name_based_uuid(administration.administration_id, "QuestionnaireResponse");
  const std::string observation_uuid = name_based_uuid(administration.administration_id, "Observation/total");
  if (response_uuid.empty()) return {{}, "the administration id is not a UUID"};
  const std::string response_url = "urn:uuid:" + response_uuid;
  json entries = json::array();
  entries.push_back(conditional_create(response_url, questionnaire_response(administration, measure, settings),
                                       settings, questionnaire_response_identifier(administration)));
  entries.push_back(conditional_create("urn:uuid:" + observation_uuid,
                                       total_observation(administration, measure, settings, response_url), settings,
                                       total_observation_identifier(administration)));
  return {{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}}, {}};
}

}  // namespace alliance::fhir
