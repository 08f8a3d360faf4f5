// Reading what Janus's events thread hands the Alliance event handler: the VideoRoom's
// joined, leaving, kicked and destroyed, and the adapter's own binding event (docs/janus.md).
// Room and feed ids are numbers or texts (the VideoRoom's string_ids); both become text.
#pragma once

#include "alliance_host.hpp"

#include <jansson.h>

#include <optional>

namespace janus_host {

// The key of the adapter's own event, whose value is a binding nonce.
inline constexpr const char* kBindingKey = "alliance_binding";
// Exported by the event handler, looked up by the plugin to tell that it is loaded.
inline constexpr const char* kEventHandlerMarker = "alliance_janus_event_handler_loaded";
// Exported by the plugin, called by the event handler.
inline constexpr const char* kEventSink = "alliance_janus_incoming_event";

// At most this long, a room or feed id; anything longer is not a room of ours.
inline constexpr std::size_t kMaximumRoomIdBytes = 256;

// The event when it is one the adapter follows, else nothing. `event` is borrowed.
std::optional<RoomEvent> read_janus_event(json_t* event);

}  // namespace janus_host
