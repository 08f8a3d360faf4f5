#include "mapping/administration_bundle.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "mapping/resource_parts.hpp"
#include "mapping/uuid.hpp"

namespace alliance::fhir {

using nlohmann::json;

namespace {

json answer_item(const std::string& link_id, json answer) {
  return {{"linkId", link_id}, {"answer", json::array({std::move(answer)})}};
}

// The linkIds of the Questionnaire's top-level items in its order, or nothing when its
// text is not at hand (a definition built in code).
std::vector<std::string> questionnaire_order(const MeasureDefinition& measure) {
  std::vector<std::string> order;
  const json questionnaire = json::parse(measure.resource_json, nullptr, false);
  if (!questionnaire.is_object() || !questionnaire.contains("item") || !questionnaire["item"].is_array()) return order;
  for (const json& item : questionnaire["item"]) {
    if (item.is_object() && item.contains("linkId") && item["linkId"].is_string()) {
      order.push_back(item["linkId"].get<std::string>());
    }
  }
  return order;
}

// Answers are built as scales, rater, relationship, total; when the Questionnaire lists
// every one of them, they follow its order instead (a response mirrors its form).
void follow_questionnaire_order(json& items, const MeasureDefinition& measure) {
  const std::vector<std::string> order = questionnaire_order(measure);
  std::map<std::string, size_t> rank;
  for (size_t index = 0; index < order.size(); ++index) rank.emplace(order[index], index);
  for (const json& item : items) {
    if (rank.count(item["linkId"].get<std::string>()) == 0) return;
  }
  std::stable_sort(items.begin(), items.end(), [&rank](const json& left, const json& right) {
    return rank.at(left["linkId"].get<std::string>()) < rank.at(right["linkId"].get<std::string>());
  });
}

json questionnaire_response(const Administration& administration, const MeasureDefinition& measure,
                            const MappingSettings& settings, const std::string& questionnaire_reference) {
  const ScoredMeasure& scored = administration.scored;
  const bool stopped = is_stopped(administration);
  json items = json::array();
  if (!stopped) {
    for (size_t index = 0; index < scored.item_scores.size(); ++index) {
      const std::string link_id = index < administration.item_link_ids.size() ? administration.item_link_ids[index]
                                  : index < measure.items.size()              ? measure.items[index].link_id
                                                                              : std::string();
      items.push_back(answer_item(link_id, {{"valueDecimal", points(scored.item_scores[index])}}));
    }
  }
  if (!measure.rater_link_id.empty()) {
    const bool other = administration.other_rater;
    items.push_back(answer_item(measure.rater_link_id,
                                {{"valueCoding", {{"system", kRaterCodeSystem},
                                                  {"code", other ? "other" : "self"},
                                                  {"display", other ? "Another person (other rater)" : "The client"}}}}));
    if (other && !administration.relationship.empty() && !measure.relationship_link_id.empty()) {
      json relationship = {{"system", kRoleCode}, {"code", administration.relationship}};
      if (const std::string display = relationship_display(administration.relationship); !display.empty()) {
        relationship["display"] = display;
      }
      items.push_back(answer_item(measure.relationship_link_id, {{"valueCoding", relationship}}));
    }
  }
  if (!stopped) items.push_back(answer_item(measure.total_link_id, {{"valueDecimal", points(scored.total)}}));
  follow_questionnaire_order(items, measure);

  json response = {{"resourceType", "QuestionnaireResponse"}};
  if (!administration.language.empty()) response["language"] = administration.language;
  response["identifier"] = {{"system", settings.identifier_system},
                            {"value", questionnaire_response_identifier(administration)}};
  response["questionnaire"] = questionnaire_reference.empty() ? administration.questionnaire : questionnaire_reference;
  // "stopped": declined or abandoned before completion (fhir.md); nothing was scored.
  response["status"] = stopped ? "stopped" : "completed";
  response["subject"] = reference(administration.patient_reference);
  if (!administration.encounter_reference.empty()) {
    response["encounter"] = reference(administration.encounter_reference);
  }
  if (!administration.authored_at.empty()) response["authored"] = administration.authored_at;
  const std::string who = answerer(administration);
  if (is_verbal(administration)) {
    // Read aloud and entered by a practitioner (docs/chart.md, "Verbal administration"):
    // R4's author is the person who received and recorded the answers, its source the
    // person who answered them, who is still the client (or their other rater).
    response["extension"] = json::array({verbal_completion_mode_extension()});
    if (const std::string recorder = entered_by(administration); !recorder.empty()) {
      response["author"] = reference(recorder);
    }
    if (!who.empty()) response["source"] = reference(who);
  } else if (!who.empty()) {
    // On their own panel, the one who answered is both the author and the source.
    response["author"] = reference(who);
    response["source"] = reference(who);
  }
  if (!items.empty()) response["item"] = items;
  return response;
}

const Flag* find_flag(const ScoredMeasure& scored, FlagCode code) {
  for (const Flag& flag : scored.flags) {
    if (flag.code == code) return &flag;
  }
  return nullptr;
}

// Interpretation and reference range from the cutoff: there is no code for "below
// the clinical cutoff", so v3 A (abnormal) / N (normal) carry it, with words.
void add_cutoff(json& interpretation, json& observation, const ScoredMeasure& scored) {
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
  interpretation.push_back(concept_of(kInterpretation, scored.in_concern_range ? "A" : "N",
                                      scored.in_concern_range ? "Abnormal" : "Normal", text));
  observation["referenceRange"] = json::array(
      {{{"low", score_quantity(*scored.cutoff)},
        {"high", score_quantity(400)},
        {"text", outcome ? cutoff + " to 40.0: not in the clinical range" + band
                         : cutoff + " to 40.0: no alliance concern"}}});
}

// One CodeableConcept per finding of the scoring rules, each with its words.
json interpretations(json& observation, const ScoredMeasure& scored) {
  json result = json::array();
  add_cutoff(result, observation, scored);
  // The codes already said by a coded concept above or below, so not repeated as flags.
  std::set<FlagCode> represented = {FlagCode::clinical_range, FlagCode::alliance_concern};
  // Reliable change since intake: v3 U / D ("significant change up / down").
  if (const Flag* up = find_flag(scored, FlagCode::reliable_improvement)) {
    result.push_back(concept_of(kInterpretation, "U", "Significant change up", up->text));
    represented.insert(up->code);
  } else if (const Flag* down = find_flag(scored, FlagCode::reliable_deterioration)) {
    result.push_back(concept_of(kInterpretation, "D", "Significant change down", down->text));
    represented.insert(down->code);
  }
  if (scored.outcome_category) {
    const std::string code = outcome_category_code(*scored.outcome_category);
    const std::string words = outcome_category_words(*scored.outcome_category);
    const Flag* significant = find_flag(scored, FlagCode::clinically_significant_change);
    result.push_back(concept_of(kOutcomeCodeSystem, code, words,
                                significant != nullptr ? significant->text : "Outcome since intake: " + words));
    if (significant != nullptr) represented.insert(significant->code);
  }
  if (scored.on_track) {
    const std::string expected = scored.expected_total ? format_tenths(*scored.expected_total) : std::string("?");
    const Flag* off = find_flag(scored, FlagCode::off_track);
    std::string text = *scored.on_track ? "On track: the expected response at this session is " + expected
                                        : "Off track: the expected response at this session is " + expected;
    if (!*scored.on_track && off != nullptr) text = off->text;
    result.push_back(concept_of(kExpectedResponseCodeSystem, *scored.on_track ? "on-track" : "off-track",
                                *scored.on_track ? "On track" : "Off track", text));
    represented.insert(FlagCode::off_track);
  }
  // Every other finding (SRS item check-in, alliance drop, change since last session,
  // and any the scoring adds later) as the project's flag code with its words.
  for (const Flag& flag : scored.flags) {
    if (represented.count(flag.code) != 0) continue;
    result.push_back(concept_of(kFlagCodeSystem, to_string(flag.code), "", flag.text));
  }
  return result;
}

// What the total and the item Observations share: identifier, status, category,
// subject, encounter, effective, performer, and how the answers were given.
json observation_frame(const Administration& administration, const MappingSettings& settings,
                       const std::string& identifier, json code) {
  json observation = {
      {"resourceType", "Observation"},
      {"identifier", json::array({{{"system", settings.identifier_system}, {"value", identifier}}})},
      {"status", "final"},
      {"category", json::array({{{"coding", json::array({{{"system", kObservationCategory},
                                                           {"code", "survey"},
                                                           {"display", "Survey"}}})}}})},
      {"code", std::move(code)},
      {"subject", reference(administration.patient_reference)}};
  if (!administration.encounter_reference.empty()) {
    observation["encounter"] = reference(administration.encounter_reference);
  }
  observation["effectiveDateTime"] = administration.authored_at;
  // Self-report: the client; another rater: their RelatedPerson, or nobody when unknown.
  // Read aloud: also the practitioner who entered the answers, after the one who gave them.
  json performers = json::array();
  if (const std::string who = answerer(administration); !who.empty()) performers.push_back(reference(who));
  if (const std::string recorder = entered_by(administration); !recorder.empty()) {
    performers.push_back(reference(recorder));
  }
  if (!performers.empty()) observation["performer"] = std::move(performers);
  if (is_verbal(administration)) observation["method"] = verbal_method();
  return observation;
}

std::string rater_suffix(const Administration& administration) {
  return administration.other_rater ? " (other rater)" : "";
}

json total_observation(const Administration& administration, const MeasureDefinition& measure,
                       const MappingSettings& settings, const std::string& response_full_url,
                       const std::vector<std::string>& member_full_urls) {
  const ScoredMeasure& scored = administration.scored;
  json codings = json::array({coding(measure.measure_coding)});
  if (!measure.total_coding.code.empty()) codings.push_back(coding(measure.total_coding));
  json observation = observation_frame(
      administration, settings, total_observation_identifier(administration),
      {{"coding", codings}, {"text", chart_title(measure) + " total score" + rater_suffix(administration)}});
  observation["valueQuantity"] = score_quantity(scored.total);
  json found = interpretations(observation, scored);
  if (!found.empty()) observation["interpretation"] = std::move(found);
  if (!member_full_urls.empty()) {
    json members = json::array();
    for (const std::string& member : member_full_urls) members.push_back(reference(member));
    observation["hasMember"] = members;
  }
  observation["derivedFrom"] = json::array({reference(response_full_url)});
  return observation;
}

json item_observation(const Administration& administration, const MeasureDefinition& measure,
                      const MappingSettings& settings, const std::string& response_full_url, size_t index) {
  const MeasureItem& item = measure.items[index];
  json code = json::object();
  if (!item.coding.code.empty()) code["coding"] = json::array({coding(item.coding)});
  code["text"] = chart_title(measure) + ": " + item.short_name + rater_suffix(administration);
  json observation =
      observation_frame(administration, settings, item_observation_identifier(administration, index + 1), code);
  observation["valueQuantity"] = score_quantity(administration.scored.item_scores[index]);
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

std::string unwritable_reason(const Administration& administration) {
  if (administration.patient_reference.rfind("Patient/", 0) != 0) {
    return "no Patient reference: the host gave none for this client, so it cannot go into a chart";
  }
  if (administration.status != "completed" && administration.status != "stopped") {
    return "the administration's status is \"" + administration.status + "\", not completed or stopped";
  }
  if (name_based_uuid(administration.administration_id, "").empty()) return "the administration id is not a UUID";
  return {};
}

std::string questionnaire_response_identifier(const Administration& administration) {
  return administration.administration_id;
}

std::string total_observation_identifier(const Administration& administration) {
  return administration.administration_id + "-total";
}

std::string item_observation_identifier(const Administration& administration, size_t item_number) {
  return administration.administration_id + "-item-" + std::to_string(item_number);
}

BundleResult administration_bundle(const Administration& administration, const MeasureDefinition& measure,
                                   const MappingSettings& settings, const std::string& questionnaire_reference) {
  if (std::string problem = unwritable_reason(administration); !problem.empty()) return {{}, problem};
  const std::string response_uuid = name_based_uuid(administration.administration_id, "QuestionnaireResponse");
  const std::string response_url = "urn:uuid:" + response_uuid;
  json entries = json::array();
  entries.push_back(
      conditional_create(response_url, questionnaire_response(administration, measure, settings, questionnaire_reference),
                         settings, questionnaire_response_identifier(administration)));
  if (!is_stopped(administration)) {
    std::vector<std::string> members;
    if (settings.item_observations) {
      if (administration.scored.item_scores.size() != measure.items.size()) {
        return {{}, "the administration has " + std::to_string(administration.scored.item_scores.size()) +
                        " item scores and its measure " + std::to_string(measure.items.size()) + " items"};
      }
      for (size_t index = 0; index < measure.items.size(); ++index) {
        const std::string item_url =
            "urn:uuid:" + name_based_uuid(administration.administration_id, "Observation/item-" + std::to_string(index + 1));
        entries.push_back(conditional_create(item_url,
                                             item_observation(administration, measure, settings, response_url, index),
                                             settings, item_observation_identifier(administration, index + 1)));
        members.push_back(item_url);
      }
    }
    const std::string observation_uuid = name_based_uuid(administration.administration_id, "Observation/total");
    entries.push_back(conditional_create("urn:uuid:" + observation_uuid,
                                         total_observation(administration, measure, settings, response_url, members),
                                         settings, total_observation_identifier(administration)));
  }
  return {{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}}, {}};
}

}  // namespace alliance::fhir
