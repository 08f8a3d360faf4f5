#include "support/files.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace alliance::testing {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream bytes;
  bytes << stream.rdbuf();
  return bytes.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream << bytes;
  if (!stream) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace alliance::testing
