#include "harness/experiment/model.h"

#include <filesystem>

namespace faultline::experiment {

std::string to_string(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::haproxy:
      return "haproxy";
    case ServiceKind::nginx:
      return "nginx";
    case ServiceKind::app:
      return "app";
    case ServiceKind::process:
      return "process";
  }
  return "unknown";
}

std::string to_string(Expectation e) {
  switch (e) {
    case Expectation::breach:
      return "breach";
    case Expectation::hold:
      return "hold";
  }
  return "unknown";
}

std::string default_config_path(ServiceKind kind) {
  // The paths of the official images on Docker Hub (nginx: the Debian
  // package's, which the image is built from; haproxy: the image installs
  // HAProxy under /usr/local). An image built otherwise says its own path.
  switch (kind) {
    case ServiceKind::haproxy:
      return "/usr/local/etc/haproxy/haproxy.cfg";
    case ServiceKind::nginx:
      return "/etc/nginx/nginx.conf";
    case ServiceKind::app:
    case ServiceKind::process:
      break;
  }
  return {};
}

std::vector<std::string> Load::request_names() const {
  std::vector<std::string> names;
  names.reserve(requests.size());
  for (const auto& r : requests) {
    names.push_back(r.name);
  }
  return names;
}

std::string resolve_path(const Experiment& exp, const std::string& path) {
  return resolve_path_from(exp.source_file, path);
}

std::string resolve_path_from(const std::string& source_file, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.is_absolute()) {
    return p.lexically_normal().string();
  }
  const fs::path base = source_file.empty() ? fs::current_path() : fs::path(source_file).parent_path();
  return (base / p).lexically_normal().string();
}

std::string shown_path(const Experiment& exp, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path rel = fs::path(path).lexically_relative(fs::path(exp.source_file).parent_path());
  if (rel.empty() || *rel.begin() == "..") {
    return path;
  }
  return rel.string();
}

}  // namespace faultline::experiment
