// A participant's page in a Janus video visit: the VideoRoom for the call, Alliance's
// panels beside it (docs/janus.md). janus.js (the Debian package's) talks to Janus's HTTP
// API; the page has two plugin handles on one Janus session:
//
//   janus.plugin.videoroom   join the room as a publisher with the id from the token,
//                            publish camera and microphone, subscribe to the others
//   janus.plugin.alliance    no media: register with the token, then panel_open /
//                            panel_post / panel_close and session events come in, and
//                            panel_message / panel_closed / end_session go out
//
// Panels are shown as host-sim's live page shows them (sdk-stubs/host-sim/live_page.cpp):
// one sandboxed frame each (allow-scripts only), the same postMessage bridge (a frame
// posts JSON text to this page, which relays it as panel_message; panel_post texts go to
// the frame with postMessage), a Close button that reports the panel dismissed. The
// frame's document is the backend's panel shell, into which the panel's HTML is written
// (panel_shell.html says why).
//
// For tests and figures: body[data-janus], [data-joined], [data-publishing],
// [data-alliance], [data-session-state] follow what happened, and
// window.allianceDemo.timeline lists each step with its time (ms since the epoch).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var body = document.body;
  var sessionState = document.getElementById("session-state");
  var statusLine = document.getElementById("status");
  var problem = document.getElementById("problem");
  var eventList = document.getElementById("events");
  var panelArea = document.getElementById("panels");
  var noPanels = document.getElementById("no-panels");
  var videos = document.getElementById("videos");
  var selfVideo = document.getElementById("self-video");
  var selfPlaceholder = document.getElementById("self-placeholder");
  var endButton = document.getElementById("end-session");

  var timeline = [];
  window.allianceDemo = { timeline: timeline };
  function now() { return performance.timeOrigin + performance.now(); }
  function mark(what, detail) {
    timeline.push({ what: what, at: now(), detail: detail === undefined ? null : detail });
  }
  function note(text) {
    var item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + "  " + text;
    eventList.appendChild(item);
  }
  function showProblem(text) {
    problem.textContent = text;
    note(text);
  }

  var janus = null;
  var alliance = null;   // the janus.plugin.alliance handle
  var room = null;       // the publisher's janus.plugin.videoroom handle
  var privateId = null;
  var subscribers = new Map();  // feed id (string) -> { handle, tile, video, stream }

  // ------------------------------------------------------------------------------------
  // Alliance's panels: panel id (as a string) -> { id, frame, box, sent, queue }.

  var panels = new Map();

  function sendToAlliance(message) {
    if (!alliance) return;
    alliance.send({
      message: message,
      // Every answer is an event (onmessage); a synchronous one arrives here instead.
      success: function (data) { if (data && typeof data === "object" && data.alliance) onAllianceEvent(data); },
      error: function (error) { showProblem("Alliance could not take a message: " + error); }
    });
  }

  function refreshEmpty() { noPanels.hidden = panels.size > 0; }

  // A frame with the shell already loaded, hidden at the end of the panel area, for the
  // next panel: loading a sandboxed frame (a process of its own) takes from 0.1 s on an
  // idle machine to most of a second on a busy one, and the ORS should not wait for it.
  // A frame cannot be moved in the document without loading again, so the spare is
  // built in its box and the box is shown when a panel takes it.
  var spare = null;

  function prepareSpare() {
    var box = document.createElement("section");
    box.className = "panel-box";
    box.hidden = true;
    var heading = document.createElement("h3");
    var frame = document.createElement("iframe");
    frame.className = "panel";
    frame.setAttribute("sandbox", "allow-scripts");
    frame.src = config.panelShell;
    var shell = { box: box, heading: heading, frame: frame, loaded: false, onLoaded: null };
    // Writing the panel's document in makes the frame fire "load" again: the first is
    // the shell's.
    function loaded() {
      frame.removeEventListener("load", loaded);
      shell.loaded = true;
      if (shell.onLoaded) shell.onLoaded();
    }
    frame.addEventListener("load", loaded);
    box.appendChild(heading);
    box.appendChild(frame);
    panelArea.appendChild(box);
    spare = shell;
  }

  function openPanel(id, title, html) {
    closePanel(id);
    var shell = spare;
    prepareSpare();
    var name = document.createElement("span");
    name.textContent = title;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "panel-close";
    close.textContent = "Close";
    close.setAttribute("aria-label", "Close " + title);
    close.addEventListener("click", function () {
      sendToAlliance({ request: "panel_closed", panel: id, reason: "dismissed" });
      closePanel(id);
    });
    shell.heading.appendChild(name);
    shell.heading.appendChild(close);
    var frame = shell.frame;
    frame.dataset.panelId = String(id);
    frame.title = title;
    var entry = { id: id, frame: frame, box: shell.box, sent: false, queue: [] };
    // Until the shell has loaded, the frame's window is a blank one that would drop what
    // is posted to it; then the panel's document goes first and the queue after it, in
    // order.
    function write() {
      frame.contentWindow.postMessage({ allianceShell: "document", html: html }, "*");
      entry.sent = true;
      html = null;
      mark("panel_written", String(id));
      var waiting = entry.queue;
      entry.queue = [];
      waiting.forEach(function (text) { frame.contentWindow.postMessage(text, "*"); });
    }
    // Shown before the document goes in, so that the panel lays itself out at its width.
    shell.box.hidden = false;
    if (shell.loaded) write();
    else shell.onLoaded = write;
    panels.set(String(id), entry);
    refreshEmpty();
  }

  function postToPanel(id, text) {
    var entry = panels.get(String(id));
    if (!entry) return;
    if (entry.sent) entry.frame.contentWindow.postMessage(text, "*");
    else entry.queue.push(text);
  }

  function closePanel(id) {
    var entry = panels.get(String(id));
    if (!entry) return;
    panels.delete(String(id));
    entry.box.remove();
    refreshEmpty();
  }

  // Only a message from one of this page's panel frames is relayed, and as that panel's;
  // the adapter checks again that the panel belongs to this handle's participant.
  window.addEventListener("message", function (event) {
    if (event.source === null) return;
    panels.forEach(function (entry) {
      if (event.source !== entry.frame.contentWindow) return;
      var text = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
      if (typeof text === "string") sendToAlliance({ request: "panel_message", panel: entry.id, text: text });
    });
  });

  var stateWords = {
    waiting: "Waiting: the session starts when the therapist and the client are both in the call.",
    running: "The session is running.",
    ended: "The session has ended."
  };

  function showSessionState(state) {
    body.dataset.sessionState = state;
    mark("session_" + state);
    sessionState.textContent = stateWords[state] || ("Session: " + state);
    note("Session: " + state);
    if (endButton) endButton.disabled = state !== "running";
  }

  var errorWords = {
    invalid_token: "The page's pass for this visit was refused. Reload the page.",
    expired_token: "The page's pass for this visit has expired. Reload the page.",
    wrong_participant: "This pass belongs to someone else in the call.",
    session_mismatch: "This room is running another session.",
    not_allowed: "Only the therapist can end the session.",
    replaced: "This page was replaced by another one of yours: the forms now open there.",
    unavailable: "Alliance is stopping."
  };

  function onAllianceEvent(message) {
    if (!message || typeof message !== "object") return;
    switch (message.alliance) {
      case "registered":
        body.dataset.alliance = "registered";
        mark("registered");
        note("Alliance: registered as " + (message.role === "clinician" ? "the therapist" : "the " + message.role));
        break;
      case "session":
        showSessionState(String(message.state));
        break;
      case "panel_open":
        mark("panel_open", String(message.panel));
        note("Alliance opened “" + message.title + "”");
        openPanel(message.panel, String(message.title), String(message.html));
        break;
      case "panel_post":
        postToPanel(message.panel, String(message.text));
        break;
      case "panel_close":
        note("Alliance closed a panel");
        closePanel(message.panel);
        break;
      case "error":
        body.dataset.alliance = "error-" + message.error;
        mark("alliance_error", message.error);
        showProblem(errorWords[message.error] || ("Alliance: " + message.error + ": " + message.reason));
        break;
      default:
        break;
    }
  }

  function attachAlliance() {
    janus.attach({
      plugin: "janus.plugin.alliance",
      opaqueId: "alliance-demo-" + Janus.randomString(12),
      success: function (handle) {
        alliance = handle;
        mark("alliance_attached");
        sendToAlliance({ request: "register", token: config.token });
      },
      error: function (error) {
        body.dataset.alliance = "unattached";
        showProblem("Alliance is not available on this video server: " + error);
      },
      onmessage: function (message) { onAllianceEvent(message); },
      oncleanup: function () {}
    });
  }

  if (endButton) {
    endButton.addEventListener("click", function () {
      endButton.disabled = true;
      mark("end_session_clicked");
      sendToAlliance({ request: "end_session" });
    });
  }

  // ------------------------------------------------------------------------------------
  // The video room.

  function nameOfFeed(feed, display) {
    return config.names[String(feed)] || display || "Participant";
  }

  function remoteTile(feed, display) {
    var key = String(feed);
    var existing = subscribers.get(key);
    if (existing) return existing;
    var tile = document.createElement("figure");
    tile.className = "tile";
    tile.dataset.feed = key;
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.hidden = true;
    video.setAttribute("aria-label", "Video of " + nameOfFeed(feed, display));
    var placeholder = document.createElement("p");
    placeholder.className = "placeholder";
    placeholder.textContent = "Connecting to " + nameOfFeed(feed, display) + "’s video…";
    var caption = document.createElement("figcaption");
    caption.textContent = nameOfFeed(feed, display);
    tile.appendChild(video);
    tile.appendChild(placeholder);
    tile.appendChild(caption);
    videos.insertBefore(tile, videos.firstChild);
    var entry = { handle: null, tile: tile, video: video, placeholder: placeholder, stream: new MediaStream() };
    subscribers.set(key, entry);
    return entry;
  }

  function dropRemote(feed) {
    var entry = subscribers.get(String(feed));
    if (!entry) return;
    subscribers.delete(String(feed));
    if (entry.handle) entry.handle.detach();
    entry.tile.remove();
  }

  function subscribe(publisher) {
    if (String(publisher.id) === String(config.feed) || publisher.dummy) return;
    if (subscribers.has(String(publisher.id))) return;
    var entry = remoteTile(publisher.id, publisher.display);
    note(nameOfFeed(publisher.id, publisher.display) + " is in the call");
    mark("publisher_seen", String(publisher.id));
    janus.attach({
      plugin: "janus.plugin.videoroom",
      opaqueId: "alliance-demo-" + Janus.randomString(12),
      success: function (handle) {
        entry.handle = handle;
        handle.send({ message: {
          request: "join", room: config.room, ptype: "subscriber",
          streams: [{ feed: publisher.id }], private_id: privateId
        } });
      },
      error: function (error) { showProblem("Could not subscribe to " + nameOfFeed(publisher.id) + ": " + error); },
      onmessage: function (message, jsep) {
        if (message.error) {
          entry.placeholder.textContent = "No video from " + nameOfFeed(publisher.id, publisher.display) + ".";
          note("Subscribing: " + message.error);
          return;
        }
        if (!jsep) return;
        entry.handle.createAnswer({
          jsep: jsep,
          tracks: [{ type: "data" }],
          success: function (answer) {
            entry.handle.send({ message: { request: "start", room: config.room }, jsep: answer });
          },
          error: function (error) { showProblem("Could not receive video: " + (error.message || error)); }
        });
      },
      webrtcState: function (on) {
        mark(on ? "subscriber_webrtc_up" : "subscriber_webrtc_down", String(publisher.id));
      },
      onremotetrack: function (track, mid, on) {
        if (on) {
          if (!entry.stream.getTracks().includes(track)) entry.stream.addTrack(track);
          if (track.kind === "video") {
            entry.video.srcObject = entry.stream;
            entry.video.hidden = false;
            entry.placeholder.hidden = true;
            mark("remote_video", String(publisher.id));
          }
        } else {
          entry.stream.removeTrack(track);
          if (track.kind === "video" && entry.stream.getVideoTracks().length === 0) {
            entry.video.hidden = true;
            entry.placeholder.hidden = false;
            entry.placeholder.textContent = "No video from " + nameOfFeed(publisher.id, publisher.display) + ".";
          }
        }
      },
      oncleanup: function () {}
    });
  }

  function publish(tracks) {
    body.dataset.publishing = "offering";
    mark("publish_attempted", tracks.map(function (t) { return t.type; }).join("+"));
    room.createOffer({
      tracks: tracks,
      success: function (jsep) {
        body.dataset.publishing = "offered";
        mark("offer_sent");
        room.send({ message: { request: "configure", audio: tracks.some(function (t) { return t.type === "audio"; }), video: true }, jsep: jsep });
      },
      error: function (error) {
        if (tracks.length > 1) {
          note("Camera and microphone: " + (error.message || error) + "; trying the camera alone");
          publish(tracks.filter(function (t) { return t.type === "video"; }));
          return;
        }
        body.dataset.publishing = "failed";
        mark("publish_failed", String(error.message || error));
        selfPlaceholder.textContent = "Your camera could not be used: " + (error.message || error);
        note("Publishing: " + (error.message || error));
      }
    });
  }

  function onPublishers(list) {
    (list || []).forEach(subscribe);
  }

  function onRoomMessage(message, jsep) {
    var event = message.videoroom;
    if (event === "joined") {
      body.dataset.joined = "yes";
      privateId = message.private_id;
      mark("joined");
      note("Joined the call");
      statusLine.textContent = "You are in the call.";
      if (config.camera === false) {
        body.dataset.publishing = "off";
        selfPlaceholder.textContent = "Joined without camera and microphone.";
      } else if (Janus.isWebrtcSupported()) {
        publish([{ type: "audio", capture: true, recv: false }, { type: "video", capture: true, recv: false }]);
      } else {
        body.dataset.publishing = "unsupported";
        selfPlaceholder.textContent = "This browser cannot send video.";
      }
      onPublishers(message.publishers);
    } else if (event === "event") {
      if (message.publishers) onPublishers(message.publishers);
      if (message.leaving !== undefined && message.leaving !== "ok") {
        note(nameOfFeed(message.leaving) + " left the call");
        dropRemote(message.leaving);
      }
      if (message.unpublished !== undefined && message.unpublished !== "ok") dropRemote(message.unpublished);
      if (message.error) {
        body.dataset.joined = body.dataset.joined === "yes" ? "yes" : "refused";
        showProblem("The video room: " + message.error);
      }
      if (message.configured === "ok") mark("configured");
    } else if (event === "destroyed") {
      body.dataset.joined = "room-closed";
      note("The room was closed");
      statusLine.textContent = "The video room has been closed.";
    }
    if (jsep) room.handleRemoteJsep({ jsep: jsep });
  }

  function attachRoom() {
    janus.attach({
      plugin: "janus.plugin.videoroom",
      opaqueId: "alliance-demo-" + Janus.randomString(12),
      success: function (handle) {
        room = handle;
        mark("join_sent");
        handle.send({ message: {
          request: "join", room: config.room, ptype: "publisher", id: config.feed, display: config.display
        } });
      },
      error: function (error) { showProblem("The video room is not available: " + error); },
      onmessage: onRoomMessage,
      onlocaltrack: function (track, on) {
        if (track.kind !== "video") return;
        if (on) {
          selfVideo.srcObject = new MediaStream([track]);
          selfVideo.hidden = false;
          selfPlaceholder.hidden = true;
          mark("local_video");
        } else {
          selfVideo.hidden = true;
          selfPlaceholder.hidden = false;
          selfPlaceholder.textContent = "Your camera is off.";
        }
      },
      onremotetrack: function () {},
      iceState: function (state) {
        body.dataset.ice = state;
        mark("ice_" + state);
      },
      webrtcState: function (on) {
        body.dataset.publishing = on ? "up" : "down";
        mark(on ? "publisher_webrtc_up" : "publisher_webrtc_down");
        note(on ? "Your video is reaching the server" : "Your video stopped reaching the server");
      },
      oncleanup: function () {}
    });
  }

  // ------------------------------------------------------------------------------------

  mark("page_started");
  prepareSpare();
  Janus.init({
    debug: false,
    dependencies: Janus.useDefaultDependencies(),
    callback: function () {
      janus = new Janus({
        server: config.janus,
        success: function () {
          body.dataset.janus = "connected";
          mark("janus_connected");
          sessionState.textContent = "Connected to the video server.";
          statusLine.textContent = "Joining the call…";
          attachAlliance();
          attachRoom();
        },
        error: function (error) {
          body.dataset.janus = "error";
          mark("janus_error", String(error));
          showProblem("The video server cannot be reached: " + error);
        },
        destroyed: function () {
          body.dataset.janus = "closed";
        }
      });
    }
  });
}());
