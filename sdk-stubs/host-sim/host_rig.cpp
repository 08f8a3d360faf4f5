#include "host_rig.hpp"

#include <iostream>

namespace host_sim {

HostRig::HostRig(const CommandLine& options, const RunInputs& inputs)
    : transcript(std::cout, clock),
      host(HostOptions{options.panel_calls, options.verbose, options.step_timeout}, clock, transcript, watchdog),
      plugin(load_plugin(options.plugin_path, options.manifest_path, *host.api(), inputs.configuration,
                         options.config_path)) {}

}  // namespace host_sim
