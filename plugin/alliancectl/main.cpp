// alliancectl: the command line for clinic IT. See command_line.cpp for the commands.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "alliancectl/command_line.hpp"
#include "alliancectl/configuration_check.hpp"
#include "alliancectl/connection_test.hpp"
#include "alliancectl/public_keys.hpp"
#include "alliancectl/store_commands.hpp"
#include "alliancectl/terminal_text.hpp"

namespace {

using namespace alliance::control;

void print_problems(const std::vector<alliance::ConfigurationProblem>& problems) {
  // A reason may quote the file (a path, a value, a server's words): shown, not obeyed.
  for (const auto& problem : problems) {
    std::cout << terminal_text(problem.key) << ": " << terminal_text(problem.reason) << "\n";
  }
}

int run(const CommandLine& line) {
  if (line.command == "check-config") {
    const ConfigurationCheck check = check_configuration(line.configuration_file);
    if (!check.problems.empty()) {
      print_problems(check.problems);
      std::cout << "configuration has " << check.problems.size() << " problem"
                << (check.problems.size() == 1 ? "" : "s") << ": " << terminal_text(line.configuration_file.string())
                << "\n";
      return 1;
    }
    std::cout << "configuration is valid: " << terminal_text(line.configuration_file.string()) << "\n";
    describe_setup(*check.configuration, std::cout);
    return 0;
  }
  // The other commands need a configuration that parses.
  const ConfigurationCheck check = read_configuration(line.configuration_file);
  if (!check.configuration) {
    print_problems(check.problems);
    std::cout << "the configuration is not valid (alliancectl check-config "
              << terminal_text(line.configuration_file.string())
              << " says more)\n";
    return 1;
  }
  if (line.command == "status") {
    return show_status(*check.configuration, line.limit, line.pending_limit_minutes, std::cout, std::cout);
  }
  if (line.command == "show") {
    return show_administration(*check.configuration, line.administration_id, std::cout, std::cout);
  }
  if (line.command == "retry") return retry_failed(*check.configuration, std::cout, std::cout);
  if (line.command == "purge") return purge_expired(*check.configuration, std::cout, std::cout);
  if (line.command == "test-connection") {
    if (!check.configuration->fhir) {
      std::cout << "fhir: not configured: the plugin sends nothing, so there is no connection to test\n";
      return 1;
    }
    return test_connection(*check.configuration->fhir, std::cout);
  }
  if (line.command == "jwks") return print_public_key_set(*check.configuration, std::cout);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const CommandLine line = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  if (line.command == "help") {
    std::cout << help_text();
    return 0;
  }
  if (!line.error.empty()) {
    std::cerr << "alliancectl: " << terminal_text(line.error) << "\n\n" << help_text();
    return 2;
  }
  try {
    return run(line);
  } catch (const std::exception& failure) {
    std::cout << "alliancectl: " << terminal_text(failure.what()) << "\n";
    return 1;
  }
}
