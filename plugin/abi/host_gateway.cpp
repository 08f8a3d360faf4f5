#include "abi/host_gateway.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "runtime/worker.hpp"

namespace alliance {

namespace {

thp_str view(std::string_view text) { return thp_str{text.data(), text.size()}; }

// What travels through run_on_host_thread. Owned by the task: freed when it runs or
// is cancelled. It never touches the plugin when cancelled (the plugin is gone then).
struct HostTask {
  std::function<void()> work;
};

void run_host_task(void* user_data, thp_task_disposition disposition) {
  std::unique_ptr<HostTask> task(static_cast<HostTask*>(user_data));
  if (disposition != THP_TASK_RUN) return;
  try {
    task->work();
  } catch (...) {
    // Nothing may escape into the host's thread.
  }
}

}  // namespace

HostGateway::HostGateway(const thp_host_api& api, Worker& worker, LogLevel minimum_level)
    : worker_(worker), minimum_level_(minimum_level) {
  std::memcpy(&api_, &api, std::min<size_t>(api.struct_size, sizeof(api_)));
  api_.struct_size = static_cast<uint32_t>(std::min<size_t>(api.struct_size, sizeof(api_)));
}

void HostGateway::log(LogLevel level, std::string_view message) const {
  if (level < minimum_level_ || api_.log == nullptr) return;
  api_.log(api_.host, static_cast<thp_log_level>(level), view(message));
}

bool HostGateway::panels_from_any_thread() const {
  return (api_.flags & THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD) != 0;
}

void HostGateway::call_panel_function(std::function<void()> work) {
  if (panels_from_any_thread()) {
    work();
    return;
  }
  auto task = std::make_unique<HostTask>(HostTask{std::move(work)});
  if (api_.run_on_host_thread(api_.host, &run_host_task, task.get()) == THP_OK) {
    task.release();  // now owned by the host until run_host_task
  } else {
    log(LogLevel::warning, "event=host_task_refused");
  }
}

void HostGateway::open_panel(std::string session_id, std::string participant_id, std::string title,
                             std::string html, PanelOpened on_opened) {
  if (panels_from_any_thread()) {
    thp_panel_id panel = 0;
    const thp_status status =
        api_.panel_open(api_.host, view(session_id), view(participant_id), view(title), view(html), &panel);
    on_opened(status, panel);
    return;
  }
  // On the host's thread: open, then hand the answer back to the worker, which keeps
  // it in order with later hook events (they are posted after this by the same thread).
  call_panel_function([this, session_id = std::move(session_id), participant_id = std::move(participant_id),
                       title = std::move(title), html = std::move(html),
                       on_opened = std::move(on_opened)]() mutable {
    thp_panel_id panel = 0;
    const thp_status status =
        api_.panel_open(api_.host, view(session_id), view(participant_id), view(title), view(html), &panel);
    worker_.post([on_opened = std::move(on_opened), status, panel] { on_opened(status, panel); });
  });
}

void HostGateway::post_to_panel(thp_panel_id panel, std::string json) {
  call_panel_function([this, panel, json = std::move(json)] {
    const thp_status status = api_.panel_post(api_.host, panel, view(json));
    if (status != THP_OK) log(LogLevel::warning, "event=panel_post_failed status=" + std::to_string(status));
  });
}

void HostGateway::close_panel(thp_panel_id panel) {
  call_panel_function([this, panel] {
    const thp_status status = api_.panel_close(api_.host, panel);
    if (status != THP_OK) log(LogLevel::debug, "event=panel_close_failed status=" + std::to_string(status));
  });
}

}  // namespace alliance
