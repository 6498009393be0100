#pragma once

#include "harness/experiment/field_reader.h"
#include "harness/experiment/model.h"
#include "harness/experiment/source_tree.h"

// A service of the team's own, part of the stack section (stack_section.cpp
// reads the rest of a service): a load balancer or web server run from the
// team's config file (`config:`), or the team's program (`kind: process`,
// with `command`, `ready`, `env` and `workdir`). Each function reports its
// problems through the FieldReader and fills in what it could read.
namespace faultline::experiment {

// `config:` of a haproxy or nginx service: the team's file, which must be a
// readable regular file, into s.own.config (absolute) and s.own.config_pos.
void read_own_config(const SourceEntry& config, FieldReader& r, const Experiment& exp, Service& s);

// `config:` on a kind that has no config file of the team's (app, process).
void refuse_config(const SourceEntry& config, FieldReader& r, const Service& s);

// The keys of `service` whose settings the file named by `config` (the
// value as written) now holds: each is an error that names the file.
void refuse_keys_beside_config(const SourceNode& service, const SourceNode& config, FieldReader& r,
                               const Service& s);

// A service of kind process: `command` and `port` (required), `ready`, `env`
// and `workdir` into s.own.
void read_process(const SourceEntry& service, FieldReader& r, const Experiment& exp, Service& s);

// `command`, `ready`, `env` or `workdir` on a service of another kind.
void refuse_process_keys(const SourceNode& service, FieldReader& r, const Service& s);

}  // namespace faultline::experiment
