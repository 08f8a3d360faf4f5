#pragma once

// The pages host-sim serves in live mode (--serve): an index that names no one, and
// one page per participant with a stand-in video area, the session buttons, and the
// plugin's panels in sandboxed frames. Each page is one self-contained document whose
// script and style run only under a per-render nonce.

#include "scenario.hpp"

#include <string>
#include <string_view>

namespace host_sim {

// `id` as one URL path segment: unreserved characters as they are, the rest
// percent-encoded.
std::string url_path_segment(std::string_view id);

// "/session/<session_id>/<participant_id>" and "/ws/<session_id>/<participant_id>".
std::string participant_page_path(std::string_view session_id, std::string_view participant_id);
std::string participant_socket_path(std::string_view session_id, std::string_view participant_id);
// "/panel/<session_id>/<participant_id>/": followed by a panel id, where one of the
// participant's open panels is served, or by standby_panel_name.
std::string participant_panel_prefix(std::string_view session_id, std::string_view participant_id);

// The page keeps one hidden sandboxed frame loaded with this empty document (at the
// panel prefix + "standby") and navigates it to the next panel that opens: the browser
// has the frame, and the process it runs sandboxed frames in, ready before the panel
// comes (a new one costs a process start in Chromium, which isolates sandboxed frames).
inline constexpr std::string_view standby_panel_name = "standby";
std::string standby_panel_document();

// `text` with & < > " ' replaced by character references.
std::string escape_html(std::string_view text);

// A fresh random nonce for one page render.
std::string make_nonce();

// The Content-Security-Policy of a page rendered with `nonce`: nothing loads or runs
// but its own nonce'd script and style; it connects to `socket_origin` only
// ("ws://127.0.0.1:PORT") and may not be framed.
std::string page_security_policy(std::string_view nonce, std::string_view socket_origin);

// The policy a panel document is served with, on top of the panel's own: a sandbox
// with scripts only (an opaque origin, even when opened on its own), no network, no
// forms, framed only by this server's pages.
//
// Why panels are served at their own URL rather than as srcdoc: a srcdoc document
// inherits the embedding page's policy (CSP 3), so the page's nonce would block the
// panel's own nonce'd script and style.
std::string panel_security_policy();

// The page at "/": it names no participant and links to no page (their URLs carry
// their keys).
std::string index_page(std::string_view nonce);

// `socket_url` is the absolute ws:// URL of this participant's WebSocket, key
// included; `key` is their page key, which the page adds to its panels' URLs (and to
// `standby_url`, the path of their standby panel frame).
std::string participant_page(const ScenarioSession& session, const ScenarioParticipant& viewer,
                             std::string_view socket_url, std::string_view key,
                             std::string_view standby_url, std::string_view nonce);

}  // namespace host_sim
