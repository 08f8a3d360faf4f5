#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "abi/host_text.hpp"
#include "abi/host_copy.hpp"
#include "session/session_details.hpp"

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

  TEST_CASE("oversized rater fields are dropped with their name and dangling ones refused") {
    struct Row {
      const char* name;
      std::string rates;
      std::string relationship;
      const char* field;
    };
    const Row rows[] = {
        {"relationship of 17 bytes", "client-9", std::string(17, 'R'), "field=relationship "},
        {"rates_participant_id too long", std::string(kMaximumIdentifierBytes + 1, 'x'), "MTH",
         "field=rates_participant_id "},
    };
    for (const Row& row : rows) {
      CAPTURE(row.name);
      SessionBuilder builder;
      builder.participant.role = THP_ROLE_OTHER_RATER;
      builder.participant.rates_participant_id = view(row.rates);
      builder.participant.relationship = view(row.relationship);
      std::string error;
      std::vector<std::string> adjustments;
      const auto copy = copy_session(&builder.session, error, adjustments);
      REQUIRE_MESSAGE(copy, error);
      REQUIRE(adjustments.size() == 1);
      CHECK(adjustments[0].find(row.field) != std::string::npos);
    }
    SessionBuilder sixteen;
    const std::string longest(16, 'R');
    sixteen.participant.relationship = view(longest);
    std::string error;
    std::vector<std::string> adjustments;
    const auto kept = copy_session(&sixteen.session, error, adjustments);
    REQUIRE(kept);
    CHECK(kept->participants[0].relationship == longest);
    CHECK(adjustments.empty());

    SessionBuilder dangling;
    dangling.participant.relationship = {nullptr, 3};
    CHECK_FALSE(copy_session(&dangling.session, error));
    CHECK(error == "relationship has a length but no characters");
  }

  // Issue 12, defect 6: a display name that is not UTF-8 made every later JSON dump
  // throw, so no panel opened. The boundary now repairs free text and says so by name.
  TEST_CASE("a display name that is not UTF-8 has its bad bytes replaced and the field named in a note") {
    SessionBuilder builder;
    const std::string name = std::string("Al\xff") + "x\xc3" + std::string(1, '\0') + "!";
    builder.participant.display_name = view(name);
    std::string error;
    std::vector<std::string> adjustments;
    const auto copy = copy_session(&builder.session, error, adjustments);
    REQUIRE_MESSAGE(copy, error);
    CHECK(copy->participants[0].display_name == "Al\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd!");
    CHECK(is_valid_utf8(copy->participants[0].display_name));
    REQUIRE(adjustments.size() == 1);
    CHECK(adjustments[0].find("field=display_name") != std::string::npos);
    CHECK(adjustments[0].find("Al") == std::string::npos);
  }

  TEST_CASE("optional fields that are not UTF-8 are dropped and named and required ids are refused") {
    const std::string bad = "x\xc0\xafy";  // an overlong encoding of "/"
    {
      SessionBuilder builder;
      builder.participant.fhir_reference = view(bad);
      builder.participant.preferred_language = view(bad);
      builder.participant.birth_date = view(bad);
      builder.session.encounter_reference = view(bad);
      builder.session.start_time = view(bad);
      std::string error;
      std::vector<std::string> adjustments;
      const auto copy = copy_session(&builder.session, error, adjustments);
      REQUIRE_MESSAGE(copy, error);
      CHECK(copy->participants[0].fhir_reference.empty());
      CHECK(copy->participants[0].preferred_language.empty());
      CHECK(copy->participants[0].birth_date.empty());
      CHECK(copy->encounter_reference.empty());
      CHECK(copy->start_time.empty());
      CHECK(adjustments.size() == 5);
      for (const char* field : {"fhir_reference", "preferred_language", "birth_date", "encounter_reference",
                                "start_time"}) {
        CAPTURE(field);
        int naming = 0;
        for (const std::string& line : adjustments) naming += line.find(std::string("field=") + field + " ") == 0;
        CHECK(naming == 1);
      }
    }
    {
      SessionBuilder builder;
      builder.session.session_id = view(bad);
      std::string error;
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error == "session_id is not valid UTF-8");
    }
    {
      SessionBuilder builder;
      builder.participant.participant_id = view(bad);
      std::string error;
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error == "participant_id is not valid UTF-8");
      const std::string with_nul("client\0-1", 9);
      builder.participant.participant_id = view(with_nul);
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error == "participant_id contains a NUL byte");
    }
  }

  // Issue 12: one bad optional field refused the whole session, so the client got no ORS.
  TEST_CASE("a malformed birth date or an over-long display name keeps the participant") {
    SessionBuilder builder;
    const std::string date = "04/03/1992";
    const std::string long_name = std::string(kMaximumTextBytes - 1, 'a') + "\xc3\xa9";  // 513 bytes
    builder.participant.birth_date = view(date);
    builder.participant.display_name = view(long_name);
    builder.participant.age_years = 200;
    std::string error;
    std::vector<std::string> adjustments;
    const auto copy = copy_session(&builder.session, error, adjustments);
    REQUIRE_MESSAGE(copy, error);
    REQUIRE(copy->participants.size() == 1);
    CHECK(copy->participants[0].birth_date.empty());
    CHECK(copy->participants[0].age_years == -1);
    // Cut before the two-byte character that would not fit whole.
    CHECK(copy->participants[0].display_name == std::string(kMaximumTextBytes - 1, 'a'));
    REQUIRE(adjustments.size() == 3);
    CHECK(adjustments[0].find("field=display_name ") == 0);
    CHECK(adjustments[1].find("field=age_years ") == 0);
    CHECK(adjustments[2].find("field=birth_date ") == 0);
    for (const std::string& line : adjustments) {
      CHECK(line.find("04/03") == std::string::npos);
      CHECK(line.find("aaaa") == std::string::npos);
    }
  }

  TEST_CASE("the limits in the header are the ones enforced and exactly at their edge") {
    CHECK(kMaximumIdentifierBytes == static_cast<size_t>(THP_MAXIMUM_IDENTIFIER_BYTES));
    CHECK(kMaximumTextBytes == static_cast<size_t>(THP_MAXIMUM_TEXT_BYTES));
    CHECK(kMaximumParticipants == static_cast<size_t>(THP_MAXIMUM_PARTICIPANTS));
    CHECK(THP_MAXIMUM_IDENTIFIER_BYTES == 256);
    CHECK(THP_MAXIMUM_TEXT_BYTES == 512);
    CHECK(THP_MAXIMUM_PARTICIPANTS == 64);
    std::string error;
    std::vector<std::string> adjustments;
    {
      SessionBuilder builder;
      const std::string longest(THP_MAXIMUM_IDENTIFIER_BYTES, 'i');
      const std::string one_more(THP_MAXIMUM_IDENTIFIER_BYTES + 1, 'i');
      builder.session.session_id = view(longest);
      builder.participant.participant_id = view(longest);
      CHECK(copy_session(&builder.session, error));
      builder.participant.participant_id = view(one_more);
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error == "participant_id is longer than 256 bytes");
      builder.participant.participant_id = view(longest);
      builder.session.session_id = view(one_more);
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error == "session_id is longer than 256 bytes");
    }
    {
      SessionBuilder builder;
      const std::string longest(THP_MAXIMUM_TEXT_BYTES, 'n');
      builder.participant.display_name = view(longest);
      adjustments.clear();
      const auto copy = copy_session(&builder.session, error, adjustments);
      REQUIRE(copy);
      CHECK(copy->participants[0].display_name == longest);
      CHECK(adjustments.empty());
      const std::string one_more(THP_MAXIMUM_TEXT_BYTES + 1, 'n');
      builder.participant.display_name = view(one_more);
      const auto cut = copy_session(&builder.session, error, adjustments);
      REQUIRE(cut);
      CHECK(cut->participants[0].display_name == longest);
      CHECK(adjustments.size() == 1);
    }
    {
      SessionBuilder builder;
      std::vector<std::string> ids;
      std::vector<thp_participant> people(THP_MAXIMUM_PARTICIPANTS + 1);
      std::vector<const thp_participant*> pointers;
      for (size_t index = 0; index < people.size(); ++index) ids.push_back("p" + std::to_string(index));
      for (size_t index = 0; index < people.size(); ++index) {
        people[index] = builder.participant;
        people[index].participant_id = view(ids[index]);
        pointers.push_back(&people[index]);
      }
      builder.session.participants = pointers.data();
      builder.session.participant_count = THP_MAXIMUM_PARTICIPANTS;
      const auto full = copy_session(&builder.session, error);
      REQUIRE_MESSAGE(full, error);
      CHECK(full->participants.size() == 64);
      builder.session.participant_count = THP_MAXIMUM_PARTICIPANTS + 1;
      CHECK_FALSE(copy_session(&builder.session, error));
      CHECK(error == "more than 64 participants");
    }
    {
      SessionBuilder builder;
      const std::string reference = "Patient/" + std::string(64, '7');
      const std::string too_long = "Patient/" + std::string(65, '7');
      const std::string not_a_reference = "participant:client-1";
      builder.participant.fhir_reference = view(reference);
      auto copy = copy_session(&builder.session, error);
      REQUIRE(copy);
      CHECK(copy->participants[0].fhir_reference == reference);
      for (const std::string* dropped : {&too_long, &not_a_reference}) {
        CAPTURE(*dropped);
        builder.participant.fhir_reference = view(*dropped);
        adjustments.clear();
        copy = copy_session(&builder.session, error, adjustments);
        REQUIRE(copy);
        CHECK(copy->participants[0].fhir_reference.empty());
        CHECK(adjustments.size() == 1);
      }
    }
  }

  TEST_CASE("a start_time that is no RFC 3339 date-time from 1900 to 2199 is dropped and named") {
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
      std::vector<std::string> adjustments;
      const auto copy = copy_session(&builder.session, error, adjustments);
      REQUIRE_MESSAGE(copy, error);
      CHECK(copy->start_time.empty());
      REQUIRE(adjustments.size() == 1);
      CHECK(adjustments[0].find("field=start_time ") == 0);
    }
  }
}
