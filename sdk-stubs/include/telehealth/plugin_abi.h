/*
 * Telehealth host platform: plugin ABI, version 1.1.
 *
 * This header is the whole contract between a host (the telehealth/EHR platform)
 * and a plugin (a shared library it loads). It is plain C11 so that any toolchain
 * can build either side, and it is also valid C++.
 *
 * Shape of the contract (after SQLite's sqlite3ext.h and Envoy's dynamic modules):
 *   - A plugin exports exactly one symbol, thp_plugin_entry (THP_ENTRY_SYMBOL).
 *   - The host hands the plugin a table of host functions (thp_host_api); the plugin
 *     fills in a table of its own hooks (thp_plugin_api).
 *   - Every table and every struct starts with struct_size. Tables and structs only
 *     grow at their end (append-only). A reader checks struct_size before touching
 *     a member added in a later minor version (THP_HAS_MEMBER).
 *   - abi_major changes only when the layout breaks; a host and a plugin with
 *     different majors refuse each other. A higher minor on either side is fine.
 *   - Strings cross as thp_str views {ptr, len}: UTF-8, NOT NUL-terminated, borrowed.
 *     The owner and lifetime are stated at each declaration. A view with len 0 is the
 *     empty string; its ptr may be NULL. A view with len > 0 and a NULL ptr is refused
 *     with THP_ERROR_INVALID_ARGUMENT.
 *   - Results come back as a thp_status; values come back through out-parameters.
 *
 * Threading model:
 *   - The host calls every plugin hook on one thread at a time ("the host thread").
 *     Hooks are never called concurrently with each other.
 *   - Hooks must return quickly (microseconds): they take note of the event and hand
 *     the work to the plugin's own threads. They must not block on I/O or on locks
 *     held across I/O, and they must not call back into the host's panel functions
 *     re-entrantly expecting synchronous effects.
 *   - Host functions: log and run_on_host_thread may be called from any thread at any
 *     time between a successful entry call and the return of shutdown. The panel
 *     functions may be called from any thread only when the host sets
 *     THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD in thp_host_api.flags; otherwise the
 *     plugin must call them on the host thread, by way of run_on_host_thread.
 *
 * Panels: a panel is a piece of self-contained HTML that the host shows to one
 * participant, in a sandboxed frame. The only channel between the page and the plugin
 * is JSON text messages:
 *   - The page sends with window.parent.postMessage(text, "*"); the host delivers the
 *     text to the plugin's panel_message hook, unchanged and untrusted.
 *   - The plugin sends with panel_post; the page receives a "message" event whose
 *     data is the JSON text.
 *   - The host, never the page, decides who the viewer of a panel is.
 *
 * The panel window (when panel_open may be called, and what a host must allow):
 *   - For a participant, from the moment session_started (or participant_joined) for
 *     them returns, until they leave (participant_left) or the session's post-session
 *     window closes, whichever comes first.
 *   - The post-session window begins when session_ended is called and lasts at least
 *     THP_POST_SESSION_WINDOW_MINIMUM_SECONDS; a host may keep it open longer (for
 *     example while the participant is still on its "call ended" screen). A plugin
 *     opens its end-of-session panels (such as a session rating) in that window, so a
 *     host must accept panel_open there for every participant who has not left.
 *   - When the window closes, the host closes the session's panels that are still
 *     open and reports each through panel_closed with THP_PANEL_PARTICIPANT_LEFT; then
 *     panel_open for that session returns THP_ERROR_NOT_FOUND.
 *   - Every panel a plugin opened ends exactly once: closed by the plugin (panel_close)
 *     or reported by the host (panel_closed). A plugin keeps a session's state until
 *     then, so a host that never reports a closing keeps that state alive.
 *
 * Host strings are untrusted (what the plugin does with each is stated at each member
 * and hook; the limits are the THP_MAXIMUM_* values below):
 *   - Required identifiers (session_id, participant_id): empty, longer than
 *     THP_MAXIMUM_IDENTIFIER_BYTES, not valid UTF-8, or containing a NUL byte: the hook
 *     is refused with THP_ERROR_INVALID_ARGUMENT and the plugin logs the field's name
 *     (never its value). Identifiers are compared byte for byte; nothing is repaired.
 *   - display_name (free text): bytes that are not valid UTF-8 (and NUL bytes) are
 *     replaced by U+FFFD; a name longer than THP_MAXIMUM_TEXT_BYTES is cut at the last
 *     whole character that fits. The plugin logs the field's name; the session goes on.
 *   - Optional fields (birth_date, preferred_language, fhir_reference,
 *     rates_participant_id, relationship, start_time, encounter_reference, age_years):
 *     malformed, over their limit, or not valid UTF-8: the field is dropped (treated as
 *     empty or unknown), the plugin logs the field's name, and the session goes on.
 *     One bad optional field never costs a participant their measures.
 */
#ifndef TELEHEALTH_PLUGIN_ABI_H
#define TELEHEALTH_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define THP_ABI_MAJOR 1
#define THP_ABI_MINOR 1

/* The one symbol a plugin exports. A host looks it up with dlsym(THP_ENTRY_SYMBOL). */
#define THP_ENTRY_SYMBOL "thp_plugin_entry"

#if defined(_WIN32)
#define THP_EXPORT __declspec(dllexport)
#else
#define THP_EXPORT __attribute__((visibility("default")))
#endif

/* Limits on what a host passes (bytes of UTF-8, not characters). What happens to a
 * value over its limit is stated at each member. */
#define THP_MAXIMUM_IDENTIFIER_BYTES 256       /* session_id, participant_id, references */
#define THP_MAXIMUM_TEXT_BYTES 512             /* display_name */
#define THP_MAXIMUM_PARTICIPANTS 64            /* thp_session.participant_count */
#define THP_MAXIMUM_LANGUAGE_TAG_BYTES 64      /* preferred_language */
#define THP_MAXIMUM_RELATIONSHIP_BYTES 16      /* relationship */
#define THP_MAXIMUM_TIME_BYTES 64              /* start_time */

/* The least time, after session_ended, during which a host must accept panel_open for
 * participants who have not left (see "The panel window" above). */
#define THP_POST_SESSION_WINDOW_MINIMUM_SECONDS 300

/* True when the struct pointed to by `s` (whose first member is struct_size) is
 * large enough to contain `member`. Use before reading any member added after 1.0. */
#define THP_HAS_MEMBER(s, type, member) \
  ((s)->struct_size >= offsetof(type, member) + sizeof(((type*)0)->member))

/* ---------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------- */

/* A borrowed UTF-8 string view. Not NUL-terminated. Owner and lifetime: see each use. */
typedef struct thp_str {
  const char* ptr;
  size_t len;
} thp_str;

/* Status codes. Fixed-width so that the ABI does not depend on enum sizes.
 * New codes may be added in minor versions; treat unknown non-zero codes as errors. */
typedef int32_t thp_status;
#define THP_OK 0
#define THP_ERROR_INVALID_ARGUMENT 1  /* malformed, out of range or oversized input */
#define THP_ERROR_INCOMPATIBLE_ABI 2  /* abi_major differs, or a table is too small */
#define THP_ERROR_CONFIGURATION 3     /* the plugin's configuration is invalid */
#define THP_ERROR_NOT_FOUND 4         /* unknown session, participant or panel */
#define THP_ERROR_UNAVAILABLE 5       /* shutting down, or the call is not allowed now */
#define THP_ERROR_WRONG_THREAD 6      /* a host function was called from a thread it forbids */
#define THP_ERROR_INTERNAL 7          /* an unexpected failure; details went to the log */

typedef int32_t thp_log_level;
#define THP_LOG_DEBUG 0
#define THP_LOG_INFO 1
#define THP_LOG_WARNING 2
#define THP_LOG_ERROR 3

typedef int32_t thp_participant_role;
#define THP_ROLE_CLIENT 0      /* the person receiving care */
#define THP_ROLE_CLINICIAN 1   /* the therapist */
#define THP_ROLE_OTHER_RATER 2 /* someone who rates for a client, e.g. a parent */

typedef int32_t thp_appointment_kind;
#define THP_APPOINTMENT_INDIVIDUAL 0
#define THP_APPOINTMENT_COUPLE 1
#define THP_APPOINTMENT_FAMILY 2
#define THP_APPOINTMENT_GROUP 3

/* How the session is held. A plugin may treat them differently: the host must say
 * which it is, and opens panels for any participant of any medium. (Alliance: video
 * opens each client's forms on the client's own device; audio, a phone call where the
 * client has no screen, opens them on the clinician's device to be read aloud;
 * in-person opens the client's forms on the host's device, when the clinic turns it
 * on.) */
typedef int32_t thp_session_medium;
#define THP_MEDIUM_VIDEO 0
#define THP_MEDIUM_AUDIO 1
#define THP_MEDIUM_IN_PERSON 2

/* Why a panel went away. Reported by the host through panel_closed. A panel closed
 * by the plugin itself (panel_close) is not reported back. */
typedef int32_t thp_panel_close_reason;
#define THP_PANEL_SUBMITTED 0        /* the participant finished and closed it */
#define THP_PANEL_DISMISSED 1        /* the participant closed it without finishing */
#define THP_PANEL_PARTICIPANT_LEFT 2 /* the participant left; the host removed it */

/* Host-chosen panel handle. 0 is never a valid panel. */
typedef uint64_t thp_panel_id;

/* Opaque handles: each side's own state, passed back to its functions. */
typedef struct thp_host thp_host;
typedef struct thp_plugin thp_plugin;

/* ---------------------------------------------------------------------------------
 * Session data (host -> plugin). Borrowed: valid only during the hook call that
 * receives it. A plugin that needs any of it later copies it.
 * ------------------------------------------------------------------------------- */

/* Identity across sessions: participant_id is unique only WITHIN one session (two
 * sessions may each call their client "participant-1"), so a plugin never links a
 * person's history by it. History across sessions is keyed only by fhir_reference;
 * a client without one has no history: every session is their first. */
typedef struct thp_participant {
  uint32_t struct_size;          /* sizeof(thp_participant) as the host built it */
  thp_str participant_id;        /* host's id, unique within the session only; required;
                                    at most THP_MAXIMUM_IDENTIFIER_BYTES, UTF-8, no NUL;
                                    otherwise the hook is refused (INVALID_ARGUMENT) */
  thp_participant_role role;     /* an unknown role is refused (INVALID_ARGUMENT) */
  thp_str display_name;          /* as shown in the call; PHI. Bad UTF-8 is replaced by
                                    U+FFFD; over THP_MAXIMUM_TEXT_BYTES it is cut at a
                                    character boundary (logged, never refused) */
  int32_t age_years;             /* age on the session date (0 to 150), or -1 when
                                    unknown; out of range: treated as -1 (logged) */
  thp_str birth_date;            /* exactly "YYYY-MM-DD", or empty when unknown; PHI.
                                    Anything else is dropped (logged) */
  thp_str preferred_language;    /* BCP 47 tag such as "en" or "es-MX", or empty. Not
                                    letters, digits and "-", or over
                                    THP_MAXIMUM_LANGUAGE_TAG_BYTES: dropped (logged) */
  thp_str fhir_reference;        /* "Patient/123" for a client, "Practitioner/…" for a
                                    clinician, "RelatedPerson/…" for a rater; or empty.
                                    Stable across sessions: the key of a client's history.
                                    Must be "Type/id" (a FHIR resource type, "/", a FHIR
                                    id of 1 to 64 of [A-Za-z0-9-.]); anything else is
                                    dropped (logged), and the client then has no history */
  /* Added in ABI 1.1 (read with THP_HAS_MEMBER): an other rater's link to the client. */
  thp_str rates_participant_id;  /* THP_ROLE_OTHER_RATER: the participant_id of the client
                                    they rate; empty when the session has one client.
                                    Malformed (as participant_id): dropped (logged) */
  thp_str relationship;          /* THP_ROLE_OTHER_RATER: their relationship to the client,
                                    an HL7 v3 RoleCode such as "MTH", "FTH", "GRD"; or empty.
                                    Over THP_MAXIMUM_RELATIONSHIP_BYTES or not UTF-8:
                                    dropped (logged) */
} thp_participant;

typedef struct thp_session {
  uint32_t struct_size;               /* sizeof(thp_session) as the host built it */
  thp_str session_id;                 /* host's id, unique per session; required; limits
                                         as participant_id (else INVALID_ARGUMENT) */
  thp_appointment_kind appointment_kind; /* unknown: refused (INVALID_ARGUMENT) */
  thp_session_medium medium;             /* unknown: refused (INVALID_ARGUMENT) */
  thp_str start_time;                 /* RFC 3339, e.g. "2026-11-02T15:00:00Z", in a year
                                         from 1900 to 2199; or empty (now). Over
                                         THP_MAXIMUM_TIME_BYTES, not UTF-8, not RFC 3339
                                         or out of range: dropped (logged), so now */
  thp_str encounter_reference;        /* "Encounter/…", or empty; malformed (as
                                         fhir_reference): dropped (logged) */
  /* Array of pointers (not of structs) so that each participant can carry its own
   * struct_size. `participant_count` pointers, none NULL, at most
   * THP_MAXIMUM_PARTICIPANTS, with distinct participant_ids; otherwise the session is
   * refused (INVALID_ARGUMENT), since the plugin cannot tell who is who. */
  const thp_participant* const* participants;
  size_t participant_count;
} thp_session;

/* ---------------------------------------------------------------------------------
 * Host -> plugin table of host functions, filled in by the host.
 * ------------------------------------------------------------------------------- */

/* Panel functions may be called from any thread (otherwise: host thread only). */
#define THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD 0x1u

/* What run_on_host_thread tells the task. */
typedef int32_t thp_task_disposition;
#define THP_TASK_RUN 0       /* run the work now; this is the host thread */
#define THP_TASK_CANCELLED 1 /* the host is stopping: do not call the host, free user_data */

typedef void (*thp_host_task)(void* user_data, thp_task_disposition disposition);

typedef struct thp_host_api {
  uint32_t struct_size; /* sizeof(thp_host_api) as the host built it */
  uint16_t abi_major;   /* THP_ABI_MAJOR the host was built with */
  uint16_t abi_minor;   /* THP_ABI_MINOR the host was built with */
  thp_host* host;       /* passed back as the first argument of every function below */
  uint32_t flags;       /* THP_HOST_FLAG_* */

  /* Writes one log line. Any thread. `message` is borrowed for the call. The host
   * adds time and plugin name. Never fails; the host may drop lines under load. */
  void (*log)(thp_host* host, thp_log_level level, thp_str message);

  /* Opens a panel for one participant, within the panel window (see the top of this
   * header: from the participant's start until they leave or the post-session window
   * closes; this includes the post-session window after session_ended). All strings are borrowed
   * for the call; the host copies what it keeps. `html` is a complete, self-contained
   * document. On THP_OK, *out_panel receives a new non-zero id.
   * Errors: THP_ERROR_NOT_FOUND (unknown session or participant, the participant
   * has left, or the post-session window has closed), THP_ERROR_INVALID_ARGUMENT (empty or oversized html, NULL out_panel),
   * THP_ERROR_WRONG_THREAD, THP_ERROR_UNAVAILABLE. */
  thp_status (*panel_open)(thp_host* host, thp_str session_id, thp_str participant_id,
                           thp_str title, thp_str html, thp_panel_id* out_panel);

  /* Sends one JSON text message to a panel's page. `json` is borrowed for the call.
   * Errors: THP_ERROR_NOT_FOUND (no such open panel), THP_ERROR_INVALID_ARGUMENT,
   * THP_ERROR_WRONG_THREAD, THP_ERROR_UNAVAILABLE. */
  thp_status (*panel_post)(thp_host* host, thp_panel_id panel, thp_str json);

  /* Closes a panel. The host does not report this closing back through panel_closed.
   * Errors: THP_ERROR_NOT_FOUND, THP_ERROR_WRONG_THREAD, THP_ERROR_UNAVAILABLE. */
  thp_status (*panel_close)(thp_host* host, thp_panel_id panel);

  /* Hands `task` to the host thread. Any thread. On THP_OK the host calls the task
   * exactly once: with THP_TASK_RUN on the host thread, or with THP_TASK_CANCELLED
   * (on any thread, after the plugin's shutdown has returned) if the host stops
   * first. `task` must stay callable until then; `user_data` is the plugin's to free
   * inside the task. A plugin must never block waiting for a task to run: the host
   * thread may be inside a plugin hook at that moment.
   * Errors: THP_ERROR_UNAVAILABLE (the host is stopping; the task will not be called),
   * THP_ERROR_INVALID_ARGUMENT (NULL task). */
  thp_status (*run_on_host_thread)(thp_host* host, thp_host_task task, void* user_data);
} thp_host_api;

/* ---------------------------------------------------------------------------------
 * Plugin -> host table of hooks, filled in by the plugin during thp_plugin_entry.
 * Every hook is called on the host thread, never concurrently, and must return
 * within microseconds. Every borrowed argument is valid only during the call.
 * A hook never throws or aborts; it returns a status and logs the reason.
 *
 * What a hook's status says: a hook checks its ARGUMENTS (the limits and rules at the
 * top of this header) and queues the event for the plugin's own thread. It does not
 * look up sessions, participants or panels on the host thread, so an id the plugin
 * does not know (never started, already finished, a duplicate) is NOT an error of the
 * call: the hook returns THP_OK and the plugin logs and ignores the event. Each hook
 * below says so. Every hook returns THP_ERROR_UNAVAILABLE once the plugin is stopping,
 * and THP_ERROR_INTERNAL for an unexpected failure (details in the log).
 * ------------------------------------------------------------------------------- */

typedef struct thp_plugin_api {
  uint32_t struct_size; /* set by the HOST before the entry call: the size of the table
                           it allocated; the plugin then sets it to the size it filled */
  uint16_t abi_major;   /* set by the plugin */
  uint16_t abi_minor;   /* set by the plugin */
  thp_plugin* plugin;   /* passed back as the first argument of every hook below */

  /* Stops the plugin: it stops accepting events, finishes or persists what it has
   * within `timeout_ms` milliseconds, stops its threads and frees itself. Called
   * once, last; no other hook and no use of `plugin` follows. Returns THP_OK, or
   * THP_ERROR_UNAVAILABLE if it had to abandon work after the timeout (nothing that
   * was acknowledged as saved is lost either way). */
  thp_status (*shutdown)(thp_plugin* plugin, uint32_t timeout_ms);

  /* A session has started (the call is live). `session` is borrowed for the call.
   * Errors: THP_ERROR_INVALID_ARGUMENT only for what makes the session unusable (a
   * NULL or too small struct, a bad session_id or participant_id, an unknown role,
   * appointment_kind or medium, more than THP_MAXIMUM_PARTICIPANTS, two participants
   * with one id); the log names the field. Bad optional fields are dropped or
   * repaired as stated at each member, and the call returns THP_OK. A repeated start
   * of a known session is logged and ignored (THP_OK). */
  thp_status (*session_started)(thp_plugin* plugin, const thp_session* session);

  /* The call has ended; the post-session window begins (see the top of this header):
   * the plugin may open end-of-session panels now. Participants' panels stay on screen
   * until closed. Errors: THP_ERROR_INVALID_ARGUMENT (bad session_id). An unknown or
   * already ended session is logged and ignored (THP_OK). */
  thp_status (*session_ended)(thp_plugin* plugin, thp_str session_id);

  /* Someone joined a running session (or came back after a dropped connection, with
   * the same participant_id). `participant` is borrowed for the call; its fields are
   * checked as in session_started. Errors: THP_ERROR_INVALID_ARGUMENT (bad session_id,
   * participant_id or role). An unknown session is logged and ignored (THP_OK); a
   * participant already present is logged and ignored (THP_OK). */
  thp_status (*participant_joined)(thp_plugin* plugin, thp_str session_id,
                                   const thp_participant* participant);

  /* Someone left. The host closes their panels and reports each through panel_closed
   * with THP_PANEL_PARTICIPANT_LEFT. Errors: THP_ERROR_INVALID_ARGUMENT (bad session_id
   * or participant_id). An unknown session or participant is logged and ignored (THP_OK). */
  thp_status (*participant_left)(thp_plugin* plugin, thp_str session_id,
                                 thp_str participant_id);

  /* A panel's page sent a message. `json` is untrusted text from the page, borrowed
   * for the call; the plugin bounds and validates it, and answers the page: all `len`
   * bytes are read, and a message over 16 KiB, nested more than 8 levels, with a NUL
   * byte or anything after the object, or with a key given twice is answered on the
   * panel as invalid (a host that reads such text itself may read it otherwise).
   * Returns THP_OK for those. Errors: THP_ERROR_INVALID_ARGUMENT (len > 0 with a NULL
   * ptr). An unknown or closed panel is logged and ignored (THP_OK). */
  thp_status (*panel_message)(thp_plugin* plugin, thp_panel_id panel, thp_str json);

  /* A panel went away for `reason`. Messages for it after this are ignored. An
   * unknown or already closed panel is logged and ignored (THP_OK). */
  thp_status (*panel_closed)(thp_plugin* plugin, thp_panel_id panel,
                             thp_panel_close_reason reason);
} thp_plugin_api;

/* ---------------------------------------------------------------------------------
 * The entry point. Type of the one exported symbol.
 *
 * Called once, on the host thread, after dlopen. The host passes:
 *   host                  its function table; it must stay valid until shutdown returns.
 *   configuration         the plugin's configuration text (JSON), borrowed for the call.
 *   configuration_origin  where that text came from (a file path), borrowed; used in
 *                         messages and to resolve relative paths; may be empty.
 *   out_api               a table the host allocated and zeroed, with struct_size set
 *                         to its size. The plugin fills at most struct_size bytes.
 *   error, error_capacity a buffer for a NUL-terminated, human-readable reason on
 *                         failure (truncated to fit). The plugin writes nothing else.
 * Returns THP_OK with out_api filled, or an error with the reason in `error`:
 *   THP_ERROR_INCOMPATIBLE_ABI (different abi_major, or a table too small),
 *   THP_ERROR_CONFIGURATION (every problem, each with its key and reason),
 *   THP_ERROR_INVALID_ARGUMENT, THP_ERROR_INTERNAL.
 * On failure the plugin leaves no threads running and holds no resources; the host
 * must not call shutdown.
 * ------------------------------------------------------------------------------- */
typedef thp_status (*thp_plugin_entry_fn)(const thp_host_api* host, thp_str configuration,
                                          thp_str configuration_origin,
                                          thp_plugin_api* out_api, char* error,
                                          size_t error_capacity);

/* The plugin defines this function (and exports nothing else). */
THP_EXPORT thp_status thp_plugin_entry(const thp_host_api* host, thp_str configuration,
                                       thp_str configuration_origin,
                                       thp_plugin_api* out_api, char* error,
                                       size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif /* TELEHEALTH_PLUGIN_ABI_H */
