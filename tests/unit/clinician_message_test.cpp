// The strict readers of the sharing messages: the therapist's panel's share_trend and
// stop_sharing (panels/clinician_message.hpp) and the client's graph's close
// (panels/client_graph_message.hpp).
#include <doctest/doctest.h>

#include <string>

#include "panels/client_graph_message.hpp"
#include "panels/clinician_message.hpp"

using namespace alliance;

namespace clinician_message_test {

// The one problem of a refused message, or "accepted".
std::string problem_field(const std::string& text) {
  const ParsedClinicianMessage parsed = parse_clinician_message(text);
  const auto* invalid = std::get_if<InvalidMessage>(&parsed);
  if (invalid == nullptr) return "accepted";
  REQUIRE(invalid->problems.size() == 1);
  CHECK_FALSE(invalid->problems[0].message.empty());
  return invalid->problems[0].field.empty() ? "(message)" : invalid->problems[0].field;
}

TEST_SUITE("clinician_message") {
  TEST_CASE("share_trend and stop_sharing name the client") {
    const ParsedClinicianMessage share = parse_clinician_message(R"({"type":"share_trend","participant_id":"c-1"})");
    REQUIRE(std::holds_alternative<ClinicianMessage>(share));
    CHECK(std::get<ClinicianMessage>(share).request == ClinicianRequest::share_trend);
    CHECK(std::get<ClinicianMessage>(share).participant_id == "c-1");
    const ParsedClinicianMessage stop = parse_clinician_message(R"( {"participant_id":"c-1","type":"stop_sharing"} )");
    REQUIRE(std::holds_alternative<ClinicianMessage>(stop));
    CHECK(std::get<ClinicianMessage>(stop).request == ClinicianRequest::stop_sharing);
    CHECK(std::string(to_string(ClinicianRequest::stop_sharing)) == "stop_sharing");
  }

  TEST_CASE("each problem is named, with its field") {
    CHECK(problem_field("") == "(message)");
    CHECK(problem_field("not json") == "(message)");
    CHECK(problem_field(R"(["share_trend","c1"])") == "(message)");
    CHECK(problem_field(R"("share_trend")") == "(message)");
    CHECK(problem_field(R"({"participant_id":"c1"})") == "type");
    CHECK(problem_field(R"({"type":7,"participant_id":"c1"})") == "type");
    CHECK(problem_field(R"({"type":"submit","participant_id":"c1"})") == "type");
    CHECK(problem_field(R"({"type":"share_trend"})") == "participant_id");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":12})") == "participant_id");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":""})") == "participant_id");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":")" + std::string(257, 'a') + "\"}") ==
          "participant_id");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":")" + std::string(256, 'a') + "\"}") == "accepted");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":"c1","show_srs":true})") == "(message)");
  }

  TEST_CASE("read strictly: a key twice, nesting, a NUL, trailing text, too large") {
    // Readers differ on which of two keys wins: refused.
    CHECK(problem_field(R"({"type":"stop_sharing","type":"share_trend","participant_id":"c1"})") == "(message)");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":["c1"]})") == "(message)");
    CHECK(problem_field(std::string(R"({"type":"share_trend","participant_id":"c1"})") + '\0' + "x") == "(message)");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":"c\u0000"})") == "(message)");
    CHECK(problem_field(R"({"type":"share_trend","participant_id":"c1"} {})") == "(message)");
    const std::string large = R"({"type":"share_trend","participant_id":"c1"})" + std::string(3000, ' ');
    const ParsedClinicianMessage parsed = parse_clinician_message(large);
    REQUIRE(std::holds_alternative<InvalidMessage>(parsed));
    CHECK(std::get<InvalidMessage>(parsed).problems[0].message.find("too large") != std::string::npos);
  }

  TEST_CASE("the client's graph sends only close; anything else is ignored") {
    CHECK(parse_client_graph_message(R"({"type":"close"})") == ClientGraphMessage::close);
    CHECK(parse_client_graph_message(R"(  {"type":"close"}  )") == ClientGraphMessage::close);
    for (const std::string text : {R"({"type":"submit"})", R"({"type":"close","why":"x"})", R"({"type":["close"]})",
                                   R"({"type":"close","type":"close"})", R"(["close"])", "close", "",
                                   R"({"type":"close"} x)"}) {
      CHECK_MESSAGE(parse_client_graph_message(text) == ClientGraphMessage::ignored, text);
    }
    CHECK(parse_client_graph_message(R"({"type":"close"})" + std::string(300, ' ')) == ClientGraphMessage::ignored);
  }
}

}  // namespace clinician_message_test
