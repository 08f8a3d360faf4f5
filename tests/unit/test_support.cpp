#include "test_support.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace alliance::testing {

const MeasureLibrary& shipped_measures() {
  static const MeasureLibrary library = [] {
    std::vector<std::string> problems;
    auto loaded = load_measure_library(ALLIANCE_QUESTIONNAIRE_DIR, problems);
    if (!loaded) throw std::runtime_error("the shipped measures do not load");
    return *loaded;
  }();
  return library;
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

std::string seal_as_release_0_1(const std::filesystem::path& key_file, const std::string& plaintext,
                                const std::string& row_id) {
  std::ifstream input(key_file, std::ios::binary);
  std::string text;
  std::getline(input, text);
  REQUIRE(text.size() == 44);
  unsigned char key[64] = {};
  REQUIRE(EVP_DecodeBlock(key, reinterpret_cast<const unsigned char*>(text.data()), 44) == 33);
  std::string sealed(12 + plaintext.size() + 16, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  REQUIRE(RAND_bytes(out, 12) == 1);
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  int length = 0;
  const bool ok =
      EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nullptr, key, out) == 1 &&
      EVP_EncryptUpdate(context, nullptr, &length, reinterpret_cast<const unsigned char*>(row_id.data()),
                        static_cast<int>(row_id.size())) == 1 &&
      EVP_EncryptUpdate(context, out + 12, &length, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(context, out + 12 + length, &length) == 1 &&
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + plaintext.size()) == 1;
  EVP_CIPHER_CTX_free(context);
  REQUIRE(ok);
  return sealed;
}

std::string database_file_bytes(const std::filesystem::path& database) {
  std::string bytes;
  for (const std::filesystem::path& file : {database, std::filesystem::path(database.string() + "-wal")}) {
    std::ifstream input(file, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>());
  }
  return bytes;
}

}  // namespace alliance::testing
