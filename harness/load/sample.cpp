#include "harness/load/sample.h"

namespace faultline::load {

std::string to_string(ErrorClass e) {
  switch (e) {
    case ErrorClass::none:
      return "none";
    case ErrorClass::connect_refused:
      return "connect_refused";
    case ErrorClass::connect_timeout:
      return "connect_timeout";
    case ErrorClass::response_timeout:
      return "response_timeout";
    case ErrorClass::reset:
      return "reset";
    case ErrorClass::other:
      return "other";
    case ErrorClass::tls:
      return "tls";
  }
  return "other";
}

}  // namespace faultline::load
