#pragma once

#include <optional>
#include <string>

namespace host_sim {

struct TextFile {
  std::optional<std::string> text;  // the whole file, when it could be read
  std::string error;                // why not, otherwise
};

TextFile read_text_file(const std::string& path);

}  // namespace host_sim
