#pragma once

#include <string>

#include "harness/experiment/field_reader.h"
#include "harness/experiment/model.h"
#include "harness/experiment/source_tree.h"

// The container runtimes' part of the stack section (stack_section.cpp
// reads the rest): `runtime: docker`, where faultline creates containers
// from images (`image:`, `config_path:`), and `runtime: compose`, where it
// attaches to a Compose project the team runs (`project:`) and the team's
// Compose file owns everything but what a service is (`kind`), where the
// load reaches it (`port`) and what it balances (`backends`). Each function
// reports its problems through the FieldReader and fills in what it could
// read.
namespace faultline::experiment {

// The rules a stack's services are checked by. `unchecked`: stack.runtime
// has an error, so the keys that depend on it are not checked at all (a
// typo in the runtime is reported once, not again at every service).
enum class RuntimeRules { unchecked, netns, docker, compose };

// stack.runtime into stack.runtime and runtime_pos, and the rules it sets.
RuntimeRules read_runtime(const SourceNode& node, FieldReader& r, Stack& stack);

// stack.project: required on compose, refused on the other runtimes.
// `runtime` is the value of stack.runtime (for the missing key's position),
// or null when the key is absent.
void read_project(const SourceNode& section, const SourceNode* runtime, RuntimeRules rules, FieldReader& r,
                  Stack& stack);

// A Compose service name: a letter or digit, then letters, digits, '.', '_'
// or '-', at most 63 characters (a Compose service name that is also a
// host name on the project's network).
bool valid_compose_service_name(const std::string& name);

// Whether `kind` runs on the runtime; reports it at `kind_node` if not.
bool kind_runs_on(RuntimeRules rules, ServiceKind kind, const SourceNode& kind_node, FieldReader& r);

// runtime docker, kind haproxy or nginx: `image` (required) and
// `config_path` (the kind's default when absent) into s.
void read_image_keys(const SourceEntry& service, FieldReader& r, Service& s);

// `image` or `config_path` on runtime netns.
void refuse_image_keys(const SourceNode& service, FieldReader& r, const Service& s);

// `command`, `ready`, `env` or `workdir` on runtime docker, where faultline
// starts the image's server with a command line of its own.
void refuse_process_keys_on_docker(const SourceNode& service, FieldReader& r, const Service& s);

// runtime compose: every key of `service` but kind, port and backends is
// the Compose file's; each one written is an error.
void refuse_keys_owned_by_compose(const SourceNode& service, FieldReader& r, const Stack& stack,
                                  const Service& s);

}  // namespace faultline::experiment
