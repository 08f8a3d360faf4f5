#include <doctest/doctest.h>

#include <cstddef>
#include <string>

#include "session_details.hpp"

using namespace alliance;

namespace {

thp_str view(const std::string& text) { return {text.data(), text.size()}; }

struct SessionBuilder {
  std::string session_id = "session-1";
  std::string participant_id = "client-1";
  std::string name = "Alex";
  thp_participant participant{};
  const thp_participant* participants[1] = {&participant};
  thp_session session{};

  SessionBuilder() {
    participant.struct_size = sizeof participant;
    participant.participant_id = view(participant_id);
    participant.role = THP_ROLE_CLIENT;
    participant.display_name = view(name);
    participant.age_years = 30;
    session.struct_size = sizeof session;
    session.session_id = view(session_id);
    session.participants = participants;
    session.participant_count = 1;
  }
};

}  // namespace

TEST_SUITE("session_details") {
  TEST_CASE("a well-formed session is copied") {
    SessionBuilder builder;
    std::string error;
    const auto copy = copy_session(&builder.session, error);
    REQUIRE_MESSAGE(copy, error);
    CHECK(copy->session_id == "session-1");
    REQUIRE(copy->participants.size() == 1);
    CHECK(copy->participants[0].display_name == "Alex");
    CHECK(copy->participants[0].age_years == 30);
  }

  TEST_CASE("malformed host data is refused with a reason and no crash") {
    std::string error;
    CHECK_FALSE(copy_session(nullptr, error));

    SessionBuilder empty_id;
    empty_id.session.session_id = {nullptr, 0};
    CHECK_FALSE(copy_session(&empty_id.session, error));
    CHECK(error == "session_id is empty");

    SessionBuilder dangling;
    dangling.participant.display_name = {nullptr, 12};
    CHECK_FALSE(copy_session(&dangling.session, error));
    CHECK(error.find("no characters") != std::string::npos);

    SessionBuilder oversized;
    const std::string long_id(kMaximumIdentifierBytes + 1, 'x');
    oversized.session.session_id = view(long_id);
    CHECK_FALSE(copy_session(&oversized.session, error));
    CHECK(error.find("longer than") != std::string::npos);

    SessionBuilder old_struct;
    old_struct.session.struct_size = 8;
    CHECK_FALSE(copy_session(&old_struct.session, error));

    SessionBuilder bad_role;
    bad_role.participant.role = 42;
    CHECK_FALSE(copy_session(&bad_role.session, error));

    SessionBuilder bad_kind;
    bad_kind.session.appointment_kind = -3;
    CHECK_FALSE(copy_session(&bad_kind.session, error));

    SessionBuilder too_many;
    too_many.session.participant_count = kMaximumParticipants + 1;
    CHECK_FALSE(copy_session(&too_many.session, error));

    SessionBuilder null_list;
    null_list.session.participants = nullptr;
    CHECK_FALSE(copy_session(&null_list.session, error));

    SessionBuilder bad_date;
    const std::string date = "04/03/1992";
    bad_date.participant.birth_date = view(date);
    CHECK_FALSE(copy_session(&bad_date.session, error));
  }

  TEST_CASE("two participants with one id are refused") {
    SessionBuilder builder;
    const thp_participant* twice[2] = {&builder.participant, &builder.participant};
    builder.session.participants = twice;
    builder.session.participant_count = 2;
    std::string error;
    CHECK_FALSE(copy_session(&builder.session, error));
  }

  TEST_CASE("age on the session date counts a birthday on that date as had") {
    CHECK(age_on("2013-11-02", "2026-11-02T15:00:00Z") == 13);
    CHECK(age_on("2013-11-03", "2026-11-02T15:00:00Z") == 12);
    CHECK(age_on("2008-11-02", "2026-11-02") == 18);
    CHECK(age_on("2008-12-01", "2026-11-02") == 17);
    CHECK(age_on("2020-11-02", "2026-11-02") == 6);
    CHECK(age_on("2020-11-03", "2026-11-02") == 5);
    CHECK(age_on("garbage", "2026-11-02") == -1);
    CHECK(age_on("2030-01-01", "2026-11-02") == -1);
  }

  TEST_CASE("the host's age wins over the birth date") {
    Participant participant;
    participant.age_years = 40;
    participant.birth_date = "2013-11-02";
    CHECK(effective_age(participant, "2026-11-02") == 40);
    participant.age_years = -1;
    CHECK(effective_age(participant, "2026-11-02") == 13);
    participant.birth_date.clear();
    CHECK(effective_age(participant, "2026-11-02") == -1);
  }

  TEST_CASE("a participant from an ABI 1.0 host is accepted without the rater fields") {
    SessionBuilder builder;
    const std::string rates = "client-9";
    const std::string relationship = "MTH";
    builder.participant.role = THP_ROLE_OTHER_RATER;
    // A 1.0 host's struct ends before the 1.1 members; whatever lies beyond is not read.
    builder.participant.struct_size = static_cast<uint32_t>(offsetof(thp_participant, rates_participant_id));
    builder.participant.rates_participant_id = view(rates);
    builder.participant.relationship = view(relationship);
    std::string error;
    const auto copy = copy_session(&builder.session, error);
    REQUIRE_MESSAGE(copy, error);
    REQUIRE(copy->participants.size() == 1);
    CHECK(copy->participants[0].role == ParticipantRole::other_rater);
    CHECK(copy->participants[0].rates_participant_id.empty());
    CHECK(copy->participants[0].relationship.empty());

    // Smaller than 1.0's struct: refused.
    builder.participant.struct_size = static_cast<uint32_t>(offsetof(thp_participant, fhir_reference));
    CHECK_FALSE(copy_session(&builder.session, error));
    CHECK(error.find("struct_size") != std::string::npos);
  }

  TEST_CASE("a participant from an ABI 1.1 host carries whom they rate and their relationship") {
    SessionBuilder builder;
    const std::string rates = "client-9";
    const std::string relationship = "GRD";
    builder.participant.role = THP_ROLE_OTHER_RATER;
    builder.participant.rates_participant_id = view(rates);
    builder.participant.relationship = view(relationship);
    std::string error;
    const auto copy = copy_session(&builder.session, error);
    REQUIRE_MESSAGE(copy, error);
    CHECK(copy->participants[0].rates_participant_id == "client-9");
    CHECK(copy->participants[0].relationship == "GRD");

    // Empty rater fields are allowed (a session with one client).
    builder.participant.rates_participant_id = {nullptr, 0};
    builder.participant.relationship = {nullptr, 0};
    const auto without = copy_session(&builder.session, error);
    REQUIRE_MESSAGE(without, error);
    CHECK(without->participants[0].rates_participant_id.empty());
    CHECK(without->participants[0].relationship.empty());
  }

  TEST_CASE("oversized or dangling rater fields are refused with their name") {
    struct Row {
      const char* name;
      std::string rates;
      std::string relationship;
      const char* error_part;
    };
    const Row rows[] = {
        {"relationship of 17 bytes", "client-9", std::string(17, 'R'), "relationship is longer than 16 bytes"},
        {"rates_participant_id too long", std::string(kMaximumIdentifierBytes + 1, 'x'), "MTH",
         "rates_participant_id is longer than"},
    };
    for (const Row& row : rows) {
      CAPTURE(row.name);
      SessionBuilder builder;
      builder.participant.role = THP_ROLE_OTHER_RATER;
      builder.participant.rates_participant_id = view(row.rates);
      builder.participant.relationship = view(row.relationship);
      std::string error;
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error.find(row.error_part) != std::string::npos);
    }
    SessionBuilder sixteen;
    const std::string longest(16, 'R');
    sixteen.participant.relationship = view(longest);
    std::string error;
    CHECK(copy_session(&sixteen.session, error));

    SessionBuilder dangling;
    dangling.participant.relationship = {nullptr, 3};
    CHECK_FALSE(copy_session(&dangling.session, error));
    CHECK(error == "relationship has a length but no characters");
  }

  TEST_CASE("a start_time that is no RFC 3339 date-time from 1900 to 2199 is refused") {
    for (const char* accepted : {"2026-11-02T15:00:00Z", "2026-11-02T15:00:00.5+01:00", "2199-12-31T23:59:59Z"}) {
      CAPTURE(accepted);
      const std::string text = accepted;
      SessionBuilder builder;
      builder.session.start_time = view(text);
      std::string error;
      CHECK_MESSAGE(copy_session(&builder.session, error), error);
    }
    for (const char* refused : {"9999-12-31T23:59:59Z", "2026-11-02", "2026-13-02T15:00:00Z", "2026-11-02T15:00:00",
                                "yesterday", "1816-01-01T00:00:00Z"}) {
      CAPTURE(refused);
      const std::string text = refused;
      SessionBuilder builder;
      builder.session.start_time = view(text);
      std::string error;
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error.find("start_time") != std::string::npos);
    }
  }
}
