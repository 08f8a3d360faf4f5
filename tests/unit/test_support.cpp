#include "test_support.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace alliance::testing {

TemporaryFolder::TemporaryFolder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "alliance-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

const MeasureLibrary& shipped_measures() {
  static const MeasureLibrary library = [] {
    std::vector<std::string> problems;
    auto loaded = load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems);
    if (!loaded) throw std::runtime_error("the shipped measures do not load");
    return *loaded;
  }();
  return library;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  REQUIRE(file.good());
}

std::filesystem::path write_key_file(const std::filesystem::path& folder, const std::string& name) {
  unsigned char key[32];
  REQUIRE(RAND_bytes(key, sizeof key) == 1);
  unsigned char encoded[64] = {};
  EVP_EncodeBlock(encoded, key, sizeof key);
  const auto path = folder / name;
  write_file(path, std::string(reinterpret_cast<const char*>(encoded)) + "\n");
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace alliance::testing
