// Whole files as bytes, for tests.
#pragma once

#include <filesystem>
#include <string>

namespace alliance::testing {

// Every byte of `path`; throws when it cannot be opened.
std::string read_file(const std::filesystem::path& path);

// Replaces `path` with `bytes`; throws when it cannot be written.
void write_file(const std::filesystem::path& path, const std::string& bytes);

}  // namespace alliance::testing
