#include "live_page.hpp"

#include "abi_names.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

namespace host_sim {
namespace {

bool is_unreserved(char character) {
  return (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
         (character >= '0' && character <= '9') || character == '-' || character == '.' ||
         character == '_' || character == '~';
}

// Replaces every "@NAME@" in `text` with the matching value, in one pass, so that a
// value is never searched for markers itself.
std::string fill(std::string_view text,
                 std::initializer_list<std::pair<std::string_view, std::string>> values) {
  std::string filled;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t open = text.find('@', at);
    std::size_t close = open == std::string_view::npos ? open : text.find('@', open + 1);
    if (close == std::string_view::npos) break;
    std::string_view name = text.substr(open + 1, close - open - 1);
    const std::string* value = nullptr;
    for (const auto& [known, replacement] : values) {
      if (known == name) value = &replacement;
    }
    if (value == nullptr) {
      // Not a marker (an "@" in the text): keep it and look again after it.
      filled.append(text.substr(at, open + 1 - at));
      at = open + 1;
      continue;
    }
    filled.append(text.substr(at, open - at));
    filled += *value;
    at = close + 1;
  }
  filled.append(text.substr(std::min(at, text.size())));
  return filled;
}

// Laid out for the screen it is on (the viewport meta tag in each page): on a phone the
// text keeps its size, the panels take the whole width and the buttons are big enough
// to tap (WCAG 2.5.8).
constexpr std::string_view shared_style = R"(
  html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330;
         overflow-wrap: break-word; }
  header { padding: 10px 18px; background: #23395d; color: #fff; }
  header h1 { font-size: 18px; margin: 0; }
  header p { margin: 2px 0 0; font-size: 14px; opacity: .9; }
  main { padding: 16px 18px; }
  @media (max-width: 40rem) {
    header { padding: 8px 12px; }
    main { padding: 10px 8px; }
  })
  a { color: #1f5fbf; }
  table { border-collapse: collapse; background: #fff; }
  th, td { border: 1px solid #d5d9e0; padding: 6px 10px; text-align: left; }
)";

// The index names no one and links nowhere: each participant's page address carries
// that participant's key, and only host-sim's output (its operator) holds them all.
constexpr std::string_view index_template = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>host-sim live session</title>
<style nonce="@NONCE@">@STYLE@</style>
</head>
<body>
<header><h1>host-sim live session</h1>
<p>A stand-in for the telehealth platform.</p></header>
<main>
<p>Each participant has a page of their own, at the address host-sim printed for them
when it started (the lines that begin with "page"). The address carries that
participant's key: open it in that participant's browser window only.</p>
</main>
</body>
</html>
)";

constexpr std::string_view participant_template = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@NAME@ (@ROLE@): session @SESSION@</title>
<style nonce="@NONCE@">@STYLE@
  .layout { display: flex; gap: 18px; align-items: flex-start; flex-wrap: wrap; }
  .call { flex: 1 1 420px; min-width: 0; max-width: 640px; }
  .video { background: #5f6672; color: #fff; aspect-ratio: 16 / 9; display: flex;
           align-items: center; justify-content: center; font-size: 24px; border-radius: 6px; }
  .controls { margin: 10px 0; display: flex; flex-wrap: wrap; gap: 8px; }
  .controls button { font: inherit; padding: 6px 14px; min-height: 44px; }
  #status { font-size: 14px; color: #4a5262; margin: 0 0 8px; }
  #panels { flex: 1 1 420px; min-width: 0; display: flex; flex-direction: column; gap: 12px; }
  .panel-box { background: #fff; border: 1px solid #d5d9e0; border-radius: 6px; }
  .panel-box.standby { position: absolute; left: -10000px; top: 0; width: 320px; height: 200px; overflow: hidden; }
  .panel-box h2 { font-size: 16px; margin: 0; padding: 4px 4px 4px 10px; display: flex; gap: 8px;
                  justify-content: space-between; align-items: center; border-bottom: 1px solid #d5d9e0; }
  .panel-close { flex: none; white-space: nowrap; font: inherit; font-size: 15px; min-height: 44px;
                 min-width: 44px; padding: 4px 12px; }
  /* On a phone, the screen's height: the page scrolls the frame into full view and
     the panel scrolls inside it, never a small scrolling box within a scrolling page. */
  iframe.panel { display: block; width: 100%; height: 560px; border: 0; }
  #no-panels { color: #4a5262; font-size: 14px; margin: 0; }
  @media (max-width: 40rem) {
    .layout { gap: 10px; }
    iframe.panel { height: calc(100vh - 60px); height: calc(100svh - 60px); min-height: 400px; }
    /* While a panel is open, the stand-in video shrinks to a strip above it. */
    .layout:has(.panel-box:not([hidden]):not(.standby)) .video { aspect-ratio: auto; height: 64px; font-size: 18px; }
  }
</style>
</head>
<body data-ws-state="connecting" data-ws-url="@SOCKET@" data-key="@KEY@" data-role="@ROLE@"
      data-standby-url="@STANDBY@">
<header><h1>@NAME@ <small>(@ROLE@)</small></h1>
<p>Session @SESSION@, served by host-sim: a stand-in for the telehealth platform.</p></header>
<main class="layout">
<section class="call">
<div class="video" id="video">@NAME@</div>
<div class="controls">
@CLINICIAN_BUTTONS@<button type="button" id="leave" disabled>Leave</button>
</div>
<p id="status">Connecting to host-sim…</p>
</section>
<section id="panels" aria-label="Panels"><p id="no-panels">No panels are open.</p></section>
</main>
<script nonce="@NONCE@">
(function () {
  "use strict";
  var body = document.body;
  var area = document.getElementById("panels");
  var empty = document.getElementById("no-panels");
  var status = document.getElementById("status");
  var startButton = document.getElementById("start-session");
  var endButton = document.getElementById("end-session");
  var leaveButton = document.getElementById("leave");
  // panel id -> { frame, box, loaded, queue }
  var panels = new Map();
  var socket = new WebSocket(body.dataset.wsUrl);
  // Marks for the browser's performance timeline (and the browser test's breakdown of
  // the time from "Start session" to a usable panel): "host-sim:" and what happened.
  function mark(name) { if (window.performance && performance.mark) performance.mark("host-sim:" + name); }

  function send(message) {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }
  function refreshEmpty() { empty.hidden = panels.size > 0; }

  // A hidden sandboxed frame, loaded with an empty document, that the next panel to
  // open takes over: the browser has the frame and the process it runs sandboxed
  // frames in (Chromium gives them their own) ready before the panel comes.
  var standby = null;
  function prepareStandby() {
    var box = document.createElement("section");
    box.className = "panel-box";
    // Laid out off screen rather than hidden: a frame that is not rendered would not
    // have its fonts loaded and its first layout done before the panel needs them.
    box.className = "panel-box standby";
    box.setAttribute("aria-hidden", "true");
    var frame = document.createElement("iframe");
    frame.className = "panel-standby";
    frame.setAttribute("sandbox", "allow-scripts");
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.title = "No panel";
    frame.src = body.dataset.standbyUrl + "?key=" + encodeURIComponent(body.dataset.key);
    box.appendChild(frame);
    area.appendChild(box);
    var waiting = { box: box, frame: frame, loaded: false };
    // Taken only once loaded: its own "load" must not pass for the panel's.
    frame.addEventListener("load", function () { waiting.loaded = true; }, { once: true });
    standby = waiting;
  }

  function openPanel(id, title, source) {
    closePanel(id);
    var taken = standby && standby.loaded ? standby : null;
    if (taken) {
      standby = null;
    } else {
      taken = { box: document.createElement("section"), frame: document.createElement("iframe") };
      taken.frame.setAttribute("sandbox", "allow-scripts");
      taken.box.appendChild(taken.frame);
    }
    var box = taken.box, frame = taken.frame;
    box.className = "panel-box";
    var heading = document.createElement("h2");
    var name = document.createElement("span");
    name.textContent = title;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "panel-close";
    close.textContent = "Close";
    close.setAttribute("aria-label", "Close " + title);
    close.addEventListener("click", function () {
      send({ type: "panel_closed", panel_id: id, reason: "dismissed" });
      closePanel(id);
    });
    heading.appendChild(name);
    heading.appendChild(close);
    frame.className = "panel";
    frame.removeAttribute("aria-hidden");
    frame.removeAttribute("tabindex");
    frame.dataset.panelId = String(id);
    frame.title = title;
    var entry = { frame: frame, box: box, loaded: false, queue: [] };
    // Until its document has loaded, a frame's window is a blank (or the standby) one
    // that would drop the messages; they wait here.
    frame.addEventListener("load", function () {
      mark("panel_frame_loaded");
      entry.loaded = true;
      var waiting = entry.queue;
      entry.queue = [];
      waiting.forEach(function (text) { frame.contentWindow.postMessage(text, "*"); });
    });
    // The panel's document comes from its own URL, with its own policy: as srcdoc it
    // would inherit this page's, whose nonce blocks the panel's scripts. The host
    // serves it to this participant's key only.
    frame.src = source + "?key=" + encodeURIComponent(body.dataset.key);
    box.insertBefore(heading, frame);
    if (!box.parentNode) area.appendChild(box);
    box.hidden = false;
    mark("panel_frame_added");
    panels.set(id, entry);
    refreshEmpty();
    // The next panel's frame, after this one (one is still loading: it stays).
    if (!standby) prepareStandby();
  }
  function postToPanel(id, text) {
    var entry = panels.get(id);
    if (!entry) return;
    if (entry.loaded) entry.frame.contentWindow.postMessage(text, "*");
    else entry.queue.push(text);
  }
  function closePanel(id) {
    var entry = panels.get(id);
    if (!entry) return;
    panels.delete(id);
    entry.box.remove();
    refreshEmpty();
  }

  // Only a message from one of this page's panel frames is relayed, and as that
  // panel's; the host checks again that the panel is this participant's.
  window.addEventListener("message", function (event) {
    panels.forEach(function (entry, id) {
      if (event.source !== entry.frame.contentWindow || event.source === null) return;
      var text = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
      if (typeof text === "string") send({ type: "panel_message", panel_id: id, text: text });
    });
  });

  function showSessionState(state, present) {
    var words = { not_started: "The session has not started.", running: "The session is running.",
                  ended: "The session has ended." }[state] || "";
    if (state !== "not_started" && !present) words += " You are not in the call.";
    status.textContent = words;
    if (startButton) startButton.disabled = state !== "not_started";
    if (endButton) endButton.disabled = state !== "running";
    leaveButton.disabled = state === "not_started" || !present;
    body.dataset.sessionState = state;
  }

  socket.addEventListener("open", function () {
    body.dataset.wsState = "open";
    status.textContent = "Connected.";
  });
  socket.addEventListener("close", function () {
    body.dataset.wsState = "closed";
    status.textContent = "Disconnected from host-sim. Reload the page to reconnect.";
    [startButton, endButton, leaveButton].forEach(function (button) { if (button) button.disabled = true; });
  });
  socket.addEventListener("message", function (event) {
    var message;
    try { message = JSON.parse(event.data); } catch (error) { return; }
    if (!message || typeof message !== "object") return;
    if (message.type === "panel_open") mark("panel_open_received");
    if (message.type === "panel_open") openPanel(message.panel_id, String(message.title), String(message.src));
    else if (message.type === "panel_post") postToPanel(message.panel_id, String(message.text));
    else if (message.type === "panel_close") closePanel(message.panel_id);
    else if (message.type === "session_state") showSessionState(message.state, message.present);
    else if (message.type === "refused") console.warn("host-sim refused a message: " + message.reason);
  });

  prepareStandby();

  if (startButton) startButton.addEventListener("click", function () {
    mark("start_session_clicked");
    send({ type: "start_session" });
  });
  if (endButton) endButton.addEventListener("click", function () { send({ type: "end_session" }); });
  leaveButton.addEventListener("click", function () { send({ type: "leave" }); });
}());
</script>
</body>
</html>
)";

}  // namespace

std::string url_path_segment(std::string_view id) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string segment;
  for (char character : id) {
    if (is_unreserved(character)) {
      segment += character;
    } else {
      auto byte = static_cast<unsigned char>(character);
      segment += '%';
      segment += hex[byte >> 4];
      segment += hex[byte & 0x0f];
    }
  }
  return segment;
}

std::string participant_page_path(std::string_view session_id, std::string_view participant_id) {
  return "/session/" + url_path_segment(session_id) + "/" + url_path_segment(participant_id);
}

std::string participant_socket_path(std::string_view session_id, std::string_view participant_id) {
  return "/ws/" + url_path_segment(session_id) + "/" + url_path_segment(participant_id);
}

std::string participant_panel_prefix(std::string_view session_id, std::string_view participant_id) {
  return "/panel/" + url_path_segment(session_id) + "/" + url_path_segment(participant_id) + "/";
}

std::string escape_html(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char character : text) {
    switch (character) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += character;
    }
  }
  return escaped;
}

std::string make_nonce() {
  static constexpr char hex[] = "0123456789abcdef";
  std::random_device source;
  std::string nonce;
  for (int index = 0; index < 8; ++index) {
    auto word = static_cast<std::uint32_t>(source());
    for (int shift = 0; shift < 32; shift += 8) {
      auto byte = static_cast<unsigned char>(word >> shift);
      nonce += hex[byte >> 4];
      nonce += hex[byte & 0x0f];
    }
  }
  return nonce;
}

std::string page_security_policy(std::string_view nonce, std::string_view socket_origin) {
  std::string quoted_nonce = "'nonce-" + std::string(nonce) + "'";
  return "default-src 'none'; script-src " + quoted_nonce + "; style-src " + quoted_nonce +
         "; connect-src " + std::string(socket_origin) +
         "; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

std::string panel_security_policy() {
  return "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
         "style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
         "form-action 'none'; frame-ancestors 'self'";
}

std::string standby_panel_document() {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>No panel</title>\n</head>\n"
         // Text in the panels' fonts and weights, so that the frame's process has them
         // loaded (a first use costs a fresh renderer a few hundred milliseconds).
         "<body style=\"font: 1rem/1.45 system-ui, sans-serif\"><p>Ready</p><p><b>Ready</b></p>"
         "<p><i>Ready</i></p></body>\n</html>\n";
}

std::string index_page(std::string_view nonce) {
  return fill(index_template, {{"NONCE", std::string(nonce)}, {"STYLE", std::string(shared_style)}});
}

std::string participant_page(const ScenarioSession& session, const ScenarioParticipant& viewer,
                             std::string_view socket_url, std::string_view key,
                             std::string_view standby_url, std::string_view nonce) {
  std::string name = viewer.display_name.empty() ? viewer.participant_id : viewer.display_name;
  std::string clinician_buttons;
  if (viewer.role == THP_ROLE_CLINICIAN) {
    clinician_buttons =
        "<button type=\"button\" id=\"start-session\" disabled>Start session</button>\n"
        "<button type=\"button\" id=\"end-session\" disabled>End session</button>\n";
  }
  // Every value is escaped once, here; the template holds no other dynamic text.
  return fill(participant_template,
              {{"NONCE", std::string(nonce)},
               {"STYLE", std::string(shared_style)},
               {"NAME", escape_html(name)},
               {"ROLE", escape_html(role_name(viewer.role))},
               {"SESSION", escape_html(session.session_id)},
               {"SOCKET", escape_html(socket_url)},
               {"KEY", escape_html(key)},
               {"STANDBY", escape_html(standby_url)},
               {"CLINICIAN_BUTTONS", clinician_buttons}});
}

}  // namespace host_sim
