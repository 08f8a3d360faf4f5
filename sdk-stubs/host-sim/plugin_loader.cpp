#include "plugin_loader.hpp"

#include "abi_names.hpp"
#include "plugin_manifest.hpp"

#include <dlfcn.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

namespace host_sim {
namespace {

constexpr std::size_t entry_error_capacity = 4096;

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

thp_str view(std::string_view text) { return {text.data(), text.size()}; }

// The hooks of plugin ABI 1.0, all required, so that the runner never calls NULL.
std::string first_missing_hook(const thp_plugin_api& api) {
  const std::array<std::pair<const char*, bool>, 7> hooks{{
      {"shutdown", api.shutdown != nullptr},
      {"session_started", api.session_started != nullptr},
      {"session_ended", api.session_ended != nullptr},
      {"participant_joined", api.participant_joined != nullptr},
      {"participant_left", api.participant_left != nullptr},
      {"panel_message", api.panel_message != nullptr},
      {"panel_closed", api.panel_closed != nullptr},
  }};
  for (const auto& [name, present] : hooks) {
    if (!present) return name;
  }
  return {};
}

LoadedPlugin refusal(std::string error) {
  LoadedPlugin result;
  result.error = std::move(error);
  return result;
}

}  // namespace

LoadedPlugin load_plugin(const std::string& path, const std::optional<std::string>& manifest_path,
                         const thp_host_api& host_api, std::string_view configuration,
                         std::string_view configuration_origin) {
  const std::string plugin = "plugin " + path;
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) return refusal(plugin + " does not exist");
  // The manifest is checked before dlopen: a library that fails it runs no code at all.
  if (std::optional<std::string> mismatch = verify_plugin_manifest_if_present(path, manifest_path)) {
    return refusal(std::move(*mismatch));
  }

  // dlopen searches the library path for names without a slash; a file path given on
  // the command line must be the file itself.
  std::string load_path = path.find('/') == std::string::npos ? "./" + path : path;
  void* library = dlopen(load_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    return refusal(plugin + " is not a loadable library: " +
                   (reason != nullptr ? reason : "dlopen failed"));
  }
  // From here on the library stays loaded for the life of the process (no dlclose).
  dlerror();
  void* symbol = dlsym(library, THP_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    return refusal(plugin + " does not export " THP_ENTRY_SYMBOL
                   "; it is not a telehealth plugin, or it was built without THP_EXPORT");
  }
  auto entry = reinterpret_cast<thp_plugin_entry_fn>(symbol);

  LoadedPlugin result;
  std::memset(&result.api, 0, sizeof result.api);
  result.api.struct_size = sizeof(thp_plugin_api);
  std::array<char, entry_error_capacity> error{};
  auto started = std::chrono::steady_clock::now();
  result.entry_status = entry(&host_api, view(configuration), view(configuration_origin),
                              &result.api, error.data(), error.size());
  result.entry_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  // The plugin should NUL-terminate, but the host does not read past its buffer if not.
  error.back() = '\0';
  std::string error_text(error.data(), strnlen(error.data(), error.size()));

  if (result.entry_status != THP_OK) {
    result.error = plugin + " refused to start (" + status_name(result.entry_status) +
                   "): " + (error_text.empty() ? "(it gave no reason)" : error_text);
    return result;
  }
  const std::string host_version = version_text(THP_ABI_MAJOR, THP_ABI_MINOR);
  const std::string plugin_version = version_text(result.api.abi_major, result.api.abi_minor);
  if (result.api.abi_major != THP_ABI_MAJOR) {
    result.error = plugin + " speaks plugin ABI " + plugin_version + " but this host speaks " +
                   host_version + "; rebuild the plugin against this SDK";
    return result;
  }
  if (!THP_HAS_MEMBER(&result.api, thp_plugin_api, panel_closed)) {
    result.error = plugin + " filled a hook table of " + std::to_string(result.api.struct_size) +
                   " bytes, smaller than the " + std::to_string(sizeof(thp_plugin_api)) +
                   " bytes of plugin ABI " + host_version + "; rebuild the plugin against this SDK";
    return result;
  }
  if (result.api.struct_size > sizeof(thp_plugin_api)) {
    result.error = plugin + " says it filled " + std::to_string(result.api.struct_size) +
                   " bytes of a hook table the host allocated with " +
                   std::to_string(sizeof(thp_plugin_api)) +
                   " bytes; a plugin may fill at most struct_size bytes";
    return result;
  }
  if (std::string missing = first_missing_hook(result.api); !missing.empty()) {
    result.error = plugin + " left its " + missing + " hook NULL; every hook of plugin ABI " +
                   host_version + " is required";
    return result;
  }
  result.loaded = true;
  result.abi_version = plugin_version;
  return result;
}

}  // namespace host_sim
