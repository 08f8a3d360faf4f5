// Test-only faults on the plugin's asynchronous paths. Tests that link the plugin's
// code (not the shipped library: nothing here is exported, and no configuration, host
// call or environment variable reaches it) arm a point to make its next passes throw,
// and then show that delivery recovers. Unarmed (always, in a host), a point costs
// one relaxed atomic load.
#pragma once

namespace alliance::fault_injection {

enum class Point {
  worker_job,      // delivery's job on the worker: record outcomes, then take more
  retry_timer,     // delivery's timer: look in the store for what is due
  https_callback,  // delivery's handling of a FHIR server's answer
  token_callback,  // delivery's handling of an access token (or of its absence)
};

// Throws std::runtime_error when `point` is armed (and counts the pass down).
void pass(Point point);

// For tests: the next `times` passes through `point` throw.
void arm(Point point, int times);
// For tests: passes still armed at `point` (0 once every armed throw happened).
int remaining(Point point);

}  // namespace alliance::fault_injection
