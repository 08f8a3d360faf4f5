#include "administration_codec.hpp"

#include <nlohmann/json.hpp>

namespace alliance {

using nlohmann::json;

std::string encode_administration(const Administration& administration) {
  const ScoredMeasure& scored = administration.scored;
  json flags = json::array();
  for (const Flag& flag : scored.flags) flags.push_back({{"code", flag.code}, {"text", flag.text}});
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
                  {"item_scores", scored.item_scores},
                  {"total", scored.total},
                  {"session_number", scored.session_number},
                  {"flags", flags},
                  {"summary", scored.summary}};
  encoded["cutoff"] = scored.cutoff ? json(*scored.cutoff) : json(nullptr);
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
    scored.item_scores = encoded.at("item_scores").get<std::vector<Tenths>>();
    scored.total = encoded.at("total");
    scored.session_number = encoded.at("session_number");
    if (!encoded.at("cutoff").is_null()) scored.cutoff = encoded.at("cutoff").get<Tenths>();
    for (const json& flag : encoded.at("flags")) scored.flags.push_back({flag.at("code"), flag.at("text")});
    scored.summary = encoded.value("summary", "");
    // Derived facts are recomputed, not stored.
    scored.age_band = age_band_for(administration.age_years);
    scored.in_concern_range = scored.cutoff.has_value() && scored.total < *scored.cutoff;
    return administration;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace alliance
