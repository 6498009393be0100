#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/experiment/field_reader.h"
#include "harness/experiment/model.h"
#include "harness/experiment/source_tree.h"

// The loader's checks, one function per section of an experiment. Each
// checks its whole section, reports every problem through the FieldReader
// and fills in what it could read, so later sections can still be checked.
namespace faultline::experiment {

// What the checks of one section need to know about others. A value is set
// only when it was read without error, so one mistake is reported once, not
// again by every check that depends on it.
struct SectionContext {
  std::optional<Duration> load_duration;
  std::optional<Duration> steady_state;
  // The experiment file (absolute; empty for text from no file): files the
  // load names (body_file) are read relative to its folder.
  std::string source_file;
};

// The names of the services, for references (load.target, backends, fault
// targets) and their "did you mean" hints.
std::vector<std::string> service_names(const Stack& stack);

// "unknown service" diagnostics for a reference to a service.
bool check_service_ref(FieldReader& r, const Stack& stack, const SourceNode& node, const std::string& name,
                       const std::string& what);

// Fills exp.stack. The files and folders a service names (config, workdir)
// are resolved against the folder of exp.source_file, set before.
void read_stack(const SourceEntry& section, FieldReader& r, Experiment& exp);
// Parts of the stack section (stack_addresses.cpp): `subnet` and
// `external_targets`, the latter checked against the subnet read before it.
void read_subnet(const SourceNode& node, FieldReader& r, Stack& stack);
void read_external_targets(const SourceNode& node, FieldReader& r, Stack& stack);
void read_load(const SourceEntry& section, FieldReader& r, const Stack& stack, Load& load,
               SectionContext& ctx);
// Part of the load section (request_section.cpp): `requests` (the weighted
// mix, or the one default GET of `path` without it) and `seed`. Called
// after `path` was read.
void read_request_mix(const SourceNode& load_node, FieldReader& r, const std::string& source_file,
                      Load& load);
// An HTTP header name: an RFC 9110 token.
bool is_header_name(const std::string& name);
// The load section's HTTPS keys (load_tls_section.cpp), after read_load and
// read_stack: checked against the target service.
void read_load_tls(const SourceEntry& section, FieldReader& r, const Experiment& exp, Load& load);
void read_slo(const SourceEntry& section, FieldReader& r, Slo& slo, SectionContext& ctx);
void read_method(const SourceEntry& section, FieldReader& r, const Stack& stack, const SectionContext& ctx,
                 std::vector<MethodStep>& method);
void read_postmortem(const SourceEntry& section, FieldReader& r, Postmortem& postmortem);

}  // namespace faultline::experiment
