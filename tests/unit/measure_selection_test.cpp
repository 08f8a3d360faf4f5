// Which measure each participant gets: age band (from the age on the session date)
// and appointment kind, with the clinic's switched-on measures.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "session/measure_selection.hpp"
#include "session/session_details.hpp"

using namespace alliance;

namespace {

struct KindName {
  AppointmentKind kind;
  const char* name;
};
constexpr KindName kAppointmentKinds[] = {{AppointmentKind::individual, "individual"},
                                          {AppointmentKind::couple, "couple"},
                                          {AppointmentKind::family, "family"},
                                          {AppointmentKind::group, "group"}};

SelectionRules without(const std::string& code) {
  SelectionRules rules;
  std::erase(rules.enabled, code);
  return rules;
}

}  // namespace

TEST_SUITE("measure_selection") {
  TEST_CASE("each age and appointment kind gets its outcome and session rating measure") {
    struct Row {
      int age;
      AgeBand band;
      const char* outcome;
      const char* session_rating;  // individual, couple and family appointments
      const char* group_rating;
    };
    const Row rows[] = {
        {-1, AgeBand::unknown, "ORS", "SRS", "GSRS"},  // unknown age: the adult forms
        {0, AgeBand::young_child, "YCORS", "CSRS", "CGSRS"},
        {5, AgeBand::young_child, "YCORS", "CSRS", "CGSRS"},
        {6, AgeBand::child, "CORS", "CSRS", "CGSRS"},
        {12, AgeBand::child, "CORS", "CSRS", "CGSRS"},
        {13, AgeBand::adolescent, "ORS", "SRS", "GSRS"},
        {17, AgeBand::adolescent, "ORS", "SRS", "GSRS"},
        {18, AgeBand::adult, "ORS", "SRS", "GSRS"},
        {40, AgeBand::adult, "ORS", "SRS", "GSRS"},
    };
    const ScoringRules scoring;
    const SelectionRules selection;
    for (const Row& row : rows) {
      for (const KindName& appointment : kAppointmentKinds) {
        CAPTURE(row.age);
        CAPTURE(appointment.name);
        const AgeBand band = age_band_for(row.age, scoring);
        CHECK(band == row.band);
        CHECK(outcome_measure_for(band, selection) == row.outcome);
        const char* expected = appointment.kind == AppointmentKind::group ? row.group_rating : row.session_rating;
        CHECK(session_rating_measure_for(band, appointment.kind, selection) == expected);
      }
    }
  }

  TEST_CASE("a measure that is switched off gives nothing and leaves the others") {
    struct Row {
      const char* switched_off;
      int age;
      AppointmentKind appointment;
      const char* outcome;
      const char* session_rating;
    };
    const Row rows[] = {
        {"ORS", 30, AppointmentKind::individual, "", "SRS"},
        {"ORS", -1, AppointmentKind::individual, "", "SRS"},
        {"SRS", 30, AppointmentKind::individual, "ORS", ""},
        {"SRS", 30, AppointmentKind::group, "ORS", "GSRS"},
        {"CORS", 9, AppointmentKind::individual, "", "CSRS"},
        {"CORS", 30, AppointmentKind::individual, "ORS", "SRS"},
        {"CSRS", 9, AppointmentKind::family, "CORS", ""},
        {"CSRS", 4, AppointmentKind::couple, "YCORS", ""},
        {"YCORS", 4, AppointmentKind::individual, "", "CSRS"},
        {"YCORS", 9, AppointmentKind::individual, "CORS", "CSRS"},
        {"GSRS", 30, AppointmentKind::group, "ORS", ""},
        {"GSRS", 30, AppointmentKind::individual, "ORS", "SRS"},
        {"CGSRS", 9, AppointmentKind::group, "CORS", ""},
        {"CGSRS", 9, AppointmentKind::individual, "CORS", "CSRS"},
    };
    const ScoringRules scoring;
    for (const Row& row : rows) {
      CAPTURE(row.switched_off);
      CAPTURE(row.age);
      CAPTURE(static_cast<int>(row.appointment));
      const SelectionRules selection = without(row.switched_off);
      CHECK_FALSE(selection.is_enabled(row.switched_off));
      const AgeBand band = age_band_for(row.age, scoring);
      CHECK(outcome_measure_for(band, selection) == row.outcome);
      CHECK(session_rating_measure_for(band, row.appointment, selection) == row.session_rating);
    }
    SelectionRules nothing;
    nothing.enabled.clear();
    CHECK(outcome_measure_for(AgeBand::adult, nothing).empty());
    CHECK(session_rating_measure_for(AgeBand::adult, AppointmentKind::individual, nothing).empty());
  }

  TEST_CASE("configured age bands move the boundaries") {
    struct Row {
      int child_from;
      int adolescent_from;
      int adult_from;
      int age;
      AgeBand band;
      const char* outcome;
      const char* session_rating;
    };
    const Row rows[] = {
        {6, 13, 19, 18, AgeBand::adolescent, "ORS", "SRS"},
        {6, 13, 19, 19, AgeBand::adult, "ORS", "SRS"},
        {6, 14, 18, 13, AgeBand::child, "CORS", "CSRS"},
        {6, 14, 18, 14, AgeBand::adolescent, "ORS", "SRS"},
        {5, 13, 18, 5, AgeBand::child, "CORS", "CSRS"},
        {5, 13, 18, 4, AgeBand::young_child, "YCORS", "CSRS"},
        {7, 13, 18, 6, AgeBand::young_child, "YCORS", "CSRS"},
        {7, 13, 18, 7, AgeBand::child, "CORS", "CSRS"},
    };
    const SelectionRules selection;
    for (const Row& row : rows) {
      CAPTURE(row.child_from);
      CAPTURE(row.adolescent_from);
      CAPTURE(row.adult_from);
      CAPTURE(row.age);
      ScoringRules scoring;
      scoring.child_from_age = row.child_from;
      scoring.adolescent_from_age = row.adolescent_from;
      scoring.adult_from_age = row.adult_from;
      const AgeBand band = age_band_for(row.age, scoring);
      CHECK(band == row.band);
      CHECK(outcome_measure_for(band, selection) == row.outcome);
      CHECK(session_rating_measure_for(band, AppointmentKind::individual, selection) == row.session_rating);
    }
  }

  TEST_CASE("the other rater's form is the ORS by default and nothing when switched off") {
    CHECK(other_rater_measure_for(SelectionRules{}) == "ORS");
    CHECK(other_rater_measure_for(without("ORS")).empty());
    CHECK(other_rater_measure_for(without("SRS")) == "ORS");
    SelectionRules none;
    none.other_rater_measure = "";
    CHECK(other_rater_measure_for(none).empty());
    SelectionRules child;
    child.other_rater_measure = "CORS";
    CHECK(other_rater_measure_for(child) == "CORS");
    std::erase(child.enabled, std::string("CORS"));
    CHECK(other_rater_measure_for(child).empty());
  }

  TEST_CASE("the age on the session date chooses the measure: a birthday on that day counts as had") {
    struct Row {
      const char* birth_date;
      const char* session_date;
      int age;
      const char* outcome;
    };
    const Row rows[] = {
        {"2013-11-02", "2026-11-02T15:00:00Z", 13, "ORS"},   // turns 13 that day
        {"2013-11-03", "2026-11-02T15:00:00Z", 12, "CORS"},  // turns 13 the next day
        {"2020-11-02", "2026-11-02", 6, "CORS"},
        {"2020-11-03", "2026-11-02", 5, "YCORS"},
        {"2008-11-02", "2026-11-02", 18, "ORS"},
        {"2026-11-02", "2026-11-02", 0, "YCORS"},  // born on the session date
        // 29 February: in a common year the birthday is had on 1 March, not 28 February.
        {"2012-02-29", "2024-02-29", 12, "CORS"},
        {"2012-02-29", "2024-02-28", 11, "CORS"},
        {"2012-02-29", "2025-02-28", 12, "CORS"},
        {"2012-02-29", "2025-03-01", 13, "ORS"},
        {"2011-02-28", "2024-02-29", 13, "ORS"},
        {"2012-03-01", "2025-02-28", 12, "CORS"},
        {"not a date", "2026-11-02", -1, "ORS"},
        {"2013-11-02", "", -1, "ORS"},
        {"2030-01-01", "2026-11-02", -1, "ORS"},  // born after the session
    };
    const ScoringRules scoring;
    const SelectionRules selection;
    for (const Row& row : rows) {
      CAPTURE(row.birth_date);
      CAPTURE(row.session_date);
      const int age = age_on(row.birth_date, row.session_date);
      CHECK(age == row.age);
      CHECK(outcome_measure_for(age_band_for(age, scoring), selection) == row.outcome);
    }
  }

  TEST_CASE("the effective age prefers the host's age_years over the birth date") {
    struct Row {
      int age_years;
      const char* birth_date;
      int expected;
    };
    const Row rows[] = {
        {12, "2013-11-02", 12},  // the host says 12, the birth date would say 13
        {0, "2000-01-01", 0},    // 0 is an age, not "unknown"
        {-1, "2013-11-02", 13},
        {-1, "2013-11-03", 12},
        {-1, "", -1},
        {40, "", 40},
    };
    for (const Row& row : rows) {
      CAPTURE(row.age_years);
      CAPTURE(row.birth_date);
      Participant participant;
      participant.age_years = row.age_years;
      participant.birth_date = row.birth_date;
      CHECK(effective_age(participant, "2026-11-02T15:00:00Z") == row.expected);
    }
  }
}
