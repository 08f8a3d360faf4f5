// The rule from a room to a session (sdk-stubs/janus-host/room_directory.hpp), as data:
// what the VideoRoom and the pages say, in the orders Janus may deliver it.
#include <doctest/doctest.h>

#include "room_directory.hpp"

#include <algorithm>
#include <string>

using janus_host::DirectoryAction;
using janus_host::DirectoryActions;
using janus_host::ParticipantClaims;
using janus_host::Role;
using janus_host::RoomDirectory;

namespace {

ParticipantClaims claims_for(std::string participant, Role role, std::string feed,
                             std::string session = "appt-1", std::string room = "1234") {
  ParticipantClaims claims;
  claims.room = std::move(room);
  claims.feed = std::move(feed);
  claims.session = std::move(session);
  claims.participant = std::move(participant);
  claims.role = role;
  return claims;
}

std::size_t count_of(const DirectoryActions& actions, DirectoryAction::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(), [&](const DirectoryAction& action) { return action.kind == kind; }));
}

const DirectoryAction* first_of(const DirectoryActions& actions, DirectoryAction::Kind kind) {
  auto found = std::find_if(actions.begin(), actions.end(), [&](const DirectoryAction& action) { return action.kind == kind; });
  return found == actions.end() ? nullptr : &*found;
}

// A clinician (handle 1, Janus session 100, feed 11) seated and waiting.
void seat_clinician(RoomDirectory& directory) {
  directory.registered(1, claims_for("pr-kim", Role::clinician, "11"));
  directory.handle_in_janus_session(1, 100);
  DirectoryActions actions = directory.feed_joined("1234", "11", 100);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == DirectoryAction::Kind::tell_state);
  CHECK(actions[0].state == "waiting");
}

// ... and a client (handle 2, Janus session 200, feed 22): the session starts.
DirectoryActions seat_client(RoomDirectory& directory) {
  directory.registered(2, claims_for("pat-alex", Role::client, "22"));
  directory.handle_in_janus_session(2, 200);
  return directory.feed_joined("1234", "22", 200);
}

}  // namespace

TEST_CASE("a session starts when the room has its clinician and a client, whatever the order of the news") {
  SUBCASE("joined, then token, then binding") {
    RoomDirectory directory;
    seat_clinician(directory);
    CHECK(directory.feed_joined("1234", "22", 200).empty());
    CHECK(directory.registered(2, claims_for("pat-alex", Role::client, "22")).empty());
    DirectoryActions actions = directory.handle_in_janus_session(2, 200);
    const DirectoryAction* start = first_of(actions, DirectoryAction::Kind::start_session);
    REQUIRE(start != nullptr);
    CHECK(start->session_id == "appt-1");
    CHECK(start->participants.size() == 2);
    CHECK(count_of(actions, DirectoryAction::Kind::tell_state) == 2);
  }
  SUBCASE("token, binding, then joined") {
    RoomDirectory directory;
    seat_clinician(directory);
    DirectoryActions actions = seat_client(directory);
    CHECK(count_of(actions, DirectoryAction::Kind::start_session) == 1);
  }
  SUBCASE("two clinicians and no client: no session") {
    RoomDirectory directory;
    seat_clinician(directory);
    directory.registered(3, claims_for("pr-lee", Role::clinician, "33"));
    directory.handle_in_janus_session(3, 300);
    CHECK(count_of(directory.feed_joined("1234", "33", 300), DirectoryAction::Kind::start_session) == 0);
  }
}

TEST_CASE("a token whose feed joined from another connection gets nothing") {
  RoomDirectory directory;
  seat_clinician(directory);
  // The client's real page joined the room as feed 22 from Janus session 200 ...
  directory.feed_joined("1234", "22", 200);
  // ... and another page, in Janus session 999, presents the client's token.
  directory.registered(9, claims_for("pat-alex", Role::client, "22"));
  DirectoryActions actions = directory.handle_in_janus_session(9, 999);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].error == "wrong_participant");
  CHECK_FALSE(directory.seat_of(9).has_value());
  // Nothing that page does later seats it.
  CHECK(directory.feed_joined("1234", "22", 999).size() == 0);
}

TEST_CASE("someone who joins later joins the running session; leaving is reported once") {
  RoomDirectory directory;
  seat_clinician(directory);
  seat_client(directory);
  directory.registered(3, claims_for("par-mom", Role::other_rater, "33"));
  directory.handle_in_janus_session(3, 300);
  DirectoryActions joined = directory.feed_joined("1234", "33", 300);
  const DirectoryAction* join = first_of(joined, DirectoryAction::Kind::join);
  REQUIRE(join != nullptr);
  CHECK(join->participants.at(0).claims.participant == "par-mom");

  DirectoryActions left = directory.feed_left("1234", "33");
  const DirectoryAction* leave = first_of(left, DirectoryAction::Kind::leave);
  REQUIRE(leave != nullptr);
  CHECK(leave->participant_id == "par-mom");
  // Her Alliance handle going away next says nothing more.
  CHECK(directory.handle_gone(3).empty());
}

TEST_CASE("a client who leaves early: the session goes on until the clinician ends it") {
  RoomDirectory directory;
  seat_clinician(directory);
  seat_client(directory);
  DirectoryActions left = directory.feed_left("1234", "22");
  CHECK(count_of(left, DirectoryAction::Kind::leave) == 1);
  CHECK(count_of(left, DirectoryAction::Kind::end_session) == 0);
  DirectoryActions ended = directory.end_requested(1);
  CHECK(count_of(ended, DirectoryAction::Kind::end_session) == 1);
  REQUIRE(first_of(ended, DirectoryAction::Kind::tell_state) != nullptr);
  CHECK(first_of(ended, DirectoryAction::Kind::tell_state)->state == "ended");
}

TEST_CASE("only the clinician ends the session") {
  RoomDirectory directory;
  seat_clinician(directory);
  seat_client(directory);
  DirectoryActions refused = directory.end_requested(2);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].error == "not_allowed");
  CHECK(directory.end_requested(42).at(0).error == "not_registered");
}

TEST_CASE("the session ends when the room is destroyed or empties") {
  SUBCASE("destroyed: the pages stay seated for the post-session window") {
    RoomDirectory directory;
    seat_clinician(directory);
    seat_client(directory);
    DirectoryActions actions = directory.room_destroyed("1234");
    CHECK(count_of(actions, DirectoryAction::Kind::end_session) == 1);
    CHECK(directory.seat_of(2).has_value());
  }
  SUBCASE("empties") {
    RoomDirectory directory;
    seat_clinician(directory);
    seat_client(directory);
    CHECK(count_of(directory.feed_left("1234", "22"), DirectoryAction::Kind::end_session) == 0);
    DirectoryActions last = directory.handle_gone(1);
    CHECK(count_of(last, DirectoryAction::Kind::leave) == 1);
    CHECK(count_of(last, DirectoryAction::Kind::end_session) == 1);
  }
}

TEST_CASE("a room holds one session at a time; after it ends, the next may start") {
  RoomDirectory directory;
  seat_clinician(directory);
  seat_client(directory);
  directory.registered(5, claims_for("pat-other", Role::client, "55", "appt-2"));
  directory.handle_in_janus_session(5, 500);
  DirectoryActions busy = directory.feed_joined("1234", "55", 500);
  REQUIRE(busy.size() == 1);
  CHECK(busy[0].error == "session_mismatch");

  directory.end_requested(1);
  directory.registered(6, claims_for("pat-next", Role::client, "66", "appt-2"));
  directory.handle_in_janus_session(6, 600);
  DirectoryActions next = directory.feed_joined("1234", "66", 600);
  REQUIRE(next.size() == 1);
  CHECK(next[0].state == "waiting");
}

TEST_CASE("the same participant from a second page replaces the first") {
  RoomDirectory directory;
  seat_clinician(directory);
  seat_client(directory);
  directory.feed_left("1234", "22");  // the first page's VideoRoom handle went with a reload
  directory.registered(7, claims_for("pat-alex", Role::client, "22"));
  directory.handle_in_janus_session(7, 700);
  DirectoryActions rejoined = directory.feed_joined("1234", "22", 700);
  CHECK(count_of(rejoined, DirectoryAction::Kind::join) == 1);
  CHECK(directory.seat_of(7).has_value());
  CHECK_FALSE(directory.seat_of(2).has_value());
}

TEST_CASE("a second register on one handle is refused") {
  RoomDirectory directory;
  directory.registered(1, claims_for("pr-kim", Role::clinician, "11"));
  DirectoryActions again = directory.registered(1, claims_for("pat-alex", Role::client, "22"));
  REQUIRE(again.size() == 1);
  CHECK(again[0].error == "already_registered");
}
