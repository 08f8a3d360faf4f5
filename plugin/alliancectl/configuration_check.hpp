// Reading and checking the plugin's configuration file the way the plugin does at
// start, so that IT sees every problem before restarting the host.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <vector>

#include "configuration/configuration.hpp"

namespace alliance::control {

struct ConfigurationCheck {
  std::optional<Configuration> configuration;  // set when the file parsed
  std::vector<ConfigurationProblem> problems;  // empty: everything checked is usable
};

// Reads and parses the file (a file that cannot be read is the problem "config").
ConfigurationCheck read_configuration(const std::filesystem::path& file);

// read_configuration, then what the plugin loads at start: the measure library (the
// enabled measures in the default language), the store's keys, the ETR table, and the
// FHIR client's certificate files and SMART key. Nothing is connected or written.
ConfigurationCheck check_configuration(const std::filesystem::path& file);

// What a valid configuration will do, in a few lines for IT: the measures, the store,
// and where results go (or that they go nowhere yet).
void describe_setup(const Configuration& configuration, std::ostream& out);

}  // namespace alliance::control
