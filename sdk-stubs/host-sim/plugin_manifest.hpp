#pragma once

// A plugin's manifest: a JSON file installed next to the library that names it, its
// entry symbol, the plugin ABI it was built for and the SHA-256 of its bytes. The
// host checks it before dlopen, so that a changed, damaged or mismatched library is
// refused before any of its code runs (Grafana's plugin.json and Vulkan's layer
// manifests work the same way).
//
//   {"plugin_id": "org.alliance-plugin.alliance", "name": "Alliance", "version": "0.1.0",
//    "abi": {"major": 1, "minor": 1}, "entry_symbol": "thp_plugin_entry",
//    "library": "liballiance.so", "sha256": "<64 lowercase hex digits>"}

#include <filesystem>
#include <optional>
#include <string>

namespace host_sim {

// Where the manifest of `plugin` is looked for when none is named: in the library's
// folder, the library's name without "lib" and ".so" plus ".manifest.json"
// (liballiance.so: alliance.manifest.json).
std::filesystem::path default_manifest_path(const std::filesystem::path& plugin);

// Checks `plugin` against `manifest`: the library's file name, its SHA-256, the ABI
// major (must equal this host's; a newer minor is still loaded, because the loader
// checks the hook table's struct_size) and the entry symbol. Returns why the plugin is
// refused, in one sentence, or nothing when it passes.
std::optional<std::string> verify_plugin_manifest(const std::filesystem::path& plugin,
                                                  const std::filesystem::path& manifest);

// host-sim's rule: the manifest named on the command line must exist and match; with
// none named, the default one is checked when it exists, and a plugin without one is
// loaded unchecked (as the build tree's test fixtures are).
std::optional<std::string> verify_plugin_manifest_if_present(
    const std::filesystem::path& plugin, const std::optional<std::string>& named_manifest);

}  // namespace host_sim
