// The entry point of the built plugin, loaded the way a host loads it, offered host
// tables of other ABI versions and sizes, and configurations with problems.
#include <dlfcn.h>
#include <sys/stat.h>
#include <doctest/doctest.h>

#include <string>

#include "telehealth/plugin_abi.h"
#include "test_support.hpp"

using alliance::testing::TemporaryFolder;

namespace {

thp_plugin_entry_fn load_entry() {
  void* library = dlopen(ALLIANCE_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(library != nullptr, dlerror());
  auto entry = reinterpret_cast<thp_plugin_entry_fn>(dlsym(library, THP_ENTRY_SYMBOL));
  REQUIRE(static_cast<bool>(entry));
  return entry;  // never unloaded, as hosts do
}

void quiet_log(thp_host*, thp_log_level, thp_str) {}
thp_status no_open(thp_host*, thp_str, thp_str, thp_str, thp_str, thp_panel_id*) { return THP_ERROR_UNAVAILABLE; }
thp_status no_post(thp_host*, thp_panel_id, thp_str) { return THP_ERROR_UNAVAILABLE; }
thp_status no_close(thp_host*, thp_panel_id) { return THP_ERROR_UNAVAILABLE; }
thp_status no_task(thp_host*, thp_host_task, void*) { return THP_ERROR_UNAVAILABLE; }

thp_host_api host_table() {
  thp_host_api host{};
  host.struct_size = sizeof host;
  host.abi_major = THP_ABI_MAJOR;
  host.abi_minor = THP_ABI_MINOR;
  host.flags = THP_HOST_FLAG_PANEL_CALLS_FROM_ANY_THREAD;
  host.log = &quiet_log;
  host.panel_open = &no_open;
  host.panel_post = &no_post;
  host.panel_close = &no_close;
  host.run_on_host_thread = &no_task;
  return host;
}

struct Attempt {
  thp_status status = THP_OK;
  std::string error;
  thp_plugin_api api{};
};

thp_str view(const std::string& text) { return {text.data(), text.size()}; }

Attempt start(const thp_host_api& host, const std::string& configuration, const std::string& origin = "",
              uint32_t api_size = sizeof(thp_plugin_api)) {
  Attempt attempt;
  attempt.api.struct_size = api_size;
  char error[2048] = "untouched";
  attempt.status = load_entry()(&host, view(configuration), view(origin), &attempt.api, error, sizeof error);
  attempt.error = error;
  return attempt;
}

std::string good_configuration(const TemporaryFolder& folder) {
  return R"({"store": {"path": ")" + (folder.path() / "alliance.db").string() + R"(", "key_file": ")" +
         alliance::testing::write_key_file(folder.path()).string() +
         R"("}, "measures": {"questionnaire_folder": ")" ALLIANCE_QUESTIONNAIRE_DIR R"("}})";
}

}  // namespace

TEST_SUITE("abi") {
  TEST_CASE("a host of the same major version starts the plugin and gets every hook") {
    TemporaryFolder folder;
    Attempt attempt = start(host_table(), good_configuration(folder));
    REQUIRE_MESSAGE(attempt.status == THP_OK, attempt.error);
    CHECK(attempt.api.abi_major == THP_ABI_MAJOR);
    CHECK(attempt.api.struct_size == sizeof(thp_plugin_api));
    CHECK(static_cast<bool>(attempt.api.session_started));
    CHECK(static_cast<bool>(attempt.api.panel_closed));
    CHECK(attempt.api.shutdown(attempt.api.plugin, 1000) == THP_OK);
  }

  TEST_CASE("a host with a newer minor version and a larger table is accepted") {
    TemporaryFolder folder;
    struct LargerHostTable {
      thp_host_api base;
      void* added_in_a_later_minor;
    } larger{host_table(), nullptr};
    larger.base.struct_size = sizeof larger;
    larger.base.abi_minor = THP_ABI_MINOR + 3;
    Attempt attempt = start(larger.base, good_configuration(folder));
    REQUIRE_MESSAGE(attempt.status == THP_OK, attempt.error);
    CHECK(attempt.api.shutdown(attempt.api.plugin, 1000) == THP_OK);
  }

  TEST_CASE("a host of another major version is refused with both versions named") {
    TemporaryFolder folder;
    thp_host_api host = host_table();
    host.abi_major = THP_ABI_MAJOR + 1;
    const Attempt attempt = start(host, good_configuration(folder));
    CHECK(attempt.status == THP_ERROR_INCOMPATIBLE_ABI);
    CHECK(attempt.error.find("plugin ABI 1.1") != std::string::npos);
    CHECK(attempt.error.find("host speaks 2." + std::to_string(THP_ABI_MINOR)) != std::string::npos);
    CHECK(attempt.api.plugin == nullptr);
  }

  TEST_CASE("tables too small for ABI 1.0 or missing functions are refused") {
    TemporaryFolder folder;
    thp_host_api small = host_table();
    small.struct_size = offsetof(thp_host_api, panel_post);
    CHECK(start(small, good_configuration(folder)).status == THP_ERROR_INCOMPATIBLE_ABI);

    thp_host_api missing = host_table();
    missing.panel_open = nullptr;
    CHECK(start(missing, good_configuration(folder)).status == THP_ERROR_INCOMPATIBLE_ABI);

    CHECK(start(host_table(), good_configuration(folder), "", 16).status == THP_ERROR_INCOMPATIBLE_ABI);
  }

  TEST_CASE("configuration problems come back in the error buffer with their keys") {
    const Attempt attempt = start(host_table(), R"({"store": {}, "measures": {"questionnaire_folder": 3}})",
                                  "/etc/alliance/alliance.json");
    CHECK(attempt.status == THP_ERROR_CONFIGURATION);
    CHECK(attempt.error.find("/etc/alliance/alliance.json") == 0);
    CHECK(attempt.error.find("store.path: required") != std::string::npos);
    CHECK(attempt.error.find("measures.questionnaire_folder: must be non-empty text") != std::string::npos);
  }

  TEST_CASE("a missing measure folder and an unusable store are configuration errors") {
    TemporaryFolder folder;
    const std::string key = alliance::testing::write_key_file(folder.path()).string();
    const Attempt no_measures =
        start(host_table(), R"({"store": {"path": ")" + (folder.path() / "a.db").string() + R"(", "key_file": ")" + key +
                                R"("}, "measures": {"questionnaire_folder": "/nonexistent"}})");
    CHECK(no_measures.status == THP_ERROR_CONFIGURATION);
    CHECK(no_measures.error.find("measures.questionnaire_folder") != std::string::npos);

    alliance::testing::write_file(folder.path() / "plain-file", "x");
    const Attempt bad_store =
        start(host_table(), R"({"store": {"path": ")" + (folder.path() / "plain-file" / "a.db").string() +
                                R"(", "key_file": ")" + key +
                                R"("}, "measures": {"questionnaire_folder": ")" ALLIANCE_QUESTIONNAIRE_DIR R"("}})");
    CHECK(bad_store.status == THP_ERROR_CONFIGURATION);
    CHECK(bad_store.error.find("store.path") != std::string::npos);
  }

  TEST_CASE("a store key readable by others stops the plugin from starting") {
    TemporaryFolder folder;
    const auto key = alliance::testing::write_key_file(folder.path());
    ::chmod(key.c_str(), 0644);
    const Attempt attempt =
        start(host_table(), R"({"store": {"path": ")" + (folder.path() / "a.db").string() + R"(", "key_file": ")" +
                                key.string() + R"("}, "measures": {"questionnaire_folder": ")" ALLIANCE_QUESTIONNAIRE_DIR R"("}})");
    CHECK(attempt.status == THP_ERROR_CONFIGURATION);
    CHECK(attempt.error.find("store.key_file") != std::string::npos);
    CHECK(attempt.error.find("readable by others") != std::string::npos);
  }

  TEST_CASE("bad FHIR settings stop the plugin with the key and the reason") {
    TemporaryFolder folder;
    const std::string key = alliance::testing::write_key_file(folder.path()).string();
    const auto with_fhir = [&](const std::string& fhir) {
      return start(host_table(), R"({"store": {"path": ")" + (folder.path() / "a.db").string() + R"(", "key_file": ")" +
                                     key + R"("}, "measures": {"questionnaire_folder": ")" ALLIANCE_QUESTIONNAIRE_DIR
                                     R"("}, "fhir": )" + fhir + "}");
    };
    const Attempt unreadable_ca = with_fhir(R"({"base_url": "https://ehr.example.org/fhir", "ca_file": "/nonexistent/ca.pem"})");
    CHECK(unreadable_ca.status == THP_ERROR_CONFIGURATION);
    CHECK(unreadable_ca.error.find("fhir.ca_file") != std::string::npos);
    const Attempt malformed = with_fhir(R"({"base_url": "https://ehr example org/fhir"})");
    CHECK(malformed.status == THP_ERROR_CONFIGURATION);
    CHECK(malformed.error.find("fhir.base_url") != std::string::npos);
    const Attempt clear_text = with_fhir(R"({"base_url": "http://ehr.example.org/fhir"})");
    CHECK(clear_text.error.find("fhir.base_url: must start with https://") != std::string::npos);
    const Attempt missing_smart_key = with_fhir(
        R"({"base_url": "https://ehr.example.org/fhir", "smart": {"client_id": "c", "private_key_file": "/nonexistent.key", "key_id": "k"}})");
    CHECK(missing_smart_key.status == THP_ERROR_CONFIGURATION);
    CHECK(missing_smart_key.error.find("fhir.smart.private_key_file") != std::string::npos);
  }

  TEST_CASE("a missing store key file stops the plugin naming the key") {
    TemporaryFolder folder;
    const Attempt attempt = start(host_table(), R"({"store": {"path": ")" + (folder.path() / "a.db").string() +
                                                    R"(", "key_file": "/nonexistent/store.key"}, "measures": {"questionnaire_folder": ")" ALLIANCE_QUESTIONNAIRE_DIR R"("}})");
    CHECK(attempt.status == THP_ERROR_CONFIGURATION);
    CHECK(attempt.error.find("store.key_file") != std::string::npos);
    CHECK(attempt.error.find("/nonexistent/store.key") != std::string::npos);
  }

  TEST_CASE("an error longer than the buffer is truncated and terminated") {
    thp_host_api host = host_table();
    host.abi_major = 7;
    thp_plugin_api api{};
    api.struct_size = sizeof api;
    char error[8];
    const std::string empty;
    CHECK(load_entry()(&host, view(empty), view(empty), &api, error, sizeof error) == THP_ERROR_INCOMPATIBLE_ABI);
    CHECK(std::string(error).size() == 7);
  }
}
