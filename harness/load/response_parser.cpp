#include "harness/load/response_parser.h"

#include <boost/beast/core/string.hpp>
#include <limits>

namespace faultline::load {

ResponseParser::ResponseParser(std::string_view backend_header, BackendNames& names)
    : backend_header_(backend_header), names_(names) {
  // The generator only counts responses; any body size is acceptable, and
  // eager parsing lets one put() take a whole response. (Not boost::none:
  // Boost 1.74 compares the length against the optional itself and rejects
  // every body when the limit is disabled that way.)
  body_limit(std::numeric_limits<std::uint64_t>::max());
  eager(true);
}

void ResponseParser::on_response_impl(int code, string_view, int, error_code&) {
  status_ = code;
}

void ResponseParser::on_field_impl(boost::beast::http::field, string_view name_string, string_view value,
                                   error_code&) {
  if (boost::beast::iequals(name_string, string_view(backend_header_.data(), backend_header_.size()))) {
    backend_ = names_.intern(std::string_view(value.data(), value.size()));
  }
}

}  // namespace faultline::load
