#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "scoring/expected_response.hpp"
#include "scoring/scoring.hpp"
#include "test_support.hpp"
#include "support/text.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;
using alliance::testing::contains;

namespace {

bool has_flag(const ScoredMeasure& scored, const std::string& code) {
  for (const Flag& flag : scored.flags) {
    if (alliance::to_string(flag.code) == code) return true;
  }
  return false;
}

const Flag* find_flag(const ScoredMeasure& scored, const std::string& code) {
  for (const Flag& flag : scored.flags) {
    if (alliance::to_string(flag.code) == code) return &flag;
  }
  return nullptr;
}


// The shipped ORS or SRS under another code of its family, so that the child, young
// child and group measures can be scored without depending on their files.
MeasureDefinition measure_named(const std::string& code) {
  MeasureDefinition measure = family_of(code) == MeasureKind::outcome_rating_scale
                                  ? shipped_measures().outcome()
                                  : shipped_measures().session_rating();
  measure.code = code;
  measure.kind = family_of(code);
  return measure;
}

// Four item marks that add up to `total` (0 to 400).
std::vector<Tenths> items_totalling(Tenths total) {
  std::vector<Tenths> items(4, total / 4);
  for (int index = 0; index < total % 4; ++index) ++items[static_cast<size_t>(index)];
  return items;
}

ScoredMeasure outcome(std::vector<Tenths> items, int age, MeasureHistory history = {}, ScoringRules rules = {}) {
  return score_measure(shipped_measures().outcome(), items, age, history, rules);
}

ScoredMeasure outcome_total(const std::string& code, Tenths total, int age, const MeasureHistory& history = {},
                            const ScoringRules& rules = {}) {
  return score_measure(measure_named(code), items_totalling(total), age, history, rules);
}

ScoredMeasure session_rating(std::vector<Tenths> items, MeasureHistory history = {}) {
  return score_measure(shipped_measures().session_rating(), items, 30, history, ScoringRules{});
}

// A history with an intake (and, when given, a different previous administration).
MeasureHistory history_with(Tenths intake, std::optional<Tenths> previous = std::nullopt) {
  MeasureHistory history;
  history.earlier_sessions = previous ? 2 : 1;
  history.earlier_administrations = previous ? 2 : 1;
  history.intake_total = intake;
  history.previous_total = previous ? *previous : intake;
  return history;
}

std::shared_ptr<const ExpectedResponseTable> table_from(const std::string& text) {
  std::vector<std::string> problems;
  auto table = ExpectedResponseTable::parse(text, "test table", problems);
  REQUIRE_MESSAGE(table, (problems.empty() ? std::string() : problems.front()));
  return std::make_shared<const ExpectedResponseTable>(std::move(*table));
}

// A made-up table (not licensed data): one row for an intake of 15.0.
const char* const kOutcomeTable = R"({
  "measure": "ORS", "source": "made up for the tests",
  "rows": [ {"intake": 15.0, "sessions": [
    {"session": 1, "expected": 15.0},
    {"session": 2, "expected": 17.2, "off_track_below": 14.9},
    {"session": 3, "expected": 18.0} ]} ]
})";

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
        {-1, AgeBand::unknown, 250},    {0, AgeBand::young_child, std::nullopt}, {5, AgeBand::young_child, std::nullopt},
        {6, AgeBand::child, 320},       {12, AgeBand::child, 320},               {13, AgeBand::adolescent, 280},
        {17, AgeBand::adolescent, 280}, {18, AgeBand::adult, 250},               {90, AgeBand::adult, 250},
    };
    for (const Case& item : cases) {
      CAPTURE(item.age);
      CHECK(age_band_for(item.age, ScoringRules{}) == item.band);
      CHECK(outcome_cutoff_for(item.band, ScoringRules{}) == item.cutoff);
      CHECK(outcome({50, 50, 50, 50}, item.age).cutoff == item.cutoff);
    }
  }

  TEST_CASE("a total exactly at the cutoff is not in the clinical range and one tenth below is") {
    struct Case {
      const char* code;
      int age;
      Tenths total;
      std::optional<Tenths> cutoff;
      bool clinical;
    };
    const Case cases[] = {
        {"ORS", 18, 250, 250, false},           {"ORS", 18, 249, 250, true},
        {"ORS", 40, 250, 250, false},           {"ORS", -1, 250, 250, false},
        {"ORS", -1, 249, 250, true},            {"ORS", 17, 280, 280, false},
        {"ORS", 17, 279, 280, true},            {"ORS", 13, 280, 280, false},
        {"ORS", 13, 279, 280, true},            {"CORS", 12, 320, 320, false},
        {"CORS", 12, 319, 320, true},           {"CORS", 6, 320, 320, false},
        {"CORS", 6, 319, 320, true},            {"ORS", 5, 0, std::nullopt, false},
        {"YCORS", 5, 0, std::nullopt, false},   {"YCORS", 0, 100, std::nullopt, false},
        {"YCORS", 6, 0, std::nullopt, false},   {"YCORS", 12, 319, std::nullopt, false},
        {"YCORS", 13, 279, std::nullopt, false}, {"YCORS", 18, 0, std::nullopt, false},
        {"YCORS", -1, 0, std::nullopt, false},
    };
    for (const Case& item : cases) {
      CAPTURE(item.code);
      CAPTURE(item.age);
      CAPTURE(item.total);
      const ScoredMeasure scored = outcome_total(item.code, item.total, item.age);
      CHECK(scored.total == item.total);
      CHECK(scored.cutoff == item.cutoff);
      CHECK(scored.in_concern_range == item.clinical);
      CHECK(has_flag(scored, "clinical-range") == item.clinical);
      CHECK(contains(scored.summary, std::string(item.code) + " " + format_tenths(item.total) + " (session 1)"));
    }
  }

  TEST_CASE("the summary says when the adult cutoff stands in for an unknown age or there is no cutoff") {
    const ScoredMeasure unknown = outcome({10, 10, 10, 10}, -1);
    CHECK(unknown.cutoff == 250);
    REQUIRE_FALSE(unknown.flags.empty());
    CHECK(contains(unknown.flags.front().text, "adult cutoff used"));
    CHECK(contains(outcome_total("YCORS", 100, 30).summary, "the YCORS has no clinical cutoff"));
    CHECK(contains(outcome_total("ORS", 100, 4).summary, "no clinical cutoff for a young child"));
  }

  TEST_CASE("configured age bands and cutoffs replace the defaults") {
    const ScoringRules defaults;
    ScoringRules adult_from_19;
    adult_from_19.adult_from_age = 19;
    ScoringRules child_from_5;
    child_from_5.child_from_age = 5;
    ScoringRules adolescent_from_12;
    adolescent_from_12.adolescent_from_age = 12;
    ScoringRules lower_adult;
    lower_adult.adult_cutoff = 200;
    ScoringRules higher_adolescent;
    higher_adolescent.adolescent_cutoff = 300;
    ScoringRules higher_child;
    higher_child.child_cutoff = 350;
    struct Case {
      const char* name;
      const ScoringRules& rules;
      int age;
      Tenths total;
      AgeBand band;
      std::optional<Tenths> cutoff;
      bool clinical;
    };
    const Case cases[] = {
        {"default adult at 18", defaults, 18, 279, AgeBand::adult, 250, false},
        {"adult from 19: 18 is adolescent", adult_from_19, 18, 279, AgeBand::adolescent, 280, true},
        {"adult from 19: 19 is adult", adult_from_19, 19, 279, AgeBand::adult, 250, false},
        {"default young child at 5", defaults, 5, 0, AgeBand::young_child, std::nullopt, false},
        {"child from 5: 5 is a child", child_from_5, 5, 319, AgeBand::child, 320, true},
        {"child from 5: 4 is a young child", child_from_5, 4, 0, AgeBand::young_child, std::nullopt, false},
        {"adolescent from 12: 12 is adolescent", adolescent_from_12, 12, 280, AgeBand::adolescent, 280, false},
        {"adolescent from 12: 11 is a child", adolescent_from_12, 11, 280, AgeBand::child, 320, true},
        {"adult cutoff 20: 20.0 is not clinical", lower_adult, 40, 200, AgeBand::adult, 200, false},
        {"adult cutoff 20: 19.9 is clinical", lower_adult, 40, 199, AgeBand::adult, 200, true},
        {"adult cutoff 20 stands in for unknown age", lower_adult, -1, 199, AgeBand::unknown, 200, true},
        {"adolescent cutoff 30: 29.9 is clinical", higher_adolescent, 15, 299, AgeBand::adolescent, 300, true},
        {"adolescent cutoff 30: 30.0 is not", higher_adolescent, 15, 300, AgeBand::adolescent, 300, false},
        {"child cutoff 35: 34.9 is clinical", higher_child, 9, 349, AgeBand::child, 350, true},
        {"child cutoff 35: 35.0 is not", higher_child, 9, 350, AgeBand::child, 350, false},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      CHECK(age_band_for(item.age, item.rules) == item.band);
      const ScoredMeasure scored = outcome_total("ORS", item.total, item.age, {}, item.rules);
      CHECK(scored.age_band == item.band);
      CHECK(scored.cutoff == item.cutoff);
      CHECK(scored.in_concern_range == item.clinical);
    }
  }

  TEST_CASE("the first administration is the intake with no change and no outcome category") {
    const ScoredMeasure intake = outcome({50, 50, 50, 50}, 40);
    CHECK(intake.session_number == 1);
    CHECK_FALSE(intake.change_since_intake.has_value());
    CHECK_FALSE(intake.change_since_previous.has_value());
    CHECK_FALSE(intake.outcome_category.has_value());
    CHECK_FALSE(intake.clinically_significant_change);
    CHECK_FALSE(intake.expected_total.has_value());
    CHECK_FALSE(intake.on_track.has_value());
    CHECK_FALSE(contains(intake.summary, "outcome so far"));
  }

  TEST_CASE("reliable change is exactly 5.0 points or more in either direction") {
    struct Case {
      const char* name;
      Tenths intake;
      std::optional<Tenths> previous;  // none: the previous administration was the intake
      Tenths total;
      std::vector<std::string> flags;
    };
    const std::vector<std::string> all = {"reliable-improvement", "reliable-deterioration", "reliable-change-up",
                                          "reliable-change-down"};
    const Case cases[] = {
        {"+5.0 since intake", 300, 330, 350, {"reliable-improvement"}},
        {"+4.9 since intake", 300, 330, 349, {}},
        {"-5.0 since intake", 300, 270, 250, {"reliable-deterioration"}},
        {"-4.9 since intake", 300, 270, 251, {}},
        {"+5.0 since the previous", 300, 280, 330, {"reliable-change-up"}},
        {"+4.9 since the previous", 300, 280, 329, {}},
        {"-5.0 since the previous", 300, 320, 270, {"reliable-change-down"}},
        {"-4.9 since the previous", 300, 320, 271, {}},
        {"+5.0 from both", 250, 250, 300, {"reliable-improvement", "reliable-change-up"}},
        {"-5.0 from both", 300, 300, 250, {"reliable-deterioration", "reliable-change-down"}},
        {"previous was the intake: +5.0 only since intake", 300, std::nullopt, 350, {"reliable-improvement"}},
        {"previous was the intake: -5.0 only since intake", 300, std::nullopt, 250, {"reliable-deterioration"}},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      const MeasureHistory history = history_with(item.intake, item.previous);
      const ScoredMeasure scored = outcome_total("ORS", item.total, 40, history);
      CHECK(scored.change_since_intake == item.total - item.intake);
      CHECK(scored.change_since_previous == item.total - history.previous_total.value());
      for (const std::string& code : all) {
        CAPTURE(code);
        const bool expected = std::find(item.flags.begin(), item.flags.end(), code) != item.flags.end();
        CHECK(has_flag(scored, code) == expected);
      }
    }
  }

  TEST_CASE("the summary gives the change since intake and since last time") {
    const ScoredMeasure scored = outcome_total("ORS", 250, 40, history_with(300, 270));
    CHECK(scored.session_number == 3);
    CHECK(contains(scored.summary, "-5.0 since intake"));
    CHECK(contains(scored.summary, "-2.0 since last time"));
  }

  TEST_CASE("a configured reliable change replaces 5.0 points") {
    ScoringRules rules;
    rules.reliable_change = 30;
    const ScoredMeasure three_up = outcome_total("ORS", 230, 40, history_with(200), rules);
    CHECK(has_flag(three_up, "reliable-improvement"));
    CHECK(three_up.outcome_category == OutcomeCategory::reliably_improved);
    const ScoredMeasure crossing = outcome_total("ORS", 250, 40, history_with(220), rules);
    CHECK(crossing.clinically_significant_change);
    CHECK(outcome_total("ORS", 229, 40, history_with(200), rules).outcome_category ==
          OutcomeCategory::no_reliable_change);
  }

  TEST_CASE("clinically significant change and the outcome category at every boundary") {
    struct Case {
      const char* name;
      const char* code;
      int age;
      Tenths intake;
      Tenths total;
      bool significant;
      OutcomeCategory category;
    };
    const Case cases[] = {
        {"crosses 25 from below with +5.0", "ORS", 40, 200, 250, true, OutcomeCategory::recovered},
        {"crosses 25 from 24.9 with +5.0", "ORS", 40, 249, 299, true, OutcomeCategory::recovered},
        {"crosses 25 from below with +4.9", "ORS", 40, 201, 250, false, OutcomeCategory::no_reliable_change},
        {"starts exactly at 25", "ORS", 40, 250, 300, false, OutcomeCategory::reliably_improved},
        {"starts above 25", "ORS", 40, 260, 350, false, OutcomeCategory::reliably_improved},
        {"+5.0 but ends at 24.9", "ORS", 40, 199, 249, false, OutcomeCategory::reliably_improved},
        {"+4.9 below the cutoff", "ORS", 40, 150, 199, false, OutcomeCategory::no_reliable_change},
        {"no change", "ORS", 40, 200, 200, false, OutcomeCategory::no_reliable_change},
        {"-4.9", "ORS", 40, 300, 251, false, OutcomeCategory::no_reliable_change},
        {"-5.0", "ORS", 40, 300, 250, false, OutcomeCategory::deteriorated},
        {"-5.0 into the clinical range", "ORS", 40, 270, 220, false, OutcomeCategory::deteriorated},
        {"adolescent crosses 28 with +5.0", "ORS", 15, 270, 320, true, OutcomeCategory::recovered},
        {"adolescent ends at 27.9", "ORS", 15, 220, 279, false, OutcomeCategory::reliably_improved},
        {"child crosses 32 with +5.0", "CORS", 9, 270, 320, true, OutcomeCategory::recovered},
        {"child ends at 31.9", "CORS", 9, 260, 319, false, OutcomeCategory::reliably_improved},
        {"unknown age crosses the adult 25", "ORS", -1, 200, 250, true, OutcomeCategory::recovered},
        {"young child on the ORS has no cutoff", "ORS", 4, 100, 300, false, OutcomeCategory::reliably_improved},
        {"YCORS has no cutoff", "YCORS", 30, 100, 300, false, OutcomeCategory::reliably_improved},
        {"YCORS -5.0", "YCORS", 4, 300, 250, false, OutcomeCategory::deteriorated},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      const ScoredMeasure scored = outcome_total(item.code, item.total, item.age, history_with(item.intake));
      CHECK(scored.clinically_significant_change == item.significant);
      CHECK(has_flag(scored, "clinically-significant-change") == item.significant);
      REQUIRE(scored.outcome_category.has_value());
      CHECK(*scored.outcome_category == item.category);
      CHECK(contains(scored.summary, "; outcome so far: " + [&] {
        std::string words = outcome_category_words(item.category);
        words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(words[0])));
        return words;
      }()));
    }
  }

  TEST_CASE("the clinically significant change flag reads aloud") {
    const ScoredMeasure scored = outcome_total("ORS", 260, 40, history_with(180));
    const Flag* flag = find_flag(scored, "clinically-significant-change");
    REQUIRE(flag != nullptr);
    CHECK(flag->text ==
          "Clinically significant change: from 18.0 at intake, in the clinical range, to 26.0, at or above the "
          "cutoff of 25.0, a reliable +8.0 points.");
    CHECK(contains(scored.summary, "outcome so far: recovered"));
  }

  TEST_CASE("outcome categories have stable codes and plain words") {
    struct Case {
      OutcomeCategory category;
      const char* code;
      const char* words;
    };
    const Case cases[] = {
        {OutcomeCategory::recovered, "recovered", "Recovered"},
        {OutcomeCategory::reliably_improved, "reliably-improved", "Reliably improved"},
        {OutcomeCategory::no_reliable_change, "no-reliable-change", "No reliable change"},
        {OutcomeCategory::deteriorated, "deteriorated", "Deteriorated"},
    };
    for (const Case& item : cases) {
      CAPTURE(item.code);
      CHECK(std::string(outcome_category_code(item.category)) == item.code);
      CHECK(std::string(outcome_category_words(item.category)) == item.words);
    }
  }

  TEST_CASE("an installed expected response table marks the ORS on or off track") {
    const auto table = table_from(kOutcomeTable);
    struct Case {
      const char* name;
      const char* code;
      Tenths intake;
      int earlier_sessions;
      Tenths total;
      std::optional<Tenths> expected;
      std::optional<bool> on_track;
    };
    const Case cases[] = {
        {"session 2 exactly at the threshold 14.9", "ORS", 150, 1, 149, 172, true},
        {"session 2 one tenth below the threshold", "ORS", 150, 1, 148, 172, false},
        {"session 2 above expected", "ORS", 150, 1, 200, 172, true},
        {"session 3 exactly at expected (no threshold given)", "ORS", 150, 2, 180, 180, true},
        {"session 3 one tenth below expected", "ORS", 150, 2, 179, 180, false},
        {"intake 16.0 is within 1.0 of the row", "ORS", 160, 1, 149, 172, true},
        {"intake 14.0 is within 1.0 of the row", "ORS", 140, 1, 148, 172, false},
        {"intake 16.1 has no row", "ORS", 161, 1, 100, std::nullopt, std::nullopt},
        {"intake 13.9 has no row", "ORS", 139, 1, 100, std::nullopt, std::nullopt},
        {"session 4 is not in the table", "ORS", 150, 3, 100, std::nullopt, std::nullopt},
        {"the table is for the ORS not the CORS", "CORS", 150, 1, 100, std::nullopt, std::nullopt},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      ScoringRules rules;
      rules.expected_response = table;
      MeasureHistory history = history_with(item.intake);
      history.earlier_sessions = item.earlier_sessions;
      const ScoredMeasure scored = outcome_total(item.code, item.total, 40, history, rules);
      CHECK(scored.expected_total == item.expected);
      CHECK(scored.on_track == item.on_track);
      CHECK(has_flag(scored, "off-track") == (item.on_track == false));
      CHECK(contains(scored.summary, "on track") == (item.on_track == true));
      CHECK(contains(scored.summary, "off track") == (item.on_track == false));
    }
  }

  TEST_CASE("the off-track flag names the session and the expected response") {
    ScoringRules rules;
    rules.expected_response = table_from(kOutcomeTable);
    const ScoredMeasure scored = outcome_total("ORS", 148, 40, history_with(150), rules);
    const Flag* flag = find_flag(scored, "off-track");
    REQUIRE(flag != nullptr);
    CHECK(flag->text == "Below the expected response for session 2: expected 17.2, threshold 14.9.");
    CHECK(contains(scored.summary, "off track (expected 17.2, threshold 14.9)"));
  }

  TEST_CASE("without an expected response table or at intake nothing is on or off track") {
    const ScoringRules defaults;
    ScoringRules with_table;
    with_table.expected_response = table_from(kOutcomeTable);
    struct Case {
      const char* name;
      const ScoringRules& rules;
      MeasureHistory history;
    };
    const Case cases[] = {
        {"no table", defaults, history_with(150)},
        {"no table later on", defaults, history_with(150, 160)},
        {"a table at the intake session", with_table, MeasureHistory{}},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      for (const Tenths total : {Tenths{100}, Tenths{150}, Tenths{300}}) {
        CAPTURE(total);
        const ScoredMeasure scored = outcome_total("ORS", total, 40, item.history, item.rules);
        CHECK_FALSE(scored.expected_total.has_value());
        CHECK_FALSE(scored.on_track.has_value());
        CHECK_FALSE(has_flag(scored, "off-track"));
        CHECK_FALSE(contains(scored.summary, "track"));
        CHECK_FALSE(contains(scored.summary, "expected"));
      }
    }
  }

  TEST_CASE("the SRS alliance rules apply to every session rating measure") {
    struct Case {
      const char* name;
      std::vector<Tenths> items;
      std::optional<Tenths> previous;
      bool concern;
      bool check_in;
      bool drop;
    };
    const Case cases[] = {
        {"36.0 is not a concern", {90, 90, 90, 90}, std::nullopt, false, false, false},
        {"35.9 is a concern", {90, 90, 90, 89}, std::nullopt, true, true, false},
        {"an item at 9.0 needs no check-in", {90, 100, 100, 100}, std::nullopt, false, false, false},
        {"an item at 8.9 calls for a check-in", {100, 89, 100, 100}, std::nullopt, false, true, false},
        {"a drop of exactly 1.0 alerts", {95, 95, 95, 95}, 390, false, false, true},
        {"a drop of 0.9 does not", {95, 95, 95, 96}, 390, false, false, false},
        {"a rise does not", {100, 100, 100, 100}, 390, false, false, false},
    };
    for (const char* code : {"SRS", "CSRS", "GSRS", "CGSRS"}) {
      const MeasureDefinition measure = measure_named(code);
      for (const Case& item : cases) {
        CAPTURE(code);
        INFO(item.name);
        MeasureHistory history;
        if (item.previous) {
          history.earlier_sessions = 1;
          history.earlier_administrations = 1;
          history.intake_total = item.previous;
          history.previous_total = item.previous;
        }
        const ScoredMeasure scored = score_measure(measure, item.items, 30, history, ScoringRules{});
        CHECK(scored.kind == MeasureKind::session_rating_scale);
        CHECK(scored.cutoff == 360);
        CHECK(scored.in_concern_range == item.concern);
        CHECK(has_flag(scored, "alliance-concern") == item.concern);
        CHECK(has_flag(scored, "item-check-in") == item.check_in);
        CHECK(has_flag(scored, "alliance-drop") == item.drop);
        CHECK_FALSE(scored.outcome_category.has_value());
        CHECK_FALSE(scored.on_track.has_value());
        CHECK(scored.summary.rfind(std::string(code) + " ", 0) == 0);
      }
    }
  }

  TEST_CASE("an SRS item check-in names the item") {
    const ScoredMeasure scored = session_rating({100, 89, 100, 100});
    CHECK_FALSE(scored.in_concern_range);  // 38.9
    const Flag* flag = find_flag(scored, "item-check-in");
    REQUIRE(flag != nullptr);
    CHECK(flag->text == "Check in about Goals and Topics: rated 8.9.");
  }

  TEST_CASE("configured SRS cutoffs replace the defaults") {
    ScoringRules rules;
    rules.alliance_cutoff = 300;
    rules.item_cutoff = 50;
    rules.alliance_drop = 20;
    struct Case {
      const char* name;
      std::vector<Tenths> items;
      bool concern;
      bool check_in;
      bool drop;
    };
    // Previous total 35.0.
    const Case cases[] = {
        {"30.0 is not a concern", {75, 75, 75, 75}, false, false, true},
        {"29.9 is a concern", {75, 75, 75, 74}, true, false, true},
        {"an item at 5.0 needs no check-in", {50, 100, 100, 100}, false, false, false},
        {"an item at 4.9 calls for a check-in", {49, 100, 100, 100}, false, true, false},
        {"a drop of exactly 2.0 alerts", {80, 80, 80, 90}, false, false, true},
        {"a drop of 1.9 does not", {80, 80, 80, 91}, false, false, false},
    };
    for (const Case& item : cases) {
      INFO(item.name);
      MeasureHistory history;
      history.earlier_sessions = 1;
      history.earlier_administrations = 1;
      history.intake_total = 350;
      history.previous_total = 350;
      const ScoredMeasure scored = score_measure(measure_named("GSRS"), item.items, 30, history, rules);
      CHECK(scored.in_concern_range == item.concern);
      CHECK(has_flag(scored, "item-check-in") == item.check_in);
      CHECK(has_flag(scored, "alliance-drop") == item.drop);
    }
  }

  TEST_CASE("tenths format with one decimal and an optional sign") {
    CHECK(format_tenths(0) == "0.0");
    CHECK(format_tenths(400) == "40.0");
    CHECK(format_tenths(-51, true) == "-5.1");
    CHECK(format_tenths(51, true) == "+5.1");
    CHECK(format_tenths(5) == "0.5");
  }
}
