#include "auth/smart_discovery.hpp"

#include <string>
#include <utility>

namespace alliance::fhir::auth {

void fetch_smart_configuration(HttpsClient& client, std::optional<SigningAlgorithm> algorithm,
                               std::function<void(SmartConfigurationResult)> done) {
  HttpRequest request;
  request.method = HttpMethod::get;
  request.target = smart_configuration_target;
  request.extra_headers = {{"Accept", "application/json"}};
  client.send(std::move(request), [algorithm, done = std::move(done)](HttpResult http) {
    SmartConfigurationResult result;
    if (!http.ok()) {
      result.error = "could not fetch " + std::string(smart_configuration_name) + ": " + http.message;
      done(std::move(result));
      return;
    }
    const int status = http.response.status;
    if (status == 200) {
      done(parse_smart_configuration(http.response.body, algorithm));
      return;
    }
    result.error = std::string(smart_configuration_name) + " answered HTTP " + std::to_string(status);
    if (status == 408 || status == 429 || status >= 500) {
      result.error += "; trying again later";
    } else {
      result.permanent = true;
      result.error += status == 404 ? ": the server publishes no SMART configuration there; check the base URL, or "
                                      "configure the token endpoint in the settings"
                                    : ": configure the token endpoint in the settings, or check the base URL";
    }
    done(std::move(result));
  });
}

}  // namespace alliance::fhir::auth
