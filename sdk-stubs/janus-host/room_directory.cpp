#include "room_directory.hpp"

namespace janus_host {
namespace {

DirectoryAction tell_error(HandleKey handle, std::string error, std::string reason) {
  DirectoryAction action;
  action.kind = DirectoryAction::Kind::tell_error;
  action.handle = handle;
  action.error = std::move(error);
  action.reason = std::move(reason);
  return action;
}

DirectoryAction tell_state(HandleKey handle, std::string state) {
  DirectoryAction action;
  action.kind = DirectoryAction::Kind::tell_state;
  action.handle = handle;
  action.state = std::move(state);
  return action;
}

DirectoryAction session_action(DirectoryAction::Kind kind, std::string session_id) {
  DirectoryAction action;
  action.kind = kind;
  action.session_id = std::move(session_id);
  return action;
}

}  // namespace

std::string RoomDirectory::state_name(SessionState state) {
  switch (state) {
    case SessionState::waiting:
      return "waiting";
    case SessionState::running:
      return "running";
    case SessionState::ended:
      return "ended";
  }
  return "waiting";
}

DirectoryActions RoomDirectory::registered(HandleKey key, ParticipantClaims claims) {
  Handle& handle = handles_[key];
  if (handle.claims) {
    return {tell_error(key, "already_registered", "this handle has registered already")};
  }
  handle.claims = std::move(claims);
  return try_seat(key);
}

DirectoryActions RoomDirectory::handle_in_janus_session(HandleKey key, JanusSession janus_session) {
  auto handle = handles_.find(key);
  if (handle == handles_.end() || handle->second.janus_session) return {};
  handle->second.janus_session = janus_session;
  return try_seat(key);
}

DirectoryActions RoomDirectory::feed_joined(const std::string& room, const std::string& feed,
                                            JanusSession janus_session) {
  feeds_[{room, feed}] = janus_session;
  DirectoryActions actions;
  for (auto& [key, handle] : handles_) {
    if (!handle.claims || handle.claims->room != room || handle.claims->feed != feed) continue;
    DirectoryActions more = try_seat(key);
    actions.insert(actions.end(), more.begin(), more.end());
  }
  return actions;
}

DirectoryActions RoomDirectory::feed_left(const std::string& room, const std::string& feed) {
  feeds_.erase({room, feed});
  DirectoryActions actions;
  for (auto& [key, handle] : handles_) {
    if (handle.seated && handle.claims->room == room && handle.claims->feed == feed) {
      unseat(key, actions);
    }
  }
  return actions;
}

DirectoryActions RoomDirectory::room_destroyed(const std::string& room) {
  for (auto feed = feeds_.begin(); feed != feeds_.end();) {
    feed = feed->first.first == room ? feeds_.erase(feed) : std::next(feed);
  }
  DirectoryActions actions;
  auto room_session = room_sessions_.find(room);
  if (room_session == room_sessions_.end()) return actions;
  std::string session_id = room_session->second;
  auto session = sessions_.find(session_id);
  if (session == sessions_.end()) return actions;
  if (session->second.state == SessionState::running) {
    // The pages stay attached to Alliance: the post-session window (the SRS) goes on.
    end(session_id, actions);
  } else if (session->second.state == SessionState::waiting) {
    std::map<std::string, HandleKey> present = session->second.present;
    for (const auto& [participant, key] : present) unseat(key, actions);
  }
  return actions;
}

DirectoryActions RoomDirectory::handle_gone(HandleKey key) {
  DirectoryActions actions;
  auto handle = handles_.find(key);
  if (handle == handles_.end()) return actions;
  unseat(key, actions);
  handles_.erase(key);
  return actions;
}

DirectoryActions RoomDirectory::end_requested(HandleKey key) {
  auto handle = handles_.find(key);
  if (handle == handles_.end() || !handle->second.claims) {
    return {tell_error(key, "not_registered", "register with a token first")};
  }
  const ParticipantClaims& claims = *handle->second.claims;
  if (claims.role != Role::clinician) {
    return {tell_error(key, "not_allowed", "only the clinician ends the session")};
  }
  auto session = sessions_.find(claims.session);
  if (!handle->second.seated || session == sessions_.end() ||
      session->second.state != SessionState::running) {
    return {tell_error(key, "not_allowed", "the session is not running")};
  }
  DirectoryActions actions;
  end(claims.session, actions);
  return actions;
}

void RoomDirectory::forget_session(const std::string& session_id) {
  auto session = sessions_.find(session_id);
  if (session == sessions_.end()) return;
  for (const auto& [participant, key] : session->second.present) {
    auto handle = handles_.find(key);
    if (handle != handles_.end()) handle->second.seated = false;
  }
  auto room_session = room_sessions_.find(session->second.room);
  if (room_session != room_sessions_.end() && room_session->second == session_id) {
    room_sessions_.erase(room_session);
  }
  sessions_.erase(session);
}

bool RoomDirectory::is_registered(HandleKey key) const {
  auto handle = handles_.find(key);
  return handle != handles_.end() && handle->second.claims.has_value();
}

std::optional<std::pair<std::string, std::string>> RoomDirectory::seat_of(HandleKey key) const {
  auto handle = handles_.find(key);
  if (handle == handles_.end() || !handle->second.seated) return std::nullopt;
  return std::make_pair(handle->second.claims->session, handle->second.claims->participant);
}

DirectoryActions RoomDirectory::try_seat(HandleKey key) {
  Handle& handle = handles_[key];
  if (!handle.claims || !handle.janus_session || handle.seated || handle.refused) return {};
  auto feed = feeds_.find({handle.claims->room, handle.claims->feed});
  if (feed == feeds_.end()) return {};  // until the VideoRoom reports this feed joined
  if (feed->second != *handle.janus_session) {
    handle.refused = true;
    return {tell_error(key, "wrong_participant",
                       "this token's participant joined the room from another connection")};
  }
  DirectoryActions actions;
  seat(key, actions);
  return actions;
}

void RoomDirectory::seat(HandleKey key, DirectoryActions& actions) {
  Handle& handle = handles_[key];
  const ParticipantClaims& claims = *handle.claims;
  auto room_session = room_sessions_.find(claims.room);
  if (room_session != room_sessions_.end() && room_session->second != claims.session) {
    auto other = sessions_.find(room_session->second);
    if (other != sessions_.end() && other->second.state != SessionState::ended) {
      handle.refused = true;
      actions.push_back(tell_error(key, "session_mismatch", "the room holds another session"));
      return;
    }
  }
  room_sessions_[claims.room] = claims.session;
  auto [entry, created] = sessions_.try_emplace(claims.session);
  Session& session = entry->second;
  if (created) session.room = claims.room;
  if (session.state == SessionState::ended) {
    actions.push_back(tell_state(key, "ended"));
    return;
  }

  auto earlier = session.present.find(claims.participant);
  if (earlier != session.present.end() && earlier->second != key) {
    // The same participant from a new page (a reload, a second device): the newer wins.
    HandleKey replaced = earlier->second;
    unseat(replaced, actions);
    handles_[replaced].refused = true;
    actions.push_back(tell_error(replaced, "replaced", "this participant registered from another page"));
  }
  handle.seated = true;
  session.present[claims.participant] = key;

  if (session.state == SessionState::running) {
    DirectoryAction join = session_action(DirectoryAction::Kind::join, claims.session);
    join.participants.push_back({key, claims});
    actions.push_back(std::move(join));
    actions.push_back(tell_state(key, "running"));
    return;
  }
  bool clinician = false;
  bool client = false;
  for (const auto& [participant, present_key] : session.present) {
    Role role = handles_[present_key].claims->role;
    clinician = clinician || role == Role::clinician;
    client = client || role == Role::client;
  }
  if (!clinician || !client) {
    actions.push_back(tell_state(key, "waiting"));
    return;
  }
  session.state = SessionState::running;
  DirectoryAction start = session_action(DirectoryAction::Kind::start_session, claims.session);
  for (const auto& [participant, present_key] : session.present) {
    start.participants.push_back({present_key, *handles_[present_key].claims});
  }
  actions.push_back(std::move(start));
  tell_all(session, "running", actions);
}

void RoomDirectory::unseat(HandleKey key, DirectoryActions& actions) {
  auto handle = handles_.find(key);
  if (handle == handles_.end() || !handle->second.seated) return;
  handle->second.seated = false;
  const ParticipantClaims& claims = *handle->second.claims;
  auto session = sessions_.find(claims.session);
  if (session == sessions_.end()) return;
  auto present = session->second.present.find(claims.participant);
  if (present == session->second.present.end() || present->second != key) return;
  session->second.present.erase(present);
  switch (session->second.state) {
    case SessionState::waiting:
      if (session->second.present.empty()) {
        forget_session(claims.session);
      }
      return;
    case SessionState::running: {
      DirectoryAction leave = session_action(DirectoryAction::Kind::leave, claims.session);
      leave.participant_id = claims.participant;
      actions.push_back(std::move(leave));
      if (session->second.present.empty()) end(claims.session, actions);
      return;
    }
    case SessionState::ended: {
      DirectoryAction leave = session_action(DirectoryAction::Kind::leave, claims.session);
      leave.participant_id = claims.participant;
      actions.push_back(std::move(leave));
      return;
    }
  }
}

void RoomDirectory::end(const std::string& session_id, DirectoryActions& actions) {
  Session& session = sessions_[session_id];
  session.state = SessionState::ended;
  actions.push_back(session_action(DirectoryAction::Kind::end_session, session_id));
  tell_all(session, "ended", actions);
}

void RoomDirectory::tell_all(const Session& session, const std::string& state,
                             DirectoryActions& actions) const {
  for (const auto& [participant, key] : session.present) actions.push_back(tell_state(key, state));
}

}  // namespace janus_host
