// Who is in which room, and when that makes a session: the adapter's rule (docs/janus.md,
// "Sessions from the room") as a plain state machine. It hears what the VideoRoom
// reports (joined, leaving, destroyed), what the Alliance handles say (a good token,
// end_session, gone) and which Janus session each Alliance handle lives in, and answers
// with what the host must do: start, join, leave, end, and what to tell each page.
//
// Nothing here knows Janus or the ABI, so that every rule is tested as data.
#pragma once

#include "participant_token.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace janus_host {

using HandleKey = std::uint64_t;     // the adapter's own number for an Alliance handle
using JanusSession = std::uint64_t;  // Janus's session id, as its events carry it

struct SeatedParticipant {
  HandleKey handle = 0;
  ParticipantClaims claims;
};

struct DirectoryAction {
  enum class Kind {
    start_session,  // session_id, participants (everyone bound so far; one clinician)
    join,           // session_id, participants (one)
    leave,          // session_id, participant_id
    end_session,    // session_id
    tell_state,     // handle, state: waiting | running | ended
    tell_error,     // handle, error, reason
  };
  Kind kind = Kind::tell_state;
  std::string session_id;
  std::vector<SeatedParticipant> participants;
  std::string participant_id;
  HandleKey handle = 0;
  std::string state;
  std::string error;
  std::string reason;
};

using DirectoryActions = std::vector<DirectoryAction>;

class RoomDirectory {
 public:
  // A handle presented a good token. A second register on one handle is refused.
  DirectoryActions registered(HandleKey handle, ParticipantClaims claims);
  // The adapter learned which Janus session `handle` lives in.
  DirectoryActions handle_in_janus_session(HandleKey handle, JanusSession janus_session);
  // The VideoRoom's events.
  DirectoryActions feed_joined(const std::string& room, const std::string& feed,
                               JanusSession janus_session);
  DirectoryActions feed_left(const std::string& room, const std::string& feed);
  DirectoryActions room_destroyed(const std::string& room);
  // The handle is gone (detached, or its Janus session ended).
  DirectoryActions handle_gone(HandleKey handle);
  // end_session from the page of `handle`.
  DirectoryActions end_requested(HandleKey handle);
  // The session's post-session window closed: it is forgotten, and its room is free.
  void forget_session(const std::string& session_id);

  bool is_registered(HandleKey handle) const;
  // The session and participant a handle is seated as, when it is.
  std::optional<std::pair<std::string, std::string>> seat_of(HandleKey handle) const;

 private:
  enum class SessionState { waiting, running, ended };
  struct Handle {
    std::optional<ParticipantClaims> claims;
    std::optional<JanusSession> janus_session;
    bool seated = false;
    bool refused = false;  // someone else's token, or a room busy with another session
  };
  struct Session {
    std::string room;
    SessionState state = SessionState::waiting;
    std::map<std::string, HandleKey> present;  // participant_id -> handle
  };

  DirectoryActions try_seat(HandleKey key);
  void seat(HandleKey key, DirectoryActions& actions);
  void unseat(HandleKey key, DirectoryActions& actions);
  void end(const std::string& session_id, DirectoryActions& actions);
  void tell_all(const Session& session, const std::string& state, DirectoryActions& actions) const;
  static std::string state_name(SessionState state);

  std::map<HandleKey, Handle> handles_;
  std::map<std::pair<std::string, std::string>, JanusSession> feeds_;  // (room, feed)
  std::map<std::string, Session> sessions_;
  std::map<std::string, std::string> room_sessions_;  // room -> its session's id
};

}  // namespace janus_host
