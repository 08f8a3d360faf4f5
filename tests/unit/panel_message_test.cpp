#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "panels/panel_message.hpp"
#include "test_support.hpp"

using namespace alliance;
using alliance::testing::shipped_measures;
using nlohmann::json;

namespace {

const MeasureDefinition& ors() { return shipped_measures().outcome(); }

json valid_submit() {
  return {{"type", "submit"},
          {"measure", "ORS"},
          {"answers", {{"ors-individually", 6.3}, {"ors-interpersonally", 7.1}, {"ors-socially", 5.8}, {"ors-overall", 9.9}}}};
}

// The problems of an invalid message, or an empty list when it was accepted.
std::vector<MessageProblem> problems_of(const std::string& text) {
  const PanelMessage parsed = parse_panel_message(text, ors());
  if (const auto* invalid = std::get_if<InvalidMessage>(&parsed)) return invalid->problems;
  return {};
}

bool refused(const std::string& text, const std::string& field) {
  for (const MessageProblem& problem : problems_of(text)) {
    if (problem.field == field && !problem.message.empty()) return true;
  }
  return false;
}

}  // namespace

TEST_SUITE("panel_message") {
  TEST_CASE("a complete submit is accepted with marks in tenths in item order") {
    const PanelMessage parsed = parse_panel_message(valid_submit().dump(), ors());
    REQUIRE(std::holds_alternative<SubmittedAnswers>(parsed));
    CHECK(std::get<SubmittedAnswers>(parsed).item_scores == std::vector<Tenths>{63, 71, 58, 99});
  }

  TEST_CASE("the ends of the line and slider float noise are accepted") {
    json message = valid_submit();
    message["answers"]["ors-individually"] = 0;
    message["answers"]["ors-overall"] = 10.0;
    message["answers"]["ors-socially"] = 6.300000000000001;
    const PanelMessage parsed = parse_panel_message(message.dump(), ors());
    REQUIRE(std::holds_alternative<SubmittedAnswers>(parsed));
    CHECK(std::get<SubmittedAnswers>(parsed).item_scores == std::vector<Tenths>{0, 71, 63, 100});
  }

  TEST_CASE("a missing item is refused naming the item") {
    json message = valid_submit();
    message["answers"].erase("ors-socially");
    CHECK(refused(message.dump(), "answers.ors-socially"));
  }

  TEST_CASE("values off the line or between tenths are refused") {
    for (const double value : {10.05, -1.0, 10.1, -0.1, 3.14, 1e300}) {
      CAPTURE(value);
      json message = valid_submit();
      message["answers"]["ors-overall"] = value;
      CHECK(refused(message.dump(), "answers.ors-overall"));
    }
  }

  TEST_CASE("NaN and Infinity are not JSON and are refused") {
    CHECK(refused(R"({"type":"submit","measure":"ORS","answers":{"ors-individually":NaN}})", ""));
    CHECK(refused(R"({"type":"submit","measure":"ORS","answers":{"ors-individually":Infinity}})", ""));
  }

  TEST_CASE("strings and booleans and null and lists are refused as marks") {
    for (const json& value : {json("5.0"), json(true), json(nullptr), json::array({5.0})}) {
      CAPTURE(value.dump());
      json message = valid_submit();
      message["answers"]["ors-individually"] = value;
      CHECK(refused(message.dump(), "answers.ors-individually"));
    }
  }

  TEST_CASE("a one megabyte payload is refused by its size before parsing") {
    std::string huge = valid_submit().dump();
    huge.insert(huge.size() - 1, ",\"padding\":\"" + std::string(1024 * 1024, 'x') + "\"");
    const auto problems = problems_of(huge);
    REQUIRE(problems.size() == 1);
    CHECK(problems.front().message.find("too large") != std::string::npos);
  }

  TEST_CASE("a message of the wrong shape is refused") {
    CHECK(refused("", ""));
    CHECK(refused("not json", ""));
    CHECK(refused("[1,2,3]", ""));
    CHECK(refused(R"("submit")", ""));
    CHECK(refused(R"({"measure":"ORS"})", "type"));
    CHECK(refused(R"({"type":7,"measure":"ORS"})", "type"));
    CHECK(refused(R"({"type":"delete-everything","measure":"ORS"})", "type"));
    CHECK(refused(R"({"type":"submit","measure":"ORS","answers":[6,7,5,9]})", "answers"));
    CHECK(refused(R"({"type":"submit","measure":"ORS"})", "answers"));
  }

  TEST_CASE("a message for another or an unknown measure is refused") {
    json message = valid_submit();
    message["measure"] = "SRS";
    CHECK(refused(message.dump(), "measure"));
    message["measure"] = "PHQ-9";
    CHECK(refused(message.dump(), "measure"));
    message.erase("measure");
    CHECK(refused(message.dump(), "measure"));
  }

  TEST_CASE("an answer to a question the form does not have is refused") {
    json message = valid_submit();
    message["answers"]["ors-extra"] = 5.0;
    CHECK(refused(message.dump(), "answers"));
  }

  TEST_CASE("every problem is reported at once so the client can fix them together") {
    json message = valid_submit();
    message["answers"]["ors-individually"] = 11;
    message["answers"].erase("ors-overall");
    CHECK(problems_of(message.dump()).size() == 2);
  }

  TEST_CASE("a decline is accepted with an optional bounded reason") {
    const PanelMessage plain = parse_panel_message(R"({"type":"decline","measure":"ORS"})", ors());
    CHECK(std::holds_alternative<DeclinedMeasure>(plain));
    const PanelMessage with_reason =
        parse_panel_message(R"({"type":"decline","measure":"ORS","reason":"Not today"})", ors());
    REQUIRE(std::holds_alternative<DeclinedMeasure>(with_reason));
    CHECK(std::get<DeclinedMeasure>(with_reason).reason == "Not today");
    const json too_long = {{"type", "decline"}, {"measure", "ORS"}, {"reason", std::string(501, 'a')}};
    CHECK(refused(too_long.dump(), "reason"));
    CHECK(refused(R"({"type":"decline","measure":"ORS","reason":5})", "reason"));
  }

  TEST_CASE("a message with a NUL byte and more text after it is refused") {
    // A reader that stops at the NUL sees a valid submit; one that does not, something else.
    const std::string text = valid_submit().dump() + std::string(1, '\0') + R"({"type": "decline"})";
    CHECK(refused(text, ""));
  }

  TEST_CASE("a message that gives a key twice is refused") {
    // The host and the plugin may each keep a different one of the two values.
    CHECK(refused(R"({"type": "submit", "measure": "SRS", "measure": "ORS", "answers": {"ors-individually": 6.3,
      "ors-interpersonally": 7.1, "ors-socially": 5.8, "ors-overall": 9.9}})",
                  ""));
    CHECK(refused(R"({"type": "submit", "measure": "ORS", "answers": {"ors-individually": 6.3,
      "ors-individually": 1.0, "ors-interpersonally": 7.1, "ors-socially": 5.8, "ors-overall": 9.9}})",
                  ""));
  }

  TEST_CASE("a flood of unknown keys gives a short list of problems") {
    json message = valid_submit();
    // Short keys, so that the message stays under the 16 KiB limit (about 11 KB).
    for (int index = 0; index < 1150; ++index) message["answers"]["x" + std::to_string(index)] = 0;
    REQUIRE(message.dump().size() < kMaximumPanelMessageBytes);
    const std::vector<MessageProblem> problems = problems_of(message.dump());
    REQUIRE_FALSE(problems.empty());
    CHECK(problems.size() <= kMaximumReportedProblems);
    std::size_t bytes = 0;
    for (const MessageProblem& problem : problems) bytes += problem.field.size() + problem.message.size();
    CHECK(bytes < 2048);
  }
}
