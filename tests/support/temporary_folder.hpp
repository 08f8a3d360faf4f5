// A fresh folder under the system's temporary folder, removed with everything in it
// when the object goes.
#pragma once

#include <filesystem>
#include <string>

namespace alliance::testing {

class TemporaryFolder {
 public:
  TemporaryFolder();  // throws when no folder can be made
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // `name` inside the folder (nothing is made).
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace alliance::testing
