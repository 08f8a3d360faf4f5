#include <doctest/doctest.h>

#include <sstream>

#include "documents/clinical_note.hpp"
#include "scoring/scoring.hpp"
#include "support/text.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::contains;
using alliance::testing::shipped_measures;

namespace {

const MeasureDefinition& installed_measure(const std::string& code, const std::string& language) {
  const MeasureDefinition* measure = shipped_measures().find(code, language);
  REQUIRE(measure != nullptr);
  REQUIRE(measure->language == language);
  return *measure;
}

// An administration scored as the plugin scores it (score_measure), by an adult client.
Administration note_administration(const MeasureDefinition& measure, const std::vector<Tenths>& items,
                                   const MeasureHistory& history, const std::string& authored_at, int age = 34) {
  Administration administration;
  administration.administration_id = "0f7c1c7e-3a4b-4c1d-9e55-1a2b3c4d5e6f";
  administration.session_id = "session-secret-9";
  administration.client_key = "Patient/pat-secret-1";
  administration.participant_id = "participant-secret-1";
  administration.patient_reference = "Patient/pat-secret-1";
  administration.questionnaire = measure.canonical();
  administration.measure_code = measure.code;
  administration.language = measure.language;
  administration.authored_at = authored_at;
  administration.age_years = age;
  for (const MeasureItem& item : measure.items) administration.item_link_ids.push_back(item.link_id);
  administration.scored = score_measure(measure, items, age, history, ScoringRules{});
  return administration;
}

MeasureHistory note_history(int earlier, Tenths intake, Tenths previous) {
  MeasureHistory history;
  history.earlier_sessions = earlier;
  history.earlier_administrations = earlier;
  history.intake_total = intake;
  history.previous_total = previous;
  return history;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

std::size_t code_points(const std::string& line) {
  std::size_t count = 0;
  for (const char byte : line) count += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

// Nothing that identifies the client or the session reaches the note.
void check_no_identifiers(const std::string& text) {
  CHECK_FALSE(contains(text, "secret"));
  CHECK_FALSE(contains(text, "0f7c1c7e"));
  CHECK_FALSE(contains(text, "Patient/"));
}

void check_line_widths(const std::string& text) {
  for (const std::string& line : lines_of(text)) {
    INFO(line);
    CHECK(code_points(line) < 80);
  }
}

}  // namespace

TEST_CASE("a completed ORS note says the scores the cutoff the change and every flag") {
  const MeasureDefinition& measure = installed_measure("ORS", "en");
  const Administration administration =
      note_administration(measure, {52, 48, 55, 58}, note_history(2, 163, 190), "2026-11-02T15:04:05.000Z");
  const std::vector<TrendPoint> trend = {
      {"ORS", "2026-10-19T15:00:00.000Z", 163, 1, 250},
      {"SRS", "2026-10-19T15:50:00.000Z", 372, 1, std::nullopt},  // another family: not drawn
      {"ORS", "2026-10-26T15:00:00.000Z", 190, 2, 250},
      {"ORS", "2026-11-02T15:04:05.000Z", 213, 3, 250},  // this administration, already stored
      {"ORS", "2026-11-09T15:00:00.000Z", 240, 4, 250},  // later: not part of this note
  };
  const ClinicalNote note = clinical_note(administration, measure, trend);

  CHECK(note.completed);
  CHECK(note.measure_code == "ORS");
  CHECK(note.form_language == "en");
  REQUIRE(note.trend.points.size() == 3);
  CHECK(note.trend.points[2].current);
  CHECK_FALSE(note.trend.points[1].current);
  CHECK(note.trend.cutoff == 250);

  const std::string text = note_text(note);
  INFO(text);
  CHECK(text ==
        "Outcome Rating Scale (ORS), session 3\n"
        "=====================================\n"
        "\n"
        "Rating\n"
        "------\n"
        "Date:           2026-11-02 15:04 UTC\n"
        "Rated by:       the client\n"
        "Form language:  English (en)\n"
        "\n"
        "Scores\n"
        "------\n"
        "Individually:     5.2\n"
        "Interpersonally:  4.8\n"
        "Socially:         5.5\n"
        "Overall:          5.8\n"
        "Total:            21.3 of 40\n"
        "\n"
        "Cutoff\n"
        "------\n"
        "Clinical cutoff:  25.0 (adult)\n"
        "In the clinical range: the total is below the cutoff.\n"
        "\n"
        "Change\n"
        "------\n"
        "Since intake:        +5.0 (reliable improvement)\n"
        "Since last session:  +2.3\n"
        "Outcome so far:      Reliably improved\n"
        "\n"
        "Flags\n"
        "-----\n"
        "In the clinical range: below the cutoff of 25.0 (adult).\n"
        "Reliable improvement since intake: +5.0 points.\n"
        "\n"
        "Summary\n"
        "-------\n"
        "ORS 21.3 (session 3), below the clinical cutoff of 25.0; +5.0 since intake,\n"
        "+2.3 since last time; outcome so far: reliably improved.\n"
        "\n"
        "ORS total by session\n"
        "--------------------\n"
        "Session 1   2026-10-19    16.3\n"
        "Session 2   2026-10-26    19.0\n"
        "Session 3   2026-11-02    21.3  (this rating)\n"
        "Clinical cutoff 25.0.\n");
  check_no_identifiers(text);
  check_line_widths(text);
}

TEST_CASE("an ORS note adds this administration to the trend when the store does not hold it yet") {
  const MeasureDefinition& measure = installed_measure("ORS", "en");
  const Administration administration =
      note_administration(measure, {70, 70, 70, 70}, note_history(1, 200, 200), "2026-11-02T15:04:05Z");
  const ClinicalNote note = clinical_note(administration, measure, {{"ORS", "2026-10-26T15:00:00Z", 200, 1, 250}});
  REQUIRE(note.trend.points.size() == 2);
  CHECK(note.trend.points[1].session_number == 2);
  CHECK(note.trend.points[1].total == 280);
  CHECK(note.trend.points[1].date == "2026-11-02");
  CHECK(note.trend.points[1].current);
  const std::string text = note_text(note);
  INFO(text);
  CHECK(contains(text, "Since intake:        +8.0 (reliable improvement)\n"));
  CHECK(contains(text, "Outcome so far:      Recovered (clinically significant change)\n"));
  CHECK(contains(text, "At or above the clinical cutoff: not in the clinical range.\n"));
  CHECK(contains(text, "Clinically significant change: from 20.0 at intake, in the clinical range, to\n"
                       "28.0, at or above the cutoff of 25.0, a reliable +8.0 points.\n"));
}

TEST_CASE("an ORS intake note says there is no change yet") {
  const MeasureDefinition& measure = installed_measure("ORS", "en");
  const Administration administration = note_administration(measure, {70, 70, 70, 70}, {}, "2026-11-02T15:04:05Z");
  const std::string text = note_text(clinical_note(administration, measure, {}));
  INFO(text);
  CHECK(contains(text, "Outcome Rating Scale (ORS), session 1\n"));
  CHECK(contains(text, "Change\n------\nIntake: the first score, so no change yet.\n"));
  CHECK(contains(text, "Flags\n-----\nNone.\n"));
  CHECK(contains(text, "Session 1   2026-11-02    28.0  (this rating)\n"));
}

TEST_CASE("an SRS note below the alliance cutoff says alliance concern with its check-ins and drop") {
  const MeasureDefinition& measure = installed_measure("SRS", "en");
  MeasureHistory history;
  history.earlier_sessions = 1;
  history.earlier_administrations = 1;
  history.intake_total = 380;
  history.previous_total = 380;
  const Administration administration =
      note_administration(measure, {95, 80, 92, 90}, history, "2026-11-02T15:52:00.000Z");
  const ClinicalNote note = clinical_note(
      administration, measure,
      {{"ORS", "2026-10-26T15:00:00.000Z", 190, 1, 250}, {"SRS", "2026-10-26T15:50:00.000Z", 380, 1, 360}});
  CHECK(note.trend.family == "SRS");
  CHECK(note.trend.cutoff_label == "Alliance cutoff 36.0");
  const std::string text = note_text(note);
  INFO(text);
  CHECK(text ==
        "Session Rating Scale (SRS), session 2\n"
        "=====================================\n"
        "\n"
        "Rating\n"
        "------\n"
        "Date:           2026-11-02 15:52 UTC\n"
        "Rated by:       the client\n"
        "Form language:  English (en)\n"
        "\n"
        "Scores\n"
        "------\n"
        "Relationship:        9.5\n"
        "Goals and Topics:    8.0\n"
        "Approach or Method:  9.2\n"
        "Overall:             9.0\n"
        "Total:               35.7 of 40\n"
        "\n"
        "Cutoff\n"
        "------\n"
        "Alliance cutoff:  36.0\n"
        "Alliance concern: the total is below the alliance cutoff.\n"
        "\n"
        "Change\n"
        "------\n"
        "Since last session:  -2.3 (a drop to talk about)\n"
        "\n"
        "Flags\n"
        "-----\n"
        "Below 36.0: ask what could make the sessions fit better.\n"
        "Check in about Goals and Topics: rated 8.0.\n"
        "Dropped 2.3 points since last session: talk about it now.\n"
        "\n"
        "Summary\n"
        "-------\n"
        "SRS 35.7, below 36.0; -2.3 since last session.\n"
        "\n"
        "SRS total by session\n"
        "--------------------\n"
        "Session 1   2026-10-26    38.0\n"
        "Session 2   2026-11-02    35.7  (this rating)\n"
        "Alliance cutoff 36.0.\n");
  check_line_widths(text);
}

TEST_CASE("a child measure rated by a parent names the rater and the child cutoff") {
  const MeasureDefinition& measure = installed_measure("CORS", "en");
  Administration administration =
      note_administration(measure, {80, 62, 75, 70}, note_history(1, 260, 260), "2026-11-02T16:00:00Z", 9);
  administration.other_rater = true;
  administration.relationship = "MTH";
  administration.rater_reference = "RelatedPerson/secret-mother";
  const ClinicalNote note = clinical_note(administration, measure, {{"CORS", "2026-10-26T16:00:00Z", 260, 1, 320}});
  const std::string text = note_text(note);
  INFO(text);
  CHECK(contains(text, "Child Outcome Rating Scale (CORS), session 2\n"));
  CHECK(contains(text, "Rated by:       the client's mother (other rater)\n"));
  CHECK(contains(text, "Me:          8.0\nFamily:      6.2\nSchool:      7.5\nEverything:  7.0\nTotal:       28.7 of 40\n"));
  CHECK(contains(text, "Clinical cutoff:  32.0 (child)\n"));
  CHECK(contains(text, "In the clinical range: the total is below the cutoff.\n"));
  CHECK(contains(text, "Since intake:        +2.7\n"));
  CHECK(contains(text, "Outcome so far:      No reliable change\n"));
  CHECK(contains(text, "CORS total by session\n"));
  CHECK(contains(text, "Clinical cutoff 32.0.\n"));
  check_no_identifiers(text);

  SUBCASE("a grandparent and a code without a display") {
    administration.relationship = "GRPRN";
    CHECK(contains(note_text(clinical_note(administration, measure, {})), "Rated by:       the client's grandparent (other rater)\n"));
    administration.relationship = "NBOR";
    CHECK(contains(note_text(clinical_note(administration, measure, {})),
                   "Rated by:       another person (other rater; relationship code NBOR)\n"));
  }
}

TEST_CASE("a Spanish administration names its items as the client read them") {
  const MeasureDefinition& measure = installed_measure("SRS", "es");
  const Administration administration = note_administration(measure, {91, 88, 95, 97}, {}, "2026-11-02T15:52:00Z");
  const ClinicalNote note = clinical_note(administration, measure, {});
  CHECK(note.form_language == "es");
  CHECK(note.language == "en");
  const std::string text = note_text(note);
  INFO(text);
  // The title stays in the clinic's language (the chart's title of the measure).
  CHECK(contains(text, "Session Rating Scale (SRS), session 1\n"));
  CHECK(contains(text, "Form language:  Spanish (es)\n"));
  CHECK(contains(text,
                 "Relación (Relationship):                9.1\n"
                 "Metas y temas (Goals and Topics):       8.8\n"
                 "Enfoque o método (Approach or Method):  9.5\n"
                 "En general (Overall):                   9.7\n"
                 "Total:                                  37.1 of 40\n"));
  CHECK(contains(text, "At or above the alliance cutoff: no alliance concern.\n"));
  CHECK(contains(text, "Check in about Goals and Topics: rated 8.8.\n"));
  check_line_widths(text);

  const MeasureDefinition& outcome = installed_measure("ORS", "es");
  CHECK(item_name_as_read(outcome.items[0]) == "Individualmente");
  CHECK(item_name_as_read(installed_measure("YCORS", "es").items[2]) == "Escuela/Guardería");
  CHECK(item_name_as_read(installed_measure("CSRS", "es").items[1]) == "Qué tan importante");
}

TEST_CASE("a stopped administration says it was not completed and why with no scores") {
  const MeasureDefinition& measure = installed_measure("ORS", "en");
  Administration administration = note_administration(measure, {50, 50, 50, 50}, {}, "2026-11-02T15:01:00Z");
  administration.status = "stopped";
  administration.not_completed_reason = "declined: No tengo tiempo hoy";
  administration.scored = ScoredMeasure{};
  const ClinicalNote note = clinical_note(administration, measure, {{"ORS", "2026-10-26T15:00:00Z", 200, 1, 250}});
  CHECK_FALSE(note.completed);
  CHECK(note.trend.points.empty());
  const std::string text = note_text(note);
  INFO(text);
  CHECK(text ==
        "Outcome Rating Scale (ORS): not completed\n"
        "=========================================\n"
        "\n"
        "Rating\n"
        "------\n"
        "Date:           2026-11-02 15:01 UTC\n"
        "Rated by:       the client\n"
        "Form language:  English (en)\n"
        "\n"
        "Not completed\n"
        "-------------\n"
        "The client chose not to fill in the ORS this time.\n"
        "Reason given:  No tengo tiempo hoy\n"
        "No scores were recorded.\n");

  administration.not_completed_reason = "session_ended";
  CHECK(contains(note_text(clinical_note(administration, measure, {})),
                 "The session ended before the ORS was finished.\nNo scores were recorded.\n"));
  administration.not_completed_reason = "participant_left";
  administration.other_rater = true;
  administration.relationship = "FTH";
  CHECK(contains(note_text(clinical_note(administration, measure, {})),
                 "The client's father left before finishing the ORS this time.\n"));
}

TEST_CASE("a verbal administration's note says the therapist read it aloud and entered the answers") {
  const MeasureDefinition& measure = installed_measure("SRS", "en");
  Administration administration = note_administration(measure, {95, 92, 94, 96}, {}, "2026-11-02T15:52:00Z");
  const std::string electronic = note_text(clinical_note(administration, measure, {}));
  administration.completion_mode = "VERBAL";
  administration.entered_by_reference = "Practitioner/secret-reader-4";
  const std::string verbal = note_text(clinical_note(administration, measure, {}));
  INFO(verbal);
  CHECK(contains(verbal,
                 "Rating\n"
                 "------\n"
                 "Date:           2026-11-02 15:52 UTC\n"
                 "Rated by:       the client\n"
                 "Administered:   read aloud and entered by the therapist (phone/audio session)\n"
                 "Form language:  English (en)\n"));
  // The one line is all that differs; who entered it is in the chart's resources, not here.
  CHECK_FALSE(contains(electronic, "Administered"));
  CHECK_FALSE(contains(verbal, "secret-reader"));
  std::string without_line = verbal;
  const std::string line = "Administered:   read aloud and entered by the therapist (phone/audio session)\n";
  without_line.erase(without_line.find(line), line.size());
  CHECK(without_line == electronic);
  for (const std::string& text_line : lines_of(verbal)) CHECK(code_points(text_line) < 80);

  // Stopped while being read aloud: the note still says how it was given.
  administration.status = "stopped";
  administration.not_completed_reason = "session_ended";
  administration.scored = ScoredMeasure{};
  CHECK(contains(note_text(clinical_note(administration, measure, {})), line));
}

TEST_CASE("a long value wraps under itself within 80 columns") {
  ClinicalNote note;
  note.title = "Outcome Rating Scale (ORS), session 2";
  note.sections.push_back(
      {"Not completed",
       {{"Reason given", "Hoy no quiero hablar de cómo me fue esta semana porque fue una semana muy larga y difícil."}}});
  const std::string text = note_text(note);
  INFO(text);
  CHECK(contains(text,
                 "Reason given:  Hoy no quiero hablar de cómo me fue esta semana porque fue una\n"
                 "               semana muy larga y difícil.\n"));
  check_line_widths(text);
}
