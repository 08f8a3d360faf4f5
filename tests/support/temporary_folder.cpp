#include "support/temporary_folder.hpp"

#include <stdlib.h>

#include <stdexcept>
#include <string>
#include <system_error>

namespace alliance::testing {

TemporaryFolder::TemporaryFolder() {
  // mkdtemp: a new folder, mode 0700, whose name no other test (or process) has.
  std::string pattern = (std::filesystem::temp_directory_path() / "alliance-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace alliance::testing
