// read_janus_event (sdk-stubs/janus-host/janus_events.cpp): the events Janus's events
// thread hands the Alliance event handler. Their room and feed ids come from pages (a
// VideoRoom join names them), so the reader meets whatever a page chose.
#include <cstddef>
#include <cstdint>

#include <jansson.h>

#include "fuzz_check.hpp"
#include "janus_events.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json_error_t error{};
  json_t* event = json_loadb(reinterpret_cast<const char*>(data), size, JSON_DECODE_ANY, &error);
  if (event == nullptr) return 0;
  std::optional<janus_host::RoomEvent> read = janus_host::read_janus_event(event);
  if (read) {
    using Kind = janus_host::RoomEvent::Kind;
    if (read->kind == Kind::binding) {
      FUZZ_CHECK(read->nonce.size() <= 64);
    } else {
      FUZZ_CHECK(!read->room.empty() && read->room.size() <= janus_host::kMaximumRoomIdBytes + 20);
      if (read->kind != Kind::destroyed) FUZZ_CHECK(!read->feed.empty());
    }
  }
  json_decref(event);
  return 0;
}
