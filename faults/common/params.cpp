#include "faults/common/params.h"

#include "faults/common/param_wording.h"

namespace faultline::faults {

ParamReader::ParamReader(const experiment::MethodStep& step, std::string fault,
                         const std::vector<std::string>& known, experiment::Diagnostics& diags)
    : step_(step), fault_(std::move(fault)), diags_(diags), values_(diags, ParamWording::instance()) {
  const experiment::SourceNode& params = step_.params_source;
  if (values_.expect_map(params, fault_) && params.is_map()) {
    values_.check_keys(params, known, fault_);
  }
}

const experiment::SourceNode* ParamReader::find(const std::string& name) const {
  return step_.params_source.find(name);
}

void ParamReader::missing(const std::string& name) {
  values_.missing(step_.pos, name, fault_);
}

experiment::SourcePos ParamReader::pos_of(const std::string& name) const {
  const experiment::SourceNode* node = find(name);
  return node != nullptr ? node->pos : step_.pos;
}

void ParamReader::error_at(const std::string& name, std::string message, std::string hint) {
  diags_.error(pos_of(name), std::move(message), std::move(hint));
  ok_ = false;
}

}  // namespace faultline::faults
