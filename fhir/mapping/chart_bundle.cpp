#include "mapping/chart_bundle.hpp"

#include "mapping/resource_parts.hpp"
#include "mapping/uuid.hpp"

namespace alliance::fhir {

using nlohmann::json;

namespace {

json entry(const std::string& full_url, json resource, const std::string& if_none_exist) {
  const std::string type = resource["resourceType"];
  return {{"fullUrl", full_url},
          {"resource", std::move(resource)},
          {"request", {{"method", "POST"}, {"url", type}, {"ifNoneExist", if_none_exist}}}};
}

std::string by_identifier(const MappingSettings& settings, const std::string& value) {
  return "identifier=" + settings.identifier_system + "|" + value;
}

// The search that finds a reading again without its identifier: the same subject,
// code and time (an EHR refuses a second such reading as already existing).
std::string by_reading(const Administration& administration, const std::string& code_parameter,
                       const Coding& code) {
  return "patient=" + administration.patient_reference + "&" + code_parameter + "=" + code.system + "|" +
         code.code + "&date=" + administration.authored_at;
}

std::string full_url(const Administration& administration, const std::string& name) {
  return "urn:uuid:" + name_based_uuid(administration.administration_id, name);
}

// A flowsheet row's reading: what a vital-sign-style row holds (status, category,
// code, subject, encounter, time, value) and no more, since such rows keep no
// interpretation or links; the identifier lets servers that keep it find it again.
json row_observation(const Administration& administration, const MappingSettings& settings,
                     const std::string& identifier, const Coding& row, const std::string& text, Tenths value) {
  json observation = {
      {"resourceType", "Observation"},
      {"identifier", json::array({{{"system", settings.identifier_system}, {"value", identifier}}})},
      {"status", "final"},
      {"category", json::array({{{"coding", json::array({coding(settings.chart.flowsheet_category)})}}})},
      {"code", {{"coding", json::array({coding(row)})}, {"text", text}}},
      {"subject", reference(administration.patient_reference)}};
  if (!administration.encounter_reference.empty()) {
    observation["encounter"] = reference(administration.encounter_reference);
  }
  observation["effectiveDateTime"] = administration.authored_at;
  const std::string who = settings.chart.flowsheet_performer_clinician ? administration.practitioner_reference
                                                                       : answerer(administration);
  if (!who.empty()) observation["performer"] = json::array({reference(who)});
  observation["valueQuantity"] = score_quantity(value);
  return observation;
}

// The flowsheet's entries, or an error when the measure's rows cannot be written.
std::string add_flowsheet_rows(json& entries, const Administration& administration, const MeasureDefinition& measure,
                               const MappingSettings& settings, const FlowsheetRows& rows) {
  const ScoredMeasure& scored = administration.scored;
  const std::string rater = administration.other_rater ? " (other rater)" : "";
  const auto find = [&](const std::string& identifier, const Coding& row) {
    return settings.chart.find_by_reading ? by_reading(administration, "code", row) : by_identifier(settings, identifier);
  };
  const std::string total = flowsheet_total_identifier(administration);
  entries.push_back(entry(full_url(administration, "Observation/row-total"),
                          row_observation(administration, settings, total, rows.total,
                                          chart_title(measure) + " total score" + rater, scored.total),
                          find(total, rows.total)));
  if (rows.items.empty()) return {};
  if (rows.items.size() != measure.items.size() || scored.item_scores.size() != measure.items.size()) {
    return "fhir.chart.flowsheet.rows." + measure.code + ".items has " + std::to_string(rows.items.size()) +
           " rows, the measure " + std::to_string(measure.items.size()) + " items and the administration " +
           std::to_string(scored.item_scores.size()) + " scores";
  }
  for (size_t index = 0; index < rows.items.size(); ++index) {
    const std::string identifier = flowsheet_item_identifier(administration, index + 1);
    entries.push_back(entry(full_url(administration, "Observation/row-item-" + std::to_string(index + 1)),
                            row_observation(administration, settings, identifier, rows.items[index],
                                            chart_title(measure) + ": " + measure.items[index].short_name + rater,
                                            scored.item_scores[index]),
                            find(identifier, rows.items[index])));
  }
  return {};
}

json document_reference(const Administration& administration, const MeasureDefinition& measure,
                        const MappingSettings& settings, const std::vector<NoteAttachment>& note) {
  const ChartProfiles& chart = settings.chart;
  const std::string title = chart_title(measure) + (is_stopped(administration)
                                                        ? std::string(", not completed")
                                                        : ", session " + std::to_string(administration.scored.session_number));
  json document = {
      {"resourceType", "DocumentReference"},
      {"identifier", json::array({{{"system", settings.identifier_system}, {"value", document_identifier(administration)}}})},
      {"status", "current"},
      {"docStatus", chart.document_status},
      {"type", {{"coding", json::array({coding(chart.document_type)})}, {"text", chart.document_type.display.empty() ? title : chart.document_type.display}}},
      {"category", json::array({{{"coding", json::array({coding(chart.document_category)})}}})},
      {"subject", reference(administration.patient_reference)},
      {"date", administration.authored_at}};
  if (!administration.practitioner_reference.empty()) {
    document["author"] = json::array({reference(administration.practitioner_reference)});
  }
  document["description"] = title;
  json content = json::array();
  for (const NoteAttachment& attachment : note) {
    json value = {{"contentType", attachment.content_type}};
    if (!attachment.language.empty()) value["language"] = attachment.language;
    value["data"] = attachment_data(attachment.bytes);
    value["title"] = attachment.title.empty() ? title : attachment.title;
    content.push_back({{"attachment", std::move(value)}});
  }
  document["content"] = std::move(content);
  json context = json::object();
  if (!administration.encounter_reference.empty()) {
    context["encounter"] = json::array({reference(administration.encounter_reference)});
  }
  // The session's moment of rating, as a closed period (Oracle Health requires an end).
  context["period"] = {{"start", administration.authored_at}, {"end", administration.authored_at}};
  document["context"] = std::move(context);
  return document;
}

}  // namespace

std::string flowsheet_total_identifier(const Administration& administration) {
  return administration.administration_id + "-row-total";
}

std::string flowsheet_item_identifier(const Administration& administration, size_t item_number) {
  return administration.administration_id + "-row-item-" + std::to_string(item_number);
}

std::string document_identifier(const Administration& administration) {
  return administration.administration_id + "-note";
}

BundleResult chart_bundle(const Administration& administration, const MeasureDefinition& measure,
                          const MappingSettings& settings, const std::vector<NoteAttachment>& note,
                          const std::string& questionnaire_reference) {
  const ChartProfiles& chart = settings.chart;
  json entries = json::array();
  if (chart.fhir_native) {
    BundleResult native = administration_bundle(administration, measure, settings, questionnaire_reference);
    if (!native.error.empty()) return native;
    entries = std::move(native.bundle["entry"]);
  } else if (std::string problem = unwritable_reason(administration); !problem.empty()) {
    return {{}, problem};
  }
  if (chart.flowsheet && !is_stopped(administration)) {
    const auto rows = chart.flowsheet_rows.find(measure.code);
    if (rows != chart.flowsheet_rows.end()) {
      if (std::string error = add_flowsheet_rows(entries, administration, measure, settings, rows->second);
          !error.empty()) {
        return {{}, error};
      }
    } else if (!chart.fhir_native && !chart.document) {
      // Nothing else would carry these scores into the chart: say what IT must add.
      return {{}, "no flowsheet row for " + measure.code + ": add fhir.chart.flowsheet.rows." + measure.code};
    }
  }
  if (chart.document) {
    if (note.empty()) return {{}, "the document profile has no note to write"};
    const Coding& type = chart.document_type;
    entries.push_back(entry(full_url(administration, "DocumentReference/note"),
                            document_reference(administration, measure, settings, note),
                            chart.find_by_reading ? by_reading(administration, "type", type)
                                                  : by_identifier(settings, document_identifier(administration))));
  }
  return {{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", entries}}, {}};
}

}  // namespace alliance::fhir
