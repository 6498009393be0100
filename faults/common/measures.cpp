#include "faults/common/measures.h"

namespace faultline::faults {

std::string to_string(MeasureType type) {
  switch (type) {
    case MeasureType::prevent:
      return "prevent";
    case MeasureType::mitigate:
      return "mitigate";
    case MeasureType::detect:
      return "detect";
    case MeasureType::process:
      return "process";
  }
  return "process";  // unreachable: every enumerator is handled above
}

}  // namespace faultline::faults
