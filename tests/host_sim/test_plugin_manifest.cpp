// host-sim checks a plugin against its manifest before dlopen, and refuses, with exit
// status 3 and a message that says why, a library that does not match it.
#include "host_sim_process.hpp"
#include "support/files.hpp"
#include "plugin_manifest.hpp"

#include <telehealth/plugin_abi.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace host_sim_test;

namespace {

using alliance::testing::read_file;

std::string sha256_hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned int index = 0; index < length; ++index) {
    text += digits[digest[index] >> 4];
    text += digits[digest[index] & 0x0f];
  }
  return text;
}

// A folder holding a copy of the echo fixture as libecho.so and a manifest for it,
// which `change` may alter before it is written.
struct PluginFolder {
  std::filesystem::path library;
  std::filesystem::path manifest;
};

template <typename Change>
PluginFolder echo_plugin_with_manifest(Change change) {
  std::filesystem::path folder = output_path("plugin");
  std::filesystem::create_directories(folder);
  PluginFolder result{folder / "libecho.so", folder / "echo.manifest.json"};
  std::filesystem::copy_file(FIXTURE_PLUGIN_ECHO, result.library);
  nlohmann::json manifest = {{"plugin_id", "org.example.echo"},
                             {"name", "Echo"},
                             {"version", "1.0.0"},
                             {"abi", {{"major", THP_ABI_MAJOR}, {"minor", THP_ABI_MINOR}}},
                             {"entry_symbol", "thp_plugin_entry"},
                             {"library", "libecho.so"},
                             {"sha256", sha256_hex(read_file(result.library))}};
  change(manifest);
  std::ofstream(result.manifest) << manifest.dump(2);
  return result;
}

PluginFolder echo_plugin_with_manifest() {
  return echo_plugin_with_manifest([](nlohmann::json&) {});
}

void change_one_byte(const std::filesystem::path& library) {
  std::string bytes = read_file(library);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  std::ofstream(library, std::ios::binary | std::ios::trunc) << bytes;
}

HostSimRun run_library(const std::filesystem::path& library, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> arguments{"--plugin", library.string(), "--config",
                                     fixture_path("echo_config.json").string(), "--scenario",
                                     fixture_path("scenario_echo.json").string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return run_host_sim(arguments);
}

}  // namespace

TEST_SUITE("host_sim") {
  TEST_CASE("a plugin that matches its named manifest is loaded") {
    PluginFolder plugin = echo_plugin_with_manifest();
    HostSimRun run = run_library(plugin.library, {"--manifest", plugin.manifest.string()});
    CHECK(run.exit_status == 0);
    CHECK(run.standard_error.find("manifest") == std::string::npos);
  }

  TEST_CASE("a library with one byte changed is refused before it is loaded") {
    PluginFolder plugin = echo_plugin_with_manifest();
    change_one_byte(plugin.library);
    HostSimRun run = run_library(plugin.library, {"--manifest", plugin.manifest.string()});
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("does not match its manifest") != std::string::npos);
    CHECK(run.standard_error.find("reinstall the package") != std::string::npos);
    CHECK(run.standard_output.find("hook called") == std::string::npos);
  }

  TEST_CASE("the manifest next to the library is checked without --manifest") {
    PluginFolder plugin = echo_plugin_with_manifest();
    change_one_byte(plugin.library);
    HostSimRun run = run_library(plugin.library);
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("echo.manifest.json: its SHA-256 is") != std::string::npos);
  }

  TEST_CASE("a manifest for another ABI major is refused") {
    PluginFolder plugin = echo_plugin_with_manifest(
        [](nlohmann::json& manifest) { manifest["abi"]["major"] = THP_ABI_MAJOR + 1; });
    HostSimRun run = run_library(plugin.library, {"--manifest", plugin.manifest.string()});
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("it was built for plugin ABI 2.") != std::string::npos);
  }

  TEST_CASE("a manifest naming another entry symbol is refused") {
    PluginFolder plugin = echo_plugin_with_manifest(
        [](nlohmann::json& manifest) { manifest["entry_symbol"] = "other_entry"; });
    HostSimRun run = run_library(plugin.library, {"--manifest", plugin.manifest.string()});
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("its entry symbol is other_entry") != std::string::npos);
  }

  TEST_CASE("a manifest for another library is refused") {
    PluginFolder plugin = echo_plugin_with_manifest(
        [](nlohmann::json& manifest) { manifest["library"] = "libother.so"; });
    HostSimRun run = run_library(plugin.library, {"--manifest", plugin.manifest.string()});
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("it describes libother.so, not libecho.so") != std::string::npos);
  }

  TEST_CASE("a named manifest that cannot be read is refused") {
    PluginFolder plugin = echo_plugin_with_manifest();
    HostSimRun run =
        run_library(plugin.library, {"--manifest", output_path("no-such.manifest.json").string()});
    CHECK(run.exit_status == 3);
    CHECK(run.standard_error.find("cannot read the manifest") != std::string::npos);
  }

  TEST_CASE("the build writes a manifest that matches the built plugin") {
    const std::filesystem::path library = ALLIANCE_PLUGIN_PATH;
    const std::filesystem::path manifest = host_sim::default_manifest_path(library);
    CHECK(manifest.filename() == "alliance.manifest.json");
    REQUIRE(std::filesystem::exists(manifest));
    CHECK_FALSE(host_sim::verify_plugin_manifest(library, manifest).has_value());
    nlohmann::json document = read_json(manifest);
    CHECK(document["plugin_id"] == "org.alliance-plugin.alliance");
    CHECK(document["abi"]["major"] == THP_ABI_MAJOR);
    CHECK(document["abi"]["minor"] == THP_ABI_MINOR);
  }
}
