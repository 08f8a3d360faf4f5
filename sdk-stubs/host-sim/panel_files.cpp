#include "panel_files.hpp"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace host_sim {

std::optional<std::string> save_panel_html(const std::string& directory, const HostState& state) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return "cannot create " + directory + ": " + error.message();
  for (const PanelRecord& panel : state.panels) {
    std::filesystem::path file =
        std::filesystem::path(directory) / ("panel-" + std::to_string(panel.panel_id) + ".html");
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << panel.html;
    out.flush();
    if (!out) return "cannot write " + file.string();
  }
  return std::nullopt;
}

}  // namespace host_sim
