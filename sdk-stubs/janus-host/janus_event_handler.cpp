// janus.eventhandler.alliance: the event handler (API 3) through which the adapter
// follows the VideoRoom. Janus gives media plugins no way to hear another plugin's
// events; event handlers hear them all. This one only passes the plugin events on to
// the Alliance plugin (libjanus_alliance.so), which reads and queues them: Janus calls
// incoming_event on its single events thread, where nothing may wait.
//
// The two libraries meet through Janus's own loading: Janus opens plugins and event
// handlers RTLD_GLOBAL, so the plugin's exported alliance_janus_incoming_event is found
// with dlsym(RTLD_DEFAULT). Event handlers load before plugins: until the plugin is
// there, events are dropped (no session can exist before it).
#include "janus_events.hpp"

extern "C" {
#include <debug.h>
#include <events/eventhandler.h>
}

#include <dlfcn.h>

#include <atomic>

namespace {

using EventSink = void (*)(json_t*);
std::atomic<EventSink> sink{nullptr};
std::atomic<bool> stopping{false};

int handler_init(const char*) {
  JANUS_LOG(LOG_INFO, "[alliance] janus.eventhandler.alliance started\n");
  return 0;
}

void handler_destroy() { stopping = true; }
int handler_api_compatibility() { return JANUS_EVENTHANDLER_API_VERSION; }
int handler_version() { return 1; }
const char* handler_version_string() { return "0.1.0"; }
const char* handler_description() { return "Passes the VideoRoom's events to the Alliance plugin"; }
const char* handler_name() { return "Alliance rooms"; }
const char* handler_author() { return "Alliance maintainers"; }
const char* handler_package() { return "janus.eventhandler.alliance"; }

// Borrowed: Janus releases the event after this returns (events.c), so it is read here
// and not kept.
void handler_incoming_event(json_t* event) {
  if (stopping) return;
  EventSink found = sink.load();
  if (found == nullptr) {
    found = reinterpret_cast<EventSink>(dlsym(RTLD_DEFAULT, janus_host::kEventSink));
    if (found == nullptr) return;
    sink.store(found);
  }
  found(event);
}

json_t* handler_handle_request(json_t*) { return nullptr; }

janus_eventhandler alliance_event_handler = {
    .init = handler_init,
    .destroy = handler_destroy,
    .get_api_compatibility = handler_api_compatibility,
    .get_version = handler_version,
    .get_version_string = handler_version_string,
    .get_description = handler_description,
    .get_name = handler_name,
    .get_author = handler_author,
    .get_package = handler_package,
    .incoming_event = handler_incoming_event,
    .handle_request = handler_handle_request,
    // Plugin events only: the VideoRoom's and the adapter's own.
    .events_mask = JANUS_EVENT_TYPE_PLUGIN,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) janus_eventhandler* create(void) {
  return &alliance_event_handler;
}

// Looked up by the plugin at init, to say plainly when this handler is missing.
extern "C" {
__attribute__((visibility("default"))) int alliance_janus_event_handler_loaded = 1;
}
