// The container runtimes' keys: stack.runtime and stack.project, and a
// service's image and config_path (runtime docker), with what each runtime
// refuses. The runtimes themselves are not part of the experiment: this
// file only decides what a file may say and what it means.

#include "harness/experiment/container_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <utility>
#include <vector>

namespace faultline::experiment {

namespace {

const std::vector<std::string> kRuntimes = {kRuntimeNetns, kRuntimeDocker, kRuntimeCompose, "local"};

// The keys of a service on runtime compose that the team's Compose file
// (or the configs it mounts, or the image it names) holds, each with what
// it decides ({} is the service's name).
const std::vector<std::pair<std::string, std::string>> kOwnedByCompose = {
    {"image", "which image {} runs"},
    {"config", "the config {} runs"},
    {"config_path", "the config {} runs"},
    {"command", "how {} starts"},
    {"ready", "how {} starts"},
    {"env", "how {} starts"},
    {"workdir", "how {} starts"},
    {"balance", "how {} balances"},
    {"weights", "how {} balances"},
    {"hash_balance_factor", "how {} balances"},
    {"health_check", "how {} checks its backends"},
    {"timeouts", "how long {} waits"},
    {"maxconn", "how many requests {} sends each backend at once"},
    {"retries", "whether and how {} retries"},
    {"retry_on", "whether and how {} retries"},
    {"redispatch", "whether and how {} retries"},
    {"capacity", "how much {} serves"},
};
const std::vector<std::string> kProcessKeys = {"command", "ready", "env", "workdir"};

constexpr const char* kImageHint =
    "e.g. haproxy:2.8, nginx:1.25, registry.example/shop/web:1.4 or name@sha256:<digest>";

bool has_uppercase(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isupper(c) != 0; });
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

struct Problem {
  std::string message;
  std::string hint;
};

// Docker's reference grammar (distribution's reference package):
// [domain[:port]/]path[:tag][@digest]. The first part is a registry when it
// has a '.' or a ':' or is localhost, as Docker decides it.
std::optional<Problem> image_problem(const std::string& ref) {
  static const std::regex domain(
      R"(^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(?::[0-9]+)?$)");
  static const std::regex component(R"(^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$)");
  static const std::regex tag(R"(^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$)");
  static const std::regex digest(R"(^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$)");
  const Problem not_reference{fmt::format("'image' must be a Docker image reference, not '{}'", ref),
                              kImageHint};
  if (std::any_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isspace(c) != 0; })) {
    return not_reference;
  }
  std::string name = ref;
  if (const auto at = name.find('@'); at != std::string::npos) {
    if (!std::regex_match(name.substr(at + 1), digest)) {
      return Problem{fmt::format("'{}' is not an image digest", name.substr(at + 1)),
                     "a digest is the algorithm and the hex digits, e.g. nginx@sha256:<64 hex digits>"};
    }
    name.resize(at);
  }
  const auto slash = name.rfind('/');
  if (const auto colon = name.rfind(':');
      colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    if (!std::regex_match(name.substr(colon + 1), tag)) {
      return Problem{fmt::format("'{}' is not an image tag", name.substr(colon + 1)),
                     "a tag is letters, digits, '_', '.' and '-' (not first), at most 128, e.g. nginx:1.25"};
    }
    name.resize(colon);
  }
  if (name.empty() || name.size() > 255) {
    return not_reference;
  }
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const auto end = name.find('/', start);
    parts.push_back(name.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  const std::string& first = parts.front();
  const bool has_domain =
      parts.size() > 1 && (first.find_first_of(".:") != std::string::npos || first == "localhost");
  if (has_domain && !std::regex_match(first, domain)) {
    return Problem{
        fmt::format("'{}' is not a registry host name", first),
        "a registry is a host name with an optional port, e.g. registry.example:5000/shop/web:1.4"};
  }
  for (size_t i = has_domain ? 1 : 0; i < parts.size(); ++i) {
    if (std::regex_match(parts[i], component)) {
      continue;
    }
    // The whole repository path in lowercase, when that is all it takes.
    const size_t path_start = has_domain ? first.size() + 1 : 0;
    const std::string path = lowered(name.substr(path_start));
    const bool fixable =
        std::all_of(parts.begin() + (has_domain ? 1 : 0), parts.end(),
                    [&](const std::string& p) { return std::regex_match(lowered(p), component); });
    if (has_uppercase(parts[i]) && fixable) {
      std::string fixed = ref;
      fixed.replace(path_start, path.size(), path);
      return Problem{fmt::format("image repository names are lowercase: '{}'", ref),
                     fmt::format("did you mean '{}'?", fixed)};
    }
    return not_reference;
  }
  return std::nullopt;
}

void read_image(const SourceEntry& entry, FieldReader& r, Service& s) {
  const auto text = r.non_empty_text(entry.value, "image");
  if (!text) {
    return;
  }
  if (auto problem = image_problem(*text)) {
    r.diags().error(entry.value.pos, problem->message, problem->hint);
    return;
  }
  s.image = *text;
  s.image_pos = entry.value.pos;
  // Without a tag Docker takes `latest`, which is whatever was pushed last:
  // two runs of the same file could test two versions and compare them.
  const auto slash = text->rfind('/');
  const auto colon = text->rfind(':');
  const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged && text->find('@') == std::string::npos) {
    r.diags().warning(entry.value.pos,
                      fmt::format("image '{}' has no tag: Docker runs {}:latest", *text, *text),
                      "latest changes with every push, and runs of this file could test different versions: "
                      "pin a tag, e.g. nginx:1.25");
  }
}

void read_config_path(const SourceEntry& entry, FieldReader& r, Service& s) {
  const auto text = r.non_empty_text(entry.value, "config_path");
  if (!text) {
    return;
  }
  const std::string example = fmt::format("e.g. config_path: {}", default_config_path(s.kind));
  if (text->front() != '/') {
    r.diags().error(entry.value.pos,
                    fmt::format("'config_path' must be an absolute path inside the image, not '{}'", *text),
                    example);
    return;
  }
  if (text->back() == '/') {
    r.diags().error(entry.value.pos, fmt::format("'config_path' must name a file, not the folder {}", *text),
                    example);
    return;
  }
  // A plain path: the config is mounted there, and '..' or '.' would leave
  // the reader guessing which file that is.
  for (size_t start = 1; start <= text->size();) {
    const auto end = std::min(text->find('/', start), text->size());
    const std::string part = text->substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      r.diags().error(
          entry.value.pos,
          fmt::format("'config_path' must be a plain absolute path, without '//', '.' or '..': '{}'", *text),
          example);
      return;
    }
    start = end + 1;
  }
  s.config_path = *text;
}

}  // namespace

RuntimeRules read_runtime(const SourceNode& node, FieldReader& r, Stack& stack) {
  const auto name = r.choice(node, "runtime", kRuntimes);
  if (!name) {
    return RuntimeRules::unchecked;
  }
  if (*name == "local") {
    r.diags().error(node.pos, "runtime 'local' is not available yet",
                    "use runtime: netns (the default), docker or compose");
    return RuntimeRules::unchecked;
  }
  stack.runtime = *name;
  stack.runtime_pos = node.pos;
  if (*name == kRuntimeDocker) {
    return RuntimeRules::docker;
  }
  return *name == kRuntimeCompose ? RuntimeRules::compose : RuntimeRules::netns;
}

void read_project(const SourceNode& section, const SourceNode* runtime, RuntimeRules rules, FieldReader& r,
                  Stack& stack) {
  const SourceEntry* project = section.find_entry("project");
  if (rules != RuntimeRules::compose) {
    if (project != nullptr && rules != RuntimeRules::unchecked) {
      r.diags().error(
          project->key_pos, "'project' is for runtime: compose",
          fmt::format("it names the Compose project to attach to; on runtime {} faultline creates "
                      "the stack itself (remove it, or set runtime: compose)",
                      stack.runtime));
    }
    return;
  }
  if (project == nullptr) {
    r.diags().error(runtime->pos, "runtime compose needs 'project' in stack",
                    "the name of the Compose project to attach to, as `docker compose ls` lists it, e.g. "
                    "project: shop");
    return;
  }
  const auto name = r.non_empty_text(project->value, "project");
  if (!name) {
    return;
  }
  // Compose's own rule for project names; its containers carry the name
  // in their com.docker.compose.project label, which is how they are found.
  static const std::regex valid(R"(^[a-z0-9][a-z0-9_-]*$)");
  if (!std::regex_match(*name, valid)) {
    std::string normalised;
    for (const char c : lowered(*name)) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-') {
        normalised += c;
      }
    }
    r.diags().error(project->value.pos, fmt::format("'{}' is not a Compose project name", *name),
                    normalised.empty() || !std::regex_match(normalised, valid)
                        ? "a project name is lowercase letters, digits, '_' and '-', starting with a letter "
                          "or digit"
                        : fmt::format("Compose names the project in lowercase letters, digits, '_' and '-': "
                                      "did you mean '{}'?",
                                      normalised));
    return;
  }
  stack.project = *name;
  stack.project_pos = project->value.pos;
}

bool valid_compose_service_name(const std::string& name) {
  static const std::regex valid(R"(^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$)");
  return std::regex_match(name, valid);
}

bool kind_runs_on(RuntimeRules rules, ServiceKind kind, const SourceNode& kind_node, FieldReader& r) {
  if (rules == RuntimeRules::docker && (kind == ServiceKind::app || kind == ServiceKind::process)) {
    r.diags().error(kind_node.pos, fmt::format("kind {} does not run on runtime docker", to_string(kind)),
                    kind == ServiceKind::app
                        ? "app is faultline's own test server, not an image: on runtime docker a backend is "
                          "an nginx image (capacity: limits its rate), or use runtime: netns"
                        : "runtime docker runs haproxy and nginx images; a program of your own runs on "
                          "runtime netns, or as a service of a Compose project faultline attaches to "
                          "(runtime: compose)");
    return false;
  }
  if (rules == RuntimeRules::compose && kind == ServiceKind::app) {
    r.diags().error(kind_node.pos, "kind app does not apply on runtime compose",
                    "app is faultline's own test server, which a team's project does not run: a service "
                    "that is neither HAProxy nor nginx is kind: process");
    return false;
  }
  return true;
}

void read_image_keys(const SourceEntry& service, FieldReader& r, Service& s) {
  const SourceNode& node = service.value;
  if (const SourceEntry* image = node.find_entry("image")) {
    read_image(*image, r, s);
  } else {
    // No default image: the server's version is part of what a drill tests,
    // and an offline machine has only the images it was given.
    r.diags().error(service.key_pos, fmt::format("service '{}' needs 'image' on runtime docker", s.name),
                    fmt::format("the image its {} runs from, e.g. image: {}", to_string(s.kind),
                                s.kind == ServiceKind::haproxy ? "haproxy:2.8" : "nginx:1.25"));
  }
  s.config_path = default_config_path(s.kind);
  if (const SourceEntry* config_path = node.find_entry("config_path")) {
    read_config_path(*config_path, r, s);
  }
}

void refuse_image_keys(const SourceNode& service, FieldReader& r, const Service& s) {
  for (const char* key : {"image", "config_path"}) {
    if (const SourceEntry* e = service.find_entry(key)) {
      r.diags().error(
          e->key_pos, fmt::format("'{}' is for runtime: docker", key),
          fmt::format("on runtime netns faultline runs '{}' from this machine's programs; to run it "
                      "from an image, set stack.runtime: docker (else remove '{}')",
                      s.name, key));
    }
  }
}

void refuse_process_keys_on_docker(const SourceNode& service, FieldReader& r, const Service& s) {
  for (const auto& key : kProcessKeys) {
    if (const SourceEntry* e = service.find_entry(key)) {
      r.diags().error(e->key_pos, fmt::format("'{}' does not apply on runtime docker", key),
                      fmt::format("faultline starts {}'s {} in its container with a command line of its own, "
                                  "pointing at the config mounted at config_path (remove '{}')",
                                  s.name, to_string(s.kind), key));
    }
  }
}

void refuse_keys_owned_by_compose(const SourceNode& service, FieldReader& r, const Stack& stack,
                                  const Service& s) {
  const std::string project =
      stack.project.empty() ? "the project" : fmt::format("project '{}'", stack.project);
  for (const auto& [key, decides] : kOwnedByCompose) {
    if (const SourceEntry* e = service.find_entry(key)) {
      r.diags().error(
          e->key_pos, fmt::format("'{}' cannot be set on runtime compose", key),
          fmt::format("the team's Compose file decides {}: faultline attaches to {} as it runs and "
                      "creates or configures nothing (remove '{}'; faults change settings for the "
                      "drill and put them back)",
                      fmt::format(fmt::runtime(decides), s.name), project, key));
    }
  }
}

}  // namespace faultline::experiment
