#include "janus_events.hpp"

#include <cstring>
#include <string_view>

namespace janus_host {
namespace {

// Janus's JANUS_EVENT_TYPE_PLUGIN (events/eventhandler.h), kept here so that this
// reader builds without Janus's headers (the fuzz target).
constexpr json_int_t kPluginEventType = 1 << 6;

std::optional<std::string> id_text(json_t* value) {
  if (json_is_integer(value)) return std::to_string(json_integer_value(value));
  if (json_is_string(value) && json_string_length(value) > 0 &&
      json_string_length(value) <= kMaximumRoomIdBytes) {
    return std::string(json_string_value(value), json_string_length(value));
  }
  return std::nullopt;
}

std::optional<JanusSession> session_of(json_t* event) {
  json_t* session = json_object_get(event, "session_id");
  if (!json_is_integer(session)) return std::nullopt;
  return static_cast<JanusSession>(json_integer_value(session));
}

}  // namespace

std::optional<RoomEvent> read_janus_event(json_t* event) {
  if (!json_is_object(event)) return std::nullopt;
  json_t* type = json_object_get(event, "type");
  if (!json_is_integer(type) || json_integer_value(type) != kPluginEventType) return std::nullopt;
  json_t* body = json_object_get(event, "event");
  const char* plugin = json_string_value(json_object_get(body, "plugin"));
  json_t* data = json_object_get(body, "data");
  if (plugin == nullptr || !json_is_object(data)) return std::nullopt;

  RoomEvent read;
  if (std::strcmp(plugin, "janus.plugin.alliance") == 0) {
    json_t* nonce = json_object_get(data, kBindingKey);
    std::optional<JanusSession> session = session_of(event);
    if (!json_is_string(nonce) || json_string_length(nonce) > 64 || !session) return std::nullopt;
    read.kind = RoomEvent::Kind::binding;
    read.nonce.assign(json_string_value(nonce), json_string_length(nonce));
    read.janus_session = *session;
    return read;
  }
  if (std::strcmp(plugin, "janus.plugin.videoroom") != 0) return std::nullopt;
  const char* name = json_string_value(json_object_get(data, "event"));
  if (name == nullptr) return std::nullopt;
  std::optional<std::string> room = id_text(json_object_get(data, "room"));
  if (!room) return std::nullopt;
  read.room = std::move(*room);
  std::string_view kind(name);
  if (kind == "destroyed") {
    read.kind = RoomEvent::Kind::destroyed;
    return read;
  }
  if (kind != "joined" && kind != "leaving" && kind != "kicked") return std::nullopt;
  std::optional<std::string> feed = id_text(json_object_get(data, "id"));
  if (!feed) return std::nullopt;
  read.feed = std::move(*feed);
  if (kind == "joined") {
    // Whose connection joined: Janus stamps the event with the handle's session.
    std::optional<JanusSession> session = session_of(event);
    if (!session) return std::nullopt;
    read.kind = RoomEvent::Kind::joined;
    read.janus_session = *session;
    return read;
  }
  // leaving and kicked come with no session or handle: the room and feed say who.
  read.kind = RoomEvent::Kind::left;
  return read;
}

}  // namespace janus_host
