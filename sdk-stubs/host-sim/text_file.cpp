#include "text_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace host_sim {

TextFile read_text_file(const std::string& path) {
  TextFile result;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    result.error = "it is a directory";
    return result;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.error = std::strerror(errno);
    return result;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    result.error = "read failed";
    return result;
  }
  result.text = contents.str();
  return result;
}

}  // namespace host_sim
