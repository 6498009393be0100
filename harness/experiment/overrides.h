#pragma once

#include "harness/experiment/diagnostics.h"
#include "harness/experiment/loader.h"
#include "harness/experiment/source_tree.h"

namespace faultline::experiment {

// Where a problem caused by an override is reported: `--set <path>` stands in
// for the file name, and there is no line.
SourcePos override_pos(const Override& setting);

// Applies one `--set path=value` to the document before it is checked: the
// path walks map keys (creating missing maps), the value is parsed as YAML.
// Nodes it creates carry override_pos(), so a bad value is reported against
// the override. A path through a list or a single value is reported and the
// document is left unchanged.
void apply_override(SourceNode& root, const Override& setting, Diagnostics& diags);

}  // namespace faultline::experiment
