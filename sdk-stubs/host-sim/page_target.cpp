#include "page_target.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace host_sim {

PageTarget read_page_target(std::string_view target) {
  PageTarget read;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return read;
  const boost::urls::url_view& url = *parsed;
  read.path = std::string(url.encoded_path());
  if (url.has_query()) {
    auto parameters = url.params();
    if (parameters.size() != 1) return read;
    boost::urls::param parameter = *parameters.begin();
    if (parameter.key != "key" || !parameter.has_value) return read;
    read.key = parameter.value;
  }
  read.usable = true;
  return read;
}

}  // namespace host_sim
