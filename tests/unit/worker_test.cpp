#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/io_context_wake.hpp"
#include "runtime/worker.hpp"

using alliance::Worker;
using namespace std::chrono_literals;

TEST_SUITE("worker") {
  TEST_CASE("work runs on the worker thread in the order it was posted") {
    Worker worker;
    std::vector<int> order;
    std::atomic<bool> on_worker{true};
    for (int index = 0; index < 100; ++index) {
      worker.post([&, index] {
        order.push_back(index);
        on_worker = on_worker && worker.on_worker_thread();
      });
    }
    CHECK(worker.drain_and_stop(5s));
    REQUIRE(order.size() == 100);
    for (int index = 0; index < 100; ++index) CHECK(order[index] == index);
    CHECK(on_worker);
    CHECK_FALSE(worker.on_worker_thread());
  }

  TEST_CASE("draining gives up after its timeout and drops what is still queued") {
    Worker worker;
    std::atomic<int> ran{0};
    worker.post([] { std::this_thread::sleep_for(300ms); });
    for (int index = 0; index < 10; ++index) worker.post([&] { ++ran; });
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(worker.drain_and_stop(50ms));
    // It waits for the job in progress (jobs are short and bounded), not for the queue.
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    CHECK(ran == 0);
  }

  TEST_CASE("work posted from other threads while the worker sleeps or runs always runs in order per thread") {
    // The worker's wake-up (its condition variable) must lose no post that lands
    // between the loop finding its queue empty and the next wait: pauses of different
    // lengths land posts before, during and after the worker goes back to sleep.
    Worker worker;
    constexpr int kPosts = 3000;
    std::vector<int> seen_by_thread[2];
    std::atomic<bool> order_kept{true};
    const auto producer = [&](int which) {
      for (int index = 0; index < kPosts; ++index) {
        auto ran = std::make_shared<std::promise<void>>();
        std::future<void> done = ran->get_future();
        worker.post([&, which, index, ran] {
          if (!seen_by_thread[which].empty() && seen_by_thread[which].back() != index - 1) order_kept = false;
          seen_by_thread[which].push_back(index);
          ran->set_value();
        });
        if (index % 3 == 0) {
          // Wait for it: the next post finds the worker asleep, or about to be.
          if (done.wait_for(2s) != std::future_status::ready) {
            order_kept = false;
            return;
          }
          std::this_thread::sleep_for(std::chrono::microseconds(index % 7 * 20));
        }
      }
    };
    std::thread other(producer, 1);
    producer(0);
    other.join();
    CHECK(worker.drain_and_stop(5s));
    CHECK(order_kept);
    CHECK(seen_by_thread[0].size() == static_cast<size_t>(kPosts));
    CHECK(seen_by_thread[1].size() == static_cast<size_t>(kPosts));
  }

  TEST_CASE("timers run once their delay has passed, in the order they fall due; a cancelled one never runs") {
    Worker worker;
    std::mutex mutex;
    std::vector<std::pair<int, std::chrono::steady_clock::duration>> ran;
    const auto started = std::chrono::steady_clock::now();
    const auto record = [&](int which) {
      return [&, which] {
        const std::lock_guard lock(mutex);
        ran.emplace_back(which, std::chrono::steady_clock::now() - started);
      };
    };
    worker.post_after(150ms, record(3));
    worker.post_after(50ms, record(1));
    const Worker::TimerId cancelled = worker.post_after(100ms, record(99));
    worker.post_after(100ms, record(2));
    CHECK(cancelled != 0);
    worker.cancel(cancelled);
    worker.cancel(cancelled);  // twice: ignored
    worker.cancel(0);          // none: ignored
    std::this_thread::sleep_for(400ms);
    CHECK(worker.drain_and_stop(5s));
    REQUIRE(ran.size() == 3);
    CHECK(ran[0].first == 1);
    CHECK(ran[1].first == 2);
    CHECK(ran[2].first == 3);
    CHECK(ran[0].second >= 50ms);
    CHECK(ran[1].second >= 100ms);
    CHECK(ran[2].second >= 150ms);
    CHECK(worker.post_after(1ms, [] {}) == 0);  // stopped
  }

  TEST_CASE("a timer still waiting when the worker stops never runs") {
    std::atomic<bool> ran{false};
    {
      Worker worker;
      worker.post_after(200ms, [&] { ran = true; });
      CHECK(worker.drain_and_stop(5s));
    }
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(ran);
  }

  TEST_CASE("while network work is outstanding, posts, timers and network completions all still run") {
    // An Asio timer armed for a minute keeps the io_context busy, so the worker sleeps
    // in its epoll rather than on the condition variable: posts must interrupt it there.
    Worker worker;
    auto& io_context = *static_cast<boost::asio::io_context*>(worker.io_context_handle());
    std::optional<boost::asio::steady_timer> long_wait, short_wait;
    std::promise<void> long_wait_cancelled, short_wait_fired;
    worker.post([&] {
      long_wait.emplace(io_context, std::chrono::minutes(1));
      long_wait->async_wait([&](const boost::system::error_code& error) {
        if (error == boost::asio::error::operation_aborted) long_wait_cancelled.set_value();
      });
      short_wait.emplace(io_context, 50ms);
      short_wait->async_wait([&](const boost::system::error_code& error) {
        if (!error) short_wait_fired.set_value();
      });
    });
    CHECK(short_wait_fired.get_future().wait_for(5s) == std::future_status::ready);

    for (int index = 0; index < 200; ++index) {
      std::promise<void> ran;
      worker.post([&] { ran.set_value(); });
      REQUIRE(ran.get_future().wait_for(2s) == std::future_status::ready);
      std::this_thread::sleep_for(std::chrono::microseconds(index % 5 * 100));
    }
    std::promise<void> timer_ran;
    const auto armed = std::chrono::steady_clock::now();
    worker.post_after(30ms, [&] { timer_ran.set_value(); });
    REQUIRE(timer_ran.get_future().wait_for(5s) == std::future_status::ready);
    CHECK(std::chrono::steady_clock::now() - armed >= 30ms);

    // Back to idle: the long wait cancelled, the worker sleeps on its condition again.
    worker.post([&] { long_wait->cancel(); });
    CHECK(long_wait_cancelled.get_future().wait_for(5s) == std::future_status::ready);
    std::promise<void> after_idle;
    worker.post([&] { after_idle.set_value(); });
    CHECK(after_idle.get_future().wait_for(2s) == std::future_status::ready);
    CHECK(worker.drain_and_stop(5s));
  }

  TEST_CASE("network work posted from another thread wakes the idle worker") {
    // What the FHIR client's send() does when alliancectl calls it from its main thread.
    Worker worker;
    auto& io_context = *static_cast<boost::asio::io_context*>(worker.io_context_handle());
    for (int index = 0; index < 50; ++index) {
      std::this_thread::sleep_for(std::chrono::milliseconds(index % 3 * 5));  // idle again
      std::promise<void> ran;
      boost::asio::post(io_context, [&] { ran.set_value(); });
      alliance::fhir::wake_io_context_owner(&io_context);
      REQUIRE(ran.get_future().wait_for(2s) == std::future_status::ready);
    }
    CHECK(worker.drain_and_stop(5s));
  }

  TEST_CASE("stopping does not wait for network work that is outstanding") {
    Worker worker;
    auto& io_context = *static_cast<boost::asio::io_context*>(worker.io_context_handle());
    std::optional<boost::asio::steady_timer> long_wait;
    std::promise<void> armed;
    worker.post([&] {
      long_wait.emplace(io_context, std::chrono::minutes(1));
      long_wait->async_wait([](const boost::system::error_code&) {});
      armed.set_value();
    });
    REQUIRE(armed.get_future().wait_for(5s) == std::future_status::ready);
    std::this_thread::sleep_for(20ms);  // the worker is back in epoll
    const auto started = std::chrono::steady_clock::now();
    CHECK(worker.drain_and_stop(5s));
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }

  TEST_CASE("a throw that escapes a job or a network handler is reported and the worker goes on") {
    Worker worker;
    std::mutex mutex;
    std::vector<std::string> reports;
    worker.report_failures_to([&](std::string_view description) {
      const std::lock_guard lock(mutex);
      reports.emplace_back(description);
    });
    worker.post([] { throw std::runtime_error("secret text"); });
    worker.post_after(1ms, [] { throw 7; });
    auto& io_context = *static_cast<boost::asio::io_context*>(worker.io_context_handle());
    worker.post([&] { boost::asio::post(io_context, [] { throw std::logic_error("also secret"); }); });
    std::this_thread::sleep_for(100ms);
    std::promise<void> ran;
    worker.post([&] { ran.set_value(); });
    CHECK(ran.get_future().wait_for(2s) == std::future_status::ready);
    CHECK(worker.drain_and_stop(5s));
    const std::lock_guard lock(mutex);
    REQUIRE(reports.size() == 3);
    for (const std::string& report : reports) CHECK(report.find("secret") == std::string::npos);
    CHECK(std::count(reports.begin(), reports.end(), "kind=unknown") == 1);
  }

  TEST_CASE("a network handler that throws does not leave later completions waiting") {
    // The throw cuts poll() short; a completion due soon after must still run without
    // any post to wake the worker.
    Worker worker;
    worker.report_failures_to([](std::string_view) {});
    auto& io_context = *static_cast<boost::asio::io_context*>(worker.io_context_handle());
    std::optional<boost::asio::steady_timer> soon;
    std::promise<void> fired;
    worker.post([&] {
      boost::asio::post(io_context, [] { throw std::runtime_error("handler"); });
      soon.emplace(io_context, 100ms);
      soon->async_wait([&](const boost::system::error_code& error) {
        if (!error) fired.set_value();
      });
    });
    CHECK(fired.get_future().wait_for(5s) == std::future_status::ready);
    CHECK(worker.drain_and_stop(5s));
  }

  TEST_CASE("after stopping nothing more is accepted") {
    Worker worker;
    CHECK(worker.drain_and_stop(1s));
    CHECK_FALSE(worker.post([] {}));
  }
}
