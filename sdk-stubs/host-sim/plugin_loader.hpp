#pragma once

// Loads a plugin library and negotiates the ABI through its entry point. The library
// is never unloaded: a plugin's threads or tasks may still point into its code.

#include <telehealth/plugin_abi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace host_sim {

struct LoadedPlugin {
  bool loaded = false;
  thp_plugin_api api{};       // valid when loaded
  std::string abi_version;    // "1.0", as the plugin declared it, when loaded
  std::int64_t entry_micros = 0;
  thp_status entry_status = THP_OK;
  std::string error;          // why not, in one sentence, when not loaded
};

// Checks the library against its manifest first (plugin_manifest.hpp: `manifest_path`
// when given, else the one next to the library if there is one), then calls the entry
// with `configuration` (the plugin's config file text) and its path. When `loaded` is
// false no hook of the plugin may be called, shutdown included.
LoadedPlugin load_plugin(const std::string& path, const std::optional<std::string>& manifest_path,
                         const thp_host_api& host_api, std::string_view configuration,
                         std::string_view configuration_origin);

}  // namespace host_sim
