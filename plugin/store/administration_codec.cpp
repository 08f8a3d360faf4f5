#include "store/administration_codec.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace alliance {

using nlohmann::json;

std::string encode_administration(const Administration& administration) {
  const ScoredMeasure& scored = administration.scored;
  json flags = json::array();
  for (const Flag& flag : scored.flags) flags.push_back({{"code", to_string(flag.code)}, {"text", flag.text}});
  json encoded = {{"administration_id", administration.administration_id},
                  {"session_id", administration.session_id},
                  {"client_key", administration.client_key},
                  {"participant_id", administration.participant_id},
                  {"patient_reference", administration.patient_reference},
                  {"practitioner_reference", administration.practitioner_reference},
                  {"encounter_reference", administration.encounter_reference},
                  {"questionnaire", administration.questionnaire},
                  {"authored_at", administration.authored_at},
                  {"age_years", administration.age_years},
                  {"item_link_ids", administration.item_link_ids},
                  {"measure", measure_code(scored.kind)},
                  {"measure_code", administration.measure_code},
                  {"language", administration.language},
                  {"status", administration.status},
                  {"not_completed_reason", administration.not_completed_reason},
                  {"other_rater", administration.other_rater},
                  {"rater_reference", administration.rater_reference},
                  {"relationship", administration.relationship},
                  {"completion_mode", administration.completion_mode},
                  {"entered_by_reference", administration.entered_by_reference},
                  {"age_band", static_cast<int>(scored.age_band)},
                  {"clinically_significant_change", scored.clinically_significant_change},
                  {"item_scores", scored.item_scores},
                  {"total", scored.total},
                  {"session_number", scored.session_number},
                  {"flags", flags},
                  {"summary", scored.summary}};
  encoded["cutoff"] = scored.cutoff ? json(*scored.cutoff) : json(nullptr);
  encoded["change_since_intake"] = scored.change_since_intake ? json(*scored.change_since_intake) : json(nullptr);
  encoded["change_since_previous"] =
      scored.change_since_previous ? json(*scored.change_since_previous) : json(nullptr);
  encoded["outcome_category"] =
      scored.outcome_category ? json(outcome_category_code(*scored.outcome_category)) : json(nullptr);
  encoded["expected_total"] = scored.expected_total ? json(*scored.expected_total) : json(nullptr);
  encoded["on_track"] = scored.on_track ? json(*scored.on_track) : json(nullptr);
  return encoded.dump();
}

std::optional<Administration> decode_administration(const std::string& text) {
  const json encoded = json::parse(text, nullptr, false);
  if (!encoded.is_object()) return std::nullopt;
  try {
    Administration administration;
    administration.administration_id = encoded.at("administration_id");
    administration.session_id = encoded.at("session_id");
    administration.client_key = encoded.at("client_key");
    administration.participant_id = encoded.at("participant_id");
    administration.patient_reference = encoded.at("patient_reference");
    administration.practitioner_reference = encoded.at("practitioner_reference");
    administration.encounter_reference = encoded.at("encounter_reference");
    administration.questionnaire = encoded.at("questionnaire");
    administration.authored_at = encoded.at("authored_at");
    administration.age_years = encoded.at("age_years");
    administration.item_link_ids = encoded.at("item_link_ids").get<std::vector<std::string>>();
    ScoredMeasure& scored = administration.scored;
    scored.kind = encoded.at("measure") == "ORS" ? MeasureKind::outcome_rating_scale : MeasureKind::session_rating_scale;
    // Fields added with the child, group and rater measures; older payloads lack them.
    administration.measure_code = encoded.value("measure_code", std::string(measure_code(scored.kind)));
    administration.language = encoded.value("language", std::string("en"));
    administration.status = encoded.value("status", std::string("completed"));
    administration.not_completed_reason = encoded.value("not_completed_reason", std::string());
    administration.other_rater = encoded.value("other_rater", false);
    administration.rater_reference = encoded.value("rater_reference", std::string());
    administration.relationship = encoded.value("relationship", std::string());
    // Added with verbal administration (issue 16): rows written before it were all
    // answered on the client's own panel.
    administration.completion_mode = encoded.value("completion_mode", std::string("ELECTRONIC"));
    if (administration.completion_mode != "ELECTRONIC" && administration.completion_mode != "VERBAL") {
      // The mapping writes this code to the chart, where its value set is required:
      // another one is a damaged row, as an unknown flag code is.
      return std::nullopt;
    }
    administration.entered_by_reference = encoded.value("entered_by_reference", std::string());
    scored.clinically_significant_change = encoded.value("clinically_significant_change", false);
    const auto optional_tenths = [&encoded](const char* key) -> std::optional<Tenths> {
      const auto found = encoded.find(key);
      if (found == encoded.end() || !found->is_number_integer()) return std::nullopt;
      return found->get<Tenths>();
    };
    scored.change_since_intake = optional_tenths("change_since_intake");
    scored.change_since_previous = optional_tenths("change_since_previous");
    scored.expected_total = optional_tenths("expected_total");
    if (const auto on_track = encoded.find("on_track"); on_track != encoded.end() && on_track->is_boolean()) {
      scored.on_track = on_track->get<bool>();
    }
    if (const auto category = encoded.find("outcome_category"); category != encoded.end() && category->is_string()) {
      for (const OutcomeCategory candidate : {OutcomeCategory::recovered, OutcomeCategory::reliably_improved,
                                              OutcomeCategory::no_reliable_change, OutcomeCategory::deteriorated}) {
        if (*category == outcome_category_code(candidate)) scored.outcome_category = candidate;
      }
    }
    scored.item_scores = encoded.at("item_scores").get<std::vector<Tenths>>();
    scored.total = encoded.at("total");
    scored.session_number = encoded.at("session_number");
    if (!encoded.at("cutoff").is_null()) scored.cutoff = encoded.at("cutoff").get<Tenths>();
    for (const json& flag : encoded.at("flags")) {
      const std::optional<FlagCode> code = flag_code_from(flag.at("code").get<std::string>());
      // Every version wrote codes of the one table; another is a damaged row.
      if (!code) throw std::runtime_error("a stored administration has a flag code this version does not know");
      scored.flags.push_back({*code, flag.at("text")});
    }
    scored.summary = encoded.value("summary", "");
    // The age band as scored (its boundaries are configuration, so it is stored).
    const int band = encoded.value("age_band", static_cast<int>(AgeBand::unknown));
    scored.age_band = band >= 0 && band <= static_cast<int>(AgeBand::unknown) ? static_cast<AgeBand>(band)
                                                                              : AgeBand::unknown;
    // Derived: recomputed, not stored.
    scored.in_concern_range = scored.cutoff.has_value() && scored.total < *scored.cutoff;
    return administration;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace alliance
