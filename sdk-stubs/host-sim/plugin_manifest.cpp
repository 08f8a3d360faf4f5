#include "plugin_manifest.hpp"

#include "text_file.hpp"

#include <telehealth/plugin_abi.h>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>
#include <system_error>

namespace host_sim {
namespace {

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// The SHA-256 of a file's bytes as lowercase hex, or nothing when it cannot be read.
std::optional<std::string> file_sha256(const std::filesystem::path& file) {
  std::ifstream input(file, std::ios::binary);
  if (!input) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  std::array<char, 65536> buffer{};
  while (input) {
    input.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize count = input.gcount();
    if (count > 0 &&
        EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(count)) != 1) {
      return std::nullopt;
    }
  }
  if (input.bad()) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) return std::nullopt;
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned int index = 0; index < length; ++index) {
    text += digits[digest[index] >> 4];
    text += digits[digest[index] & 0x0f];
  }
  return text;
}

const nlohmann::json* member(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

bool is_text(const nlohmann::json* value) { return value != nullptr && value->is_string(); }

}  // namespace

std::filesystem::path default_manifest_path(const std::filesystem::path& plugin) {
  std::string name = plugin.filename().string();
  if (name.starts_with("lib")) name.erase(0, 3);
  if (name.ends_with(".so")) name.erase(name.size() - 3);
  return plugin.parent_path() / (name + ".manifest.json");
}

std::optional<std::string> verify_plugin_manifest(const std::filesystem::path& plugin,
                                                  const std::filesystem::path& manifest) {
  const std::string subject = "plugin " + plugin.string() + " does not match its manifest " +
                              manifest.string() + ": ";
  TextFile file = read_text_file(manifest.string());
  if (!file.text) return "cannot read the manifest " + manifest.string() + ": " + file.error;
  nlohmann::json document = nlohmann::json::parse(*file.text, nullptr, false);
  if (!document.is_object()) {
    return "the manifest " + manifest.string() + " is not a JSON object";
  }
  for (const char* key : {"plugin_id", "name", "version", "entry_symbol", "library", "sha256"}) {
    if (!is_text(member(document, key))) {
      return "the manifest " + manifest.string() + " has no text \"" + key + "\"";
    }
  }
  const nlohmann::json* abi = member(document, "abi");
  const nlohmann::json* major = abi != nullptr && abi->is_object() ? member(*abi, "major") : nullptr;
  const nlohmann::json* minor = abi != nullptr && abi->is_object() ? member(*abi, "minor") : nullptr;
  if (major == nullptr || !major->is_number_unsigned() || minor == nullptr ||
      !minor->is_number_unsigned()) {
    return "the manifest " + manifest.string() +
           " has no \"abi\" with whole numbers \"major\" and \"minor\"";
  }

  const std::string library = document["library"].get<std::string>();
  if (library != plugin.filename().string()) {
    return subject + "it describes " + library + ", not " + plugin.filename().string();
  }
  const std::string entry_symbol = document["entry_symbol"].get<std::string>();
  if (entry_symbol != THP_ENTRY_SYMBOL) {
    return subject + "its entry symbol is " + entry_symbol + " but this host calls " +
           THP_ENTRY_SYMBOL;
  }
  const auto manifest_major = major->get<std::uint64_t>();
  if (manifest_major != THP_ABI_MAJOR) {
    return subject + "it was built for plugin ABI " + std::to_string(manifest_major) + "." +
           std::to_string(minor->get<std::uint64_t>()) + " but this host speaks " +
           std::to_string(THP_ABI_MAJOR) + "." + std::to_string(THP_ABI_MINOR) +
           "; install a build for this host";
  }
  std::optional<std::string> actual = file_sha256(plugin);
  if (!actual) return subject + "the library cannot be read";
  const std::string expected = document["sha256"].get<std::string>();
  if (*actual != expected) {
    return subject + "its SHA-256 is " + *actual + " but the manifest says " + expected +
           "; the library was changed after it was built, reinstall the package";
  }
  return std::nullopt;
}

std::optional<std::string> verify_plugin_manifest_if_present(
    const std::filesystem::path& plugin, const std::optional<std::string>& named_manifest) {
  if (named_manifest) return verify_plugin_manifest(plugin, *named_manifest);
  std::filesystem::path manifest = default_manifest_path(plugin);
  std::error_code ignored;
  if (!std::filesystem::exists(manifest, ignored)) return std::nullopt;
  return verify_plugin_manifest(plugin, manifest);
}

}  // namespace host_sim
