// The adapter's host thread (sdk-stubs/janus-host/host_thread.hpp): tasks in order, one
// at a time, and every task is called exactly once, run or cancelled.
#include <doctest/doctest.h>

#include "host_thread.hpp"

#include <atomic>
#include <future>
#include <vector>

using janus_host::HostThread;

TEST_CASE("tasks run on the host thread in the order posted") {
  HostThread thread;
  std::vector<int> order;
  std::promise<void> done;
  for (int index = 0; index < 100; ++index) {
    thread.post([&, index](bool run) {
      CHECK(run);
      CHECK(thread.on_host_thread());
      order.push_back(index);
      if (index == 99) done.set_value();
    });
  }
  done.get_future().wait();
  REQUIRE(order.size() == 100);
  for (int index = 0; index < 100; ++index) CHECK(order[static_cast<std::size_t>(index)] == index);
  CHECK_FALSE(thread.on_host_thread());
}

TEST_CASE("stopping runs what was queued, then the last task; timers not due are cancelled") {
  std::atomic<int> ran{0};
  std::atomic<int> cancelled{0};
  std::atomic<bool> last_ran{false};
  {
    HostThread thread;
    for (int index = 0; index < 10; ++index) {
      thread.post([&](bool run) { (run ? ran : cancelled)++; });
    }
    thread.post_at(HostThread::Clock::now() + std::chrono::hours(1), [&](bool run) { (run ? ran : cancelled)++; });
    thread.stop([&] {
      CHECK(ran.load() == 10);
      last_ran = true;
    });
    CHECK_FALSE(thread.post([](bool) {}));
  }
  CHECK(last_ran);
  CHECK(ran == 10);
  CHECK(cancelled == 1);
}

TEST_CASE("a timer runs when it is due") {
  HostThread thread;
  std::promise<HostThread::Clock::time_point> fired;
  auto due = HostThread::Clock::now() + std::chrono::milliseconds(30);
  thread.post_at(due, [&](bool run) {
    if (run) fired.set_value(HostThread::Clock::now());
  });
  CHECK(fired.get_future().get() >= due);
}
