// The store's plaintext of an administration: what a verbal (phone) administration adds
// survives the round trip, and rows written before it decode as the client's own
// electronic answers.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "store/administration_codec.hpp"

using namespace alliance;
using nlohmann::json;

namespace {

Administration verbal_srs() {
  Administration administration;
  administration.administration_id = "6f1c2d4e-8a9b-4c3d-9e2f-1a2b3c4d5e6f";
  administration.session_id = "session-7";
  administration.client_key = "client-key";
  administration.participant_id = "participant-3";
  administration.patient_reference = "Patient/pat-1";
  administration.practitioner_reference = "Practitioner/dr-1";
  administration.questionnaire = "https://fhir.alliance-plugin.org/Questionnaire/srs|1.0.0";
  administration.measure_code = "SRS";
  administration.completion_mode = "VERBAL";
  administration.entered_by_reference = "Practitioner/dr-2";
  administration.authored_at = "2026-12-06T07:00:00Z";
  administration.item_link_ids = {"srs-relationship", "srs-goals-and-topics", "srs-approach-or-method", "srs-overall"};
  administration.scored.kind = MeasureKind::session_rating_scale;
  administration.scored.item_scores = {90, 85, 92, 95};
  administration.scored.total = 362;
  administration.scored.session_number = 2;
  return administration;
}

// A payload as releases before verbal administration wrote it: no completion_mode, no
// entered_by_reference.
constexpr const char* kPayloadBeforeVerbal = R"({
  "administration_id": "0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d", "session_id": "s-1", "client_key": "k",
  "participant_id": "p-1", "patient_reference": "Patient/pat-9", "practitioner_reference": "Practitioner/dr-9",
  "encounter_reference": "", "questionnaire": "https://fhir.alliance-plugin.org/Questionnaire/ors|1.0.0",
  "authored_at": "2026-11-02T15:04:05Z", "age_years": 34,
  "item_link_ids": ["ors-individually", "ors-interpersonally", "ors-socially", "ors-overall"],
  "measure": "ORS", "measure_code": "ORS", "language": "en", "status": "completed", "not_completed_reason": "",
  "other_rater": false, "rater_reference": "", "relationship": "", "age_band": 2,
  "clinically_significant_change": false, "item_scores": [50, 60, 70, 80], "total": 260, "session_number": 1,
  "flags": [], "summary": "", "cutoff": 250, "change_since_intake": null, "change_since_previous": null,
  "outcome_category": null, "expected_total": null, "on_track": null})";

}  // namespace

TEST_SUITE("administration_codec") {
  TEST_CASE("a verbal administration keeps its completion mode and who entered it") {
    const Administration original = verbal_srs();
    const auto decoded = decode_administration(encode_administration(original));
    REQUIRE(decoded);
    CHECK(decoded->completion_mode == "VERBAL");
    CHECK(decoded->entered_by_reference == "Practitioner/dr-2");
    CHECK(decoded->practitioner_reference == "Practitioner/dr-1");
    CHECK(decoded->scored.item_scores == original.scored.item_scores);
    CHECK(decoded->scored.total == 362);
  }

  TEST_CASE("an electronic administration stays electronic with nobody entering for the client") {
    Administration electronic = verbal_srs();
    electronic.completion_mode = "ELECTRONIC";
    electronic.entered_by_reference.clear();
    const auto decoded = decode_administration(encode_administration(electronic));
    REQUIRE(decoded);
    CHECK(decoded->completion_mode == "ELECTRONIC");
    CHECK(decoded->entered_by_reference.empty());
  }

  TEST_CASE("a row written before verbal administration decodes as electronic") {
    const auto decoded = decode_administration(kPayloadBeforeVerbal);
    REQUIRE(decoded);
    CHECK(decoded->administration_id == "0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d");
    CHECK(decoded->completion_mode == "ELECTRONIC");
    CHECK(decoded->entered_by_reference.empty());
    CHECK(decoded->scored.total == 260);
  }

  TEST_CASE("a completion mode the chart's value set does not have is a damaged row") {
    for (const json& mode : {json("WRITTEN"), json("verbal"), json(""), json(7), json(nullptr)}) {
      CAPTURE(mode.dump());
      json payload = json::parse(encode_administration(verbal_srs()));
      payload["completion_mode"] = mode;
      CHECK_FALSE(decode_administration(payload.dump()));
    }
    json payload = json::parse(encode_administration(verbal_srs()));
    payload["entered_by_reference"] = 12;
    CHECK_FALSE(decode_administration(payload.dump()));
  }
}
