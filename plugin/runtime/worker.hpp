// The plugin's own thread. Host hooks post work here and return at once; disk and
// network work happen here, never on the host's thread. Work runs in the order it was
// posted. Asio stays inside worker.cpp (compiled separately).
//
// How it sleeps, and why (hook_latency idle, docs/figures.md): with nothing to do and
// no network exchange outstanding, the thread waits on a condition variable, so a
// hook that posts to an idle plugin costs what a bare mutex-and-condition-variable
// hand-off costs. Only while the FHIR client has work outstanding (a request, a
// kept-alive connection's idle timer, a name lookup) does it sleep in the
// io_context's epoll, and a post then wakes it through Asio, which costs the host's
// thread about twice as much. Timers (post_after) are the worker's own, not Asio's,
// so that a timer armed for later does not keep the thread in epoll. Network work
// posted from another thread (the FHIR client's send() called by alliancectl, a name
// lookup's answer) wakes it through fhir/client/io_context_wake.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace alliance {

class Worker {
 public:
  // Names a timer for cancel(); 0 names none.
  using TimerId = std::uint64_t;

  Worker();
  ~Worker();  // stops (without waiting for queued work) and joins
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `work`. Returns false once stopping has begun (the work is dropped).
  // Any thread. Never blocks on the work itself.
  bool post(std::function<void()> work);
  // Queues `work` to run once `delay` has passed, after the work posted before it is
  // due. Returns the timer's id, or 0 once stopping has begun (the work is dropped; a
  // timer still waiting when the worker stops never runs). Any thread.
  TimerId post_after(std::chrono::milliseconds delay, std::function<void()> work);
  // The timer's work will not run (if it has not started). Any thread; an id already
  // run, cancelled or 0 is ignored.
  void cancel(TimerId timer);

  // Stops accepting work, runs what is queued for at most `timeout`, then stops the
  // thread. Returns true when everything queued ran. Call from outside the worker.
  bool drain_and_stop(std::chrono::milliseconds timeout);

  bool on_worker_thread() const;

  // Where a throw that escaped a job goes (the thread goes on with the next job): the
  // plugin logs it. Jobs are meant to handle their own (Plugin::post, Delivery); this
  // is the last line, so that not even a forgotten one is silent. Any thread.
  void report_failures_to(std::function<void(std::string_view description)> reporter);

  // For the Asio-based parts of the plugin (the FHIR client): a type-erased pointer to
  // the worker's boost::asio::io_context, whose handlers run on the worker thread. Only
  // worker.cpp and network code use it. Work posted to it from another thread must be
  // followed by fhir::wake_io_context_owner (the FHIR client and token source do so).
  void* io_context_handle();

 private:
  struct Implementation;
  std::unique_ptr<Implementation> implementation_;
};

}  // namespace alliance
