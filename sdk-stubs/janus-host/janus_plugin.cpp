// janus.plugin.alliance: the Janus media plugin (API 102) that is the adapter's face to
// Janus. Janus calls it on its own threads; everything here copies what it was given,
// checks its shape, and hands it to AllianceHost, which works on its host thread.
// What it needs of Janus (push an event to a page, send the event handler an event,
// log) is JanusSide, implemented below with Janus's callbacks.
//
// The only symbols exported: `create`, which Janus looks up, and
// alliance_janus_incoming_event, which the event handler calls (janus_event_handler.cpp).
#include "alliance_host.hpp"
#include "janus_events.hpp"

#include <sys/stat.h>

extern "C" {
#include <config.h>
#include <debug.h>
#include <plugins/plugin.h>
}

#include <dlfcn.h>
#include <jansson.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

using janus_host::AdapterSettings;
using janus_host::AllianceHost;
using janus_host::HandleKey;
using janus_host::PageField;
using janus_host::PageRequest;

constexpr const char* kPackage = "janus.plugin.alliance";
constexpr int kVersion = 1;
constexpr const char* kVersionString = "0.1.0";
// What a page may send in one request: a panel's message is at most 16 KiB for the
// plugin (which answers a longer one as invalid); four times that is refused here.
constexpr std::size_t kMaximumPanelTextBytes = 64 * 1024;
constexpr std::size_t kMaximumSecretFileBytes = 4096;

janus_callbacks* gateway = nullptr;
extern janus_plugin alliance_plugin;

void janus_log(thp_log_level level, std::string_view message) {
  int janus_level = level == THP_LOG_ERROR     ? LOG_ERR
                    : level == THP_LOG_WARNING ? LOG_WARN
                    : level == THP_LOG_INFO    ? LOG_INFO
                                               : LOG_VERB;
  JANUS_LOG(janus_level, "[alliance] %.*s\n", static_cast<int>(message.size()), message.data());
}

struct JsonRelease {
  void operator()(json_t* value) const { json_decref(value); }
};
using JsonPointer = std::unique_ptr<json_t, JsonRelease>;

// The pages' Alliance handles, by the adapter's key. Each holds a reference on Janus's
// handle from create_session to destroy_session, and each push takes one more for its
// own duration, so a handle never goes away under a push.
class Handles {
 public:
  HandleKey add(janus_plugin_session* handle) {
    HandleKey key = next_key_.fetch_add(1);
    janus_refcount_increase(&handle->ref);
    std::lock_guard lock(mutex_);
    handles_[key] = handle;
    return key;
  }
  void remove(HandleKey key) {
    janus_plugin_session* handle = nullptr;
    {
      std::lock_guard lock(mutex_);
      auto found = handles_.find(key);
      if (found == handles_.end()) return;
      handle = found->second;
      handles_.erase(found);
    }
    janus_refcount_decrease(&handle->ref);
  }
  // The handle with a reference the caller releases with release(), or nullptr.
  janus_plugin_session* acquire(HandleKey key) {
    std::lock_guard lock(mutex_);
    auto found = handles_.find(key);
    if (found == handles_.end()) return nullptr;
    janus_refcount_increase(&found->second->ref);
    return found->second;
  }
  static void release(janus_plugin_session* handle) { janus_refcount_decrease(&handle->ref); }

 private:
  std::mutex mutex_;
  std::unordered_map<HandleKey, janus_plugin_session*> handles_;
  std::atomic<HandleKey> next_key_{1};
};

class JanusCallbacks final : public janus_host::JanusSide {
 public:
  explicit JanusCallbacks(Handles& handles) : handles_(handles) {}

  bool send_to_page(HandleKey key, const std::string& transaction,
                    const std::vector<PageField>& fields) override {
    JsonPointer event(json_object());
    for (const PageField& field : fields) {
      json_t* value = nullptr;
      if (const auto* text = std::get_if<std::string>(&field.value)) {
        value = json_stringn(text->data(), text->size());  // NULL unless UTF-8
      } else {
        value = json_integer(static_cast<json_int_t>(std::get<std::uint64_t>(field.value)));
      }
      if (value == nullptr) return false;
      json_object_set_new(event.get(), field.key.c_str(), value);
    }
    janus_plugin_session* handle = handles_.acquire(key);
    if (handle == nullptr) return false;
    if (g_atomic_int_get(&handle->stopped) != 0) {
      // Janus is tearing the handle down (destroy_session is on its way): a push now
      // would only be refused, with an error line in Janus's log.
      Handles::release(handle);
      return false;
    }
    int result = gateway->push_event(handle, &alliance_plugin,
                                     transaction.empty() ? nullptr : transaction.c_str(), event.get(),
                                     nullptr);
    Handles::release(handle);
    return result == 0;
  }

  void announce_binding(HandleKey key, const std::string& nonce) override {
    janus_plugin_session* handle = handles_.acquire(key);
    if (handle == nullptr) return;
    json_t* event = json_object();
    json_object_set_new(event, janus_host::kBindingKey, json_string(nonce.c_str()));
    gateway->notify_event(&alliance_plugin, handle, event);  // takes the reference
    Handles::release(handle);
  }

  void log(thp_log_level level, std::string_view message) override { janus_log(level, message); }

 private:
  Handles& handles_;
};

// The adapter, from init to destroy. Janus's threads and the events thread reach it
// through this pointer, under its mutex, so that none uses it while destroy ends it.
std::mutex adapter_mutex;
std::shared_ptr<AllianceHost> adapter;
std::unique_ptr<Handles> handles;
std::unique_ptr<JanusCallbacks> callbacks;

std::shared_ptr<AllianceHost> current_adapter() {
  std::lock_guard lock(adapter_mutex);
  return adapter;
}

HandleKey key_of(janus_plugin_session* handle) {
  return static_cast<HandleKey>(reinterpret_cast<std::uintptr_t>(handle->plugin_handle));
}

// ---------------------------------------------------------------------------------
// Configuration: janus.plugin.alliance.jcfg (docs/janus.md).

struct ConfigRelease {
  void operator()(janus_config* config) const { janus_config_destroy(config); }
};

const char* item_text(janus_config* config, janus_config_category* general, const char* key) {
  janus_config_item* item = janus_config_get(config, general, janus_config_type_item, key);
  return item != nullptr ? item->value : nullptr;
}

bool read_number(janus_config* config, janus_config_category* general, const char* key,
                 long minimum, long maximum, long& value, std::string& problems) {
  const char* text = item_text(config, general, key);
  if (text == nullptr) return true;
  char* end = nullptr;
  long number = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || number < minimum || number > maximum) {
    problems += std::string(" ") + key + " must be a whole number from " + std::to_string(minimum) +
                " to " + std::to_string(maximum) + ";";
    return false;
  }
  value = number;
  return true;
}

// The secret's first line. The file is refused when others may read it.
std::string read_secret(const std::string& path, std::string& problems) {
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    problems += " token_secret_file " + path + " cannot be read;";
    return {};
  }
  if ((status.st_mode & S_IROTH) != 0) {
    problems += " token_secret_file " + path + " is readable by others (chmod o-r);";
    return {};
  }
  std::ifstream file(path, std::ios::binary);
  std::string line;
  if (!file || !std::getline(file, line) || line.size() > kMaximumSecretFileBytes) {
    problems += " token_secret_file " + path + " cannot be read;";
    return {};
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() < janus_host::kMinimumSecretBytes) {
    problems += " token_secret_file " + path + " holds fewer than 32 bytes;";
    return {};
  }
  return line;
}

std::optional<AdapterSettings> read_settings(const char* config_folder, std::string& problems) {
  std::string path = std::string(config_folder ? config_folder : ".") + "/" + kPackage + ".jcfg";
  std::unique_ptr<janus_config, ConfigRelease> config(janus_config_parse(path.c_str()));
  if (!config) {
    problems = " cannot read " + path + ";";
    return std::nullopt;
  }
  janus_config_category* general =
      janus_config_get(config.get(), nullptr, janus_config_type_category, "general");
  AdapterSettings settings;
  const char* plugin_path = item_text(config.get(), general, "plugin");
  const char* configuration = item_text(config.get(), general, "configuration");
  const char* secret_file = item_text(config.get(), general, "token_secret_file");
  if (plugin_path == nullptr) problems += " plugin (the path of liballiance.so) is missing;";
  if (configuration == nullptr) problems += " configuration (Alliance's JSON file) is missing;";
  if (secret_file == nullptr) problems += " token_secret_file is missing;";
  long lifetime = 300;
  long window = 600;
  read_number(config.get(), general, "token_lifetime_limit_seconds", 10, 3600, lifetime, problems);
  read_number(config.get(), general, "post_session_window_seconds", THP_POST_SESSION_WINDOW_MINIMUM_SECONDS,
              86400, window, problems);
  if (secret_file != nullptr) settings.token_secret = read_secret(secret_file, problems);
  if (!problems.empty()) return std::nullopt;
  settings.plugin_path = plugin_path;
  settings.configuration_path = configuration;
  settings.token_lifetime_limit_seconds = lifetime;
  settings.post_session_window = std::chrono::seconds(window);
  return settings;
}

// ---------------------------------------------------------------------------------
// The plugin's functions.

int plugin_init(janus_callbacks* callback, const char* config_path) {
  try {
    if (callback == nullptr) return -1;
    gateway = callback;
    std::string problems;
    std::optional<AdapterSettings> settings = read_settings(config_path, problems);
    if (!settings) {
      JANUS_LOG(LOG_ERR, "[alliance] not started: janus.plugin.alliance.jcfg:%s\n", problems.c_str());
      return -1;
    }
    if (!gateway->events_is_enabled()) {
      JANUS_LOG(LOG_ERR,
                "[alliance] not started: Janus's events are off, so the adapter cannot follow the "
                "VideoRoom's rooms; set events: { broadcast = true } in janus.jcfg\n");
      return -1;
    }
    if (dlsym(RTLD_DEFAULT, janus_host::kEventHandlerMarker) == nullptr) {
      JANUS_LOG(LOG_ERR,
                "[alliance] not started: the Alliance event handler (libjanus_alliance_events.so) is "
                "not loaded; put it in Janus's events folder\n");
      return -1;
    }
    handles = std::make_unique<Handles>();
    callbacks = std::make_unique<JanusCallbacks>(*handles);
    auto host = std::make_shared<AllianceHost>(std::move(*settings), *callbacks);
    std::string error = host->start();
    if (!error.empty()) {
      JANUS_LOG(LOG_ERR, "[alliance] not started: %s\n", error.c_str());
      host.reset();
      callbacks.reset();
      handles.reset();
      return -1;
    }
    {
      std::lock_guard lock(adapter_mutex);
      adapter = std::move(host);
    }
    JANUS_LOG(LOG_INFO, "[alliance] %s started: Alliance is loaded\n", kPackage);
    return 0;
  } catch (const std::exception& error) {
    JANUS_LOG(LOG_ERR, "[alliance] not started: %s\n", error.what());
    return -1;
  } catch (...) {
    JANUS_LOG(LOG_ERR, "[alliance] not started: an unexpected failure\n");
    return -1;
  }
}

void plugin_destroy() {
  try {
    std::shared_ptr<AllianceHost> ending;
    {
      std::lock_guard lock(adapter_mutex);
      ending = std::move(adapter);
    }
    if (ending) ending->stop(std::chrono::milliseconds(5000));
    ending.reset();
    JANUS_LOG(LOG_INFO, "[alliance] %s stopped\n", kPackage);
  } catch (...) {
    JANUS_LOG(LOG_ERR, "[alliance] an unexpected failure while stopping\n");
  }
}

int plugin_api_compatibility() { return JANUS_PLUGIN_API_VERSION; }
int plugin_version() { return kVersion; }
const char* plugin_version_string() { return kVersionString; }
const char* plugin_description() {
  return "Alliance: the client's ORS and SRS in every video session (host adapter for liballiance.so)";
}
const char* plugin_name() { return "Alliance"; }
const char* plugin_author() { return "Alliance maintainers"; }
const char* plugin_package() { return kPackage; }

void plugin_create_session(janus_plugin_session* handle, int* error) {
  try {
    if (handles == nullptr || current_adapter() == nullptr) {
      *error = -1;
      return;
    }
    handle->plugin_handle = reinterpret_cast<void*>(static_cast<std::uintptr_t>(handles->add(handle)));
    *error = 0;
  } catch (...) {
    *error = -1;
  }
}

void plugin_destroy_session(janus_plugin_session* handle, int* error) {
  try {
    HandleKey key = key_of(handle);
    if (handles) handles->remove(key);
    if (auto host = current_adapter()) host->handle_destroyed(key);
    *error = 0;
  } catch (...) {
    *error = -1;
  }
}

json_t* error_content(const char* code, const char* reason) {
  json_t* content = json_object();
  json_object_set_new(content, "alliance", json_string("error"));
  json_object_set_new(content, "error", json_string(code));
  json_object_set_new(content, "reason", json_string(reason));
  return content;
}

// Reads a page's request; nullopt with `reason` set when it is not one this handle takes.
std::optional<PageRequest> read_request(json_t* message, const char*& reason) {
  if (!json_is_object(message)) {
    reason = "a request is a JSON object";
    return std::nullopt;
  }
  json_t* request = json_object_get(message, "request");
  if (!json_is_string(request)) {
    reason = "a request names its kind in \"request\"";
    return std::nullopt;
  }
  std::string_view kind(json_string_value(request), json_string_length(request));
  PageRequest read;
  if (kind == "register") {
    json_t* token = json_object_get(message, "token");
    if (!json_is_string(token) || json_string_length(token) > janus_host::kMaximumTokenBytes) {
      reason = "register carries the participant's token as text";
      return std::nullopt;
    }
    read.kind = PageRequest::Kind::register_token;
    read.token.assign(json_string_value(token), json_string_length(token));
    return read;
  }
  if (kind == "end_session") {
    read.kind = PageRequest::Kind::end_session;
    return read;
  }
  json_t* panel = json_object_get(message, "panel");
  if (kind == "panel_message" || kind == "panel_closed") {
    if (!json_is_integer(panel) || json_integer_value(panel) <= 0) {
      reason = "panel is the panel's number";
      return std::nullopt;
    }
    read.panel = static_cast<thp_panel_id>(json_integer_value(panel));
  }
  if (kind == "panel_message") {
    json_t* text = json_object_get(message, "text");
    if (!json_is_string(text) || json_string_length(text) > kMaximumPanelTextBytes) {
      reason = "text is the panel's message as text, at most 64 KiB";
      return std::nullopt;
    }
    read.kind = PageRequest::Kind::panel_message;
    read.text.assign(json_string_value(text), json_string_length(text));
    return read;
  }
  if (kind == "panel_closed") {
    const char* why = json_string_value(json_object_get(message, "reason"));
    if (why == nullptr || (std::strcmp(why, "submitted") != 0 && std::strcmp(why, "dismissed") != 0)) {
      reason = "reason is submitted or dismissed";
      return std::nullopt;
    }
    read.kind = PageRequest::Kind::panel_closed;
    read.reason = std::strcmp(why, "submitted") == 0 ? THP_PANEL_SUBMITTED : THP_PANEL_DISMISSED;
    return read;
  }
  reason = "request is register, panel_message, panel_closed or end_session";
  return std::nullopt;
}

janus_plugin_result* plugin_handle_message(janus_plugin_session* handle, char* transaction,
                                           json_t* message, json_t* jsep) {
  // Janus hands over the transaction, the message and the jsep: each is ours to free.
  std::unique_ptr<char, decltype(&g_free)> transaction_owner(transaction, &g_free);
  JsonPointer message_owner(message);
  JsonPointer jsep_owner(jsep);
  try {
    auto host = current_adapter();
    if (host == nullptr) {
      return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr,
                                     error_content("unavailable", "Alliance is not running"));
    }
    if (jsep != nullptr) {
      return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr,
                                     error_content("invalid_request", "this handle carries no media"));
    }
    const char* reason = nullptr;
    std::optional<PageRequest> request = read_request(message, reason);
    if (!request) {
      return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr, error_content("invalid_request", reason));
    }
    host->page_request(key_of(handle), transaction ? transaction : "", std::move(*request));
    json_t* ack = json_object();
    json_object_set_new(ack, "alliance", json_string("ack"));
    return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr, ack);
  } catch (...) {
    janus_log(THP_LOG_ERROR, "an unexpected failure while reading a page's request");
    return janus_plugin_result_new(JANUS_PLUGIN_OK, nullptr,
                                   error_content("unavailable", "the adapter failed to read the request"));
  }
}

// The Admin API's message_plugin: {"request": "hook_times"}.
json_t* plugin_handle_admin_message(json_t* message) {
  try {
    json_t* answer = json_object();
    const char* request = json_string_value(json_object_get(message, "request"));
    auto host = current_adapter();
    if (request == nullptr || std::strcmp(request, "hook_times") != 0 || host == nullptr) {
      json_object_set_new(answer, "error", json_string(host ? "request is hook_times" : "Alliance is not running"));
      return answer;
    }
    json_t* hooks = json_object();
    for (const auto& [name, summary] : host->hook_times()) {
      json_t* entry = json_object();
      json_object_set_new(entry, "count", json_integer(static_cast<json_int_t>(summary.count)));
      json_object_set_new(entry, "median_us", json_real(summary.wall.median_us));
      json_object_set_new(entry, "p99_us", json_real(summary.wall.p99_us));
      json_object_set_new(entry, "max_us", json_real(summary.wall.max_us));
      // The host thread's own CPU time in the call (hook_times.hpp).
      json_object_set_new(entry, "cpu_median_us", json_real(summary.cpu.median_us));
      json_object_set_new(entry, "cpu_p99_us", json_real(summary.cpu.p99_us));
      json_object_set_new(entry, "cpu_max_us", json_real(summary.cpu.max_us));
      json_object_set_new(hooks, name.c_str(), entry);
    }
    json_object_set_new(answer, "hooks", hooks);
    return answer;
  } catch (...) {
    return nullptr;
  }
}

void plugin_setup_media(janus_plugin_session*) {}
void plugin_hangup_media(janus_plugin_session*) {}
// The Alliance handle carries no media (a jsep is refused), so nothing ever arrives
// here; Janus wants the three, or warns that the plugin handles data channels only.
void plugin_incoming_rtp(janus_plugin_session*, janus_plugin_rtp*) {}
void plugin_incoming_rtcp(janus_plugin_session*, janus_plugin_rtcp*) {}
void plugin_incoming_data(janus_plugin_session*, janus_plugin_data*) {}

json_t* plugin_query_session(janus_plugin_session* handle) {
  json_t* info = json_object();
  json_object_set_new(info, "handle", json_integer(static_cast<json_int_t>(key_of(handle))));
  return info;
}

janus_plugin alliance_plugin = {
    .init = plugin_init,
    .destroy = plugin_destroy,
    .get_api_compatibility = plugin_api_compatibility,
    .get_version = plugin_version,
    .get_version_string = plugin_version_string,
    .get_description = plugin_description,
    .get_name = plugin_name,
    .get_author = plugin_author,
    .get_package = plugin_package,
    .create_session = plugin_create_session,
    .handle_message = plugin_handle_message,
    .handle_admin_message = plugin_handle_admin_message,
    .setup_media = plugin_setup_media,
    .incoming_rtp = plugin_incoming_rtp,
    .incoming_rtcp = plugin_incoming_rtcp,
    .incoming_data = plugin_incoming_data,
    .data_ready = nullptr,
    .slow_link = nullptr,
    .hangup_media = plugin_hangup_media,
    .destroy_session = plugin_destroy_session,
    .query_session = plugin_query_session,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) janus_plugin* create(void) { return &alliance_plugin; }

// Called by the event handler on Janus's events thread: read, queue, return.
extern "C" __attribute__((visibility("default"))) void alliance_janus_incoming_event(json_t* event) {
  try {
    auto host = current_adapter();
    if (host == nullptr) return;
    if (std::optional<janus_host::RoomEvent> room_event = janus_host::read_janus_event(event)) {
      host->room_event(std::move(*room_event));
    }
  } catch (...) {
    janus_log(THP_LOG_ERROR, "an unexpected failure while reading a Janus event");
  }
}
