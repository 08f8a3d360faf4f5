// Helpers shared by the unit tests: temporary folders and the shipped measures.
#pragma once

#include <filesystem>
#include <string>

#include "measure_library.hpp"

namespace alliance::testing {

// A fresh folder under the system temp folder, removed when the object goes.
class TemporaryFolder {
 public:
  TemporaryFolder();
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The ORS and SRS shipped in fhir/questionnaires.
const MeasureLibrary& shipped_measures();

void write_file(const std::filesystem::path& path, const std::string& text);

// A fresh store key file (32 random bytes, base64, mode 0600) in `folder`.
std::filesystem::path write_key_file(const std::filesystem::path& folder, const std::string& name = "store.key");

}  // namespace alliance::testing
