#include <doctest/doctest.h>

#include "scoring.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;

namespace {

bool has_flag(const ScoredMeasure& scored, const std::string& code) {
  for (const Flag& flag : scored.flags) {
    if (flag.code == code) return true;
  }
  return false;
}

ScoredMeasure outcome(std::vector<Tenths> items, int age, MeasureHistory history = {}, ScoringRules rules = {}) {
  return score_measure(shipped_measures().outcome(), items, age, history, rules);
}

ScoredMeasure session_rating(std::vector<Tenths> items, MeasureHistory history = {}) {
  return score_measure(shipped_measures().session_rating(), items, 30, history, ScoringRules{});
}

}  // namespace

TEST_SUITE("scoring") {
  TEST_CASE("the total is the exact sum of the item marks in tenths") {
    const ScoredMeasure scored = outcome({63, 71, 58, 99}, 40);
    CHECK(scored.total == 291);
    CHECK(format_tenths(scored.total) == "29.1");
    CHECK(outcome({0, 0, 0, 0}, 40).total == 0);
    CHECK(outcome({100, 100, 100, 100}, 40).total == 400);
  }

  TEST_CASE("age bands follow pcoms.md at every boundary") {
    struct Case {
      int age;
      AgeBand band;
      std::optional<Tenths> cutoff;
    };
    const Case cases[] = {
        {-1, AgeBand::unknown, 250}, {0, AgeBand::young_child, std::nullopt}, {5, AgeBand::young_child, std::nullopt},
        {6, AgeBand::child, 320},    {12, AgeBand::child, 320},               {13, AgeBand::adolescent, 280},
        {17, AgeBand::adolescent, 280}, {18, AgeBand::adult, 250},            {90, AgeBand::adult, 250},
    };
    for (const Case& item : cases) {
      CAPTURE(item.age);
      CHECK(age_band_for(item.age, ScoringRules{}) == item.band);
      CHECK(outcome_cutoff_for(item.band, ScoringRules{}) == item.cutoff);
    }
  }

  TEST_CASE("a total exactly at the cutoff is not in the clinical range and one tenth below is") {
    const ScoredMeasure at_cutoff = outcome({70, 60, 60, 60}, 30);  // 25.0, adult cutoff 25
    CHECK(at_cutoff.total == 250);
    CHECK_FALSE(at_cutoff.in_concern_range);
    CHECK_FALSE(has_flag(at_cutoff, "clinical-range"));
    const ScoredMeasure below = outcome({69, 60, 60, 60}, 30);  // 24.9
    CHECK(below.in_concern_range);
    CHECK(has_flag(below, "clinical-range"));
  }

  TEST_CASE("the clinical cutoff depends on age and a young child has none") {
    const std::vector<Tenths> items{70, 70, 70, 70};  // 28.0
    CHECK_FALSE(outcome(items, 18).in_concern_range);  // adult cutoff 25
    CHECK_FALSE(outcome(items, 13).in_concern_range);  // adolescent 28: exactly at
    CHECK(outcome(items, 12).in_concern_range);        // child 32
    const ScoredMeasure young = outcome(items, 5);
    CHECK_FALSE(young.cutoff.has_value());
    CHECK_FALSE(young.in_concern_range);
    const ScoredMeasure unknown = outcome({10, 10, 10, 10}, -1);
    CHECK(unknown.cutoff == 250);
    CHECK(unknown.flags.front().text.find("adult cutoff used") != std::string::npos);
  }

  TEST_CASE("configured cutoffs replace the defaults") {
    ScoringRules rules;
    rules.adult_cutoff = 200;
    CHECK_FALSE(outcome({50, 50, 50, 50}, 40, {}, rules).in_concern_range);  // 20.0 vs 20
  }

  TEST_CASE("the first administration is the intake with no change") {
    const ScoredMeasure intake = outcome({50, 50, 50, 50}, 40);
    CHECK(intake.session_number == 1);
    CHECK_FALSE(intake.change_since_intake.has_value());
    CHECK_FALSE(intake.change_since_previous.has_value());
  }

  TEST_CASE("reliable change is exactly 5.0 points or more in either direction") {
    MeasureHistory history;
    history.earlier_sessions = 2;
    history.earlier_administrations = 2;
    history.intake_total = 200;
    history.previous_total = 230;

    const ScoredMeasure five_up = outcome({63, 63, 62, 62}, 40, history);  // 25.0: +5.0 since intake
    CHECK(five_up.session_number == 3);
    CHECK(five_up.change_since_intake == 50);
    CHECK(five_up.change_since_previous == 20);
    CHECK(has_flag(five_up, "reliable-improvement"));

    const ScoredMeasure four_nine = outcome({63, 63, 62, 61}, 40, history);  // +4.9
    CHECK_FALSE(has_flag(four_nine, "reliable-improvement"));

    history.intake_total = 300;
    const ScoredMeasure five_down = outcome({63, 63, 62, 62}, 40, history);  // -5.0
    CHECK(has_flag(five_down, "reliable-deterioration"));
    CHECK(five_down.summary.find("-5.0 since intake") != std::string::npos);

    history.previous_total = 300;
    CHECK(has_flag(five_down, "reliable-change-down") == false);  // previous was 23.0 then
    CHECK(has_flag(outcome({63, 63, 62, 62}, 40, history), "reliable-change-down"));
  }

  TEST_CASE("when the previous session was the intake only the change since intake is flagged") {
    MeasureHistory history;
    history.earlier_sessions = 1;
    history.earlier_administrations = 1;
    history.intake_total = 150;
    history.previous_total = 150;
    const ScoredMeasure second = outcome({60, 60, 60, 60}, 40, history);  // +9.0
    CHECK(has_flag(second, "reliable-improvement"));
    CHECK_FALSE(has_flag(second, "reliable-change-up"));
    CHECK(second.change_since_previous == 90);
  }

  TEST_CASE("an SRS below 36 is an alliance concern and exactly 36 is not") {
    CHECK(session_rating({90, 90, 90, 89}).in_concern_range);  // 35.9
    const ScoredMeasure at = session_rating({90, 90, 90, 90});   // 36.0
    CHECK_FALSE(at.in_concern_range);
    CHECK_FALSE(has_flag(at, "alliance-concern"));
  }

  TEST_CASE("any SRS item below 9 calls for a check-in about that item") {
    const ScoredMeasure scored = session_rating({100, 89, 100, 100});
    CHECK_FALSE(scored.in_concern_range);  // 38.9
    REQUIRE(has_flag(scored, "item-check-in"));
    CHECK(scored.flags.back().text == "Check in about Goals and Topics: rated 8.9.");
    CHECK_FALSE(has_flag(session_rating({90, 90, 90, 90}), "item-check-in"));
  }

  TEST_CASE("an SRS drop of 1.0 or more from the previous session alerts") {
    MeasureHistory history;
    history.earlier_sessions = 1;
    history.previous_total = 390;
    history.intake_total = 390;
    CHECK(has_flag(session_rating({95, 95, 95, 95}, history), "alliance-drop"));       // 38.0: -1.0
    CHECK_FALSE(has_flag(session_rating({95, 95, 95, 96}, history), "alliance-drop"));  // 38.1: -0.9
  }

  TEST_CASE("tenths format with one decimal and an optional sign") {
    CHECK(format_tenths(0) == "0.0");
    CHECK(format_tenths(400) == "40.0");
    CHECK(format_tenths(-51, true) == "-5.1");
    CHECK(format_tenths(51, true) == "+5.1");
    CHECK(format_tenths(5) == "0.5");
  }
}
