// The plugin's own thread. Host hooks post work here and return at once; disk and
// (later) network work happen here, never on the host's thread. Work runs in the order
// it was posted. Asio stays inside worker.cpp (compiled separately).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

namespace alliance {

class Worker {
 public:
  Worker();
  ~Worker();  // stops (without waiting for queued work) and joins
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `work`. Returns false once stopping has begun (the work is dropped).
  // Any thread. Never blocks on the work itself.
  bool post(std::function<void()> work);
  // Queues `work` to run after `delay` (dropped if the worker stops first). Any thread.
  bool post_after(std::chrono::milliseconds delay, std::function<void()> work);

  // Stops accepting work, runs what is queued for at most `timeout`, then stops the
  // thread. Returns true when everything queued ran. Call from outside the worker.
  bool drain_and_stop(std::chrono::milliseconds timeout);

  bool on_worker_thread() const;

  // Where a throw that escaped a job goes (the thread goes on with the next job): the
  // plugin logs it. Jobs are meant to handle their own (Plugin::post, Delivery); this
  // is the last line, so that not even a forgotten one is silent. Any thread.
  void report_failures_to(std::function<void(std::string_view description)> reporter);

  // For the Asio-based parts of the plugin (the FHIR client): a type-erased pointer to
  // the worker's boost::asio::io_context. Only worker.cpp and network code use it.
  void* io_context_handle();

 private:
  struct Implementation;
  std::unique_ptr<Implementation> implementation_;
};

}  // namespace alliance
