// Finding a Compose project's containers by their labels (compose_discovery.h).

#include "harness/stack/compose_discovery.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

namespace faultline::stack::compose {

namespace {

std::string label_of(const platform::Labels& labels, const char* key) {
  const auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

int number_of(const platform::Labels& labels) {
  const std::string text = label_of(labels, kNumberLabel);
  try {
    return text.empty() ? 1 : std::stoi(text);
  } catch (const std::exception&) {
    return 1;
  }
}

std::string joined(const std::vector<std::string>& items) {
  return items.empty() ? std::string("none") : fmt::format("{}", fmt::join(items, ", "));
}

// "web (2 running), db (exited)": each service of the project with what
// its containers do, for a refusal to say what there is.
std::string services_listing(const std::map<std::string, std::vector<const ProjectContainer*>>& by_service) {
  std::vector<std::string> parts;
  for (const auto& [service, containers] : by_service) {
    const auto running = std::count_if(containers.begin(), containers.end(),
                                       [](const ProjectContainer* c) { return c->state == "running"; });
    if (running == static_cast<long>(containers.size())) {
      parts.push_back(fmt::format("{} ({} running)", service, running));
    } else {
      std::vector<std::string> states;
      for (const auto* c : containers) {
        states.push_back(fmt::format("{} {}", c->name, c->state));
      }
      parts.push_back(fmt::format("{} ({})", service, fmt::join(states, ", ")));
    }
  }
  return joined(parts);
}

}  // namespace

std::string instance_name(const std::string& service, int number, size_t replicas) {
  return replicas <= 1 ? service : fmt::format("{}-{}", service, number);
}

Result<std::vector<ProjectContainer>> list_project(const platform::DockerApi& api,
                                                   const std::string& project) {
  auto listed = api.list_containers({fmt::format("{}={}", kProjectLabel, project)});
  if (!listed) {
    return listed.error().to_error();
  }
  std::vector<ProjectContainer> out;
  for (const auto& c : *listed) {
    // Compose v1 writes "False"/"True"; v2 "False"/"True" too. Anything
    // but False is a one-off and left alone.
    if (label_of(c.labels, kOneoffLabel) != "False" && !label_of(c.labels, kOneoffLabel).empty()) {
      continue;
    }
    ProjectContainer pc;
    pc.id = c.id;
    pc.name = c.names.empty() ? c.id.substr(0, 12) : c.names.front();
    pc.service = label_of(c.labels, kServiceLabel);
    pc.number = number_of(c.labels);
    pc.state = c.state;
    if (!pc.service.empty()) {
      out.push_back(std::move(pc));
    }
  }
  std::sort(out.begin(), out.end(), [](const ProjectContainer& a, const ProjectContainer& b) {
    return std::tie(a.service, a.number, a.name) < std::tie(b.service, b.number, b.name);
  });
  return out;
}

Result<platform::ContainerInfo> inspect_again(const platform::DockerApi& api, const std::string& project,
                                              const std::string& service, int number, std::string& id,
                                              std::string& name, bool* gone) {
  if (!id.empty()) {
    auto info = api.inspect(id);
    if (info || !info.error().not_found()) {
      return info.to_result();
    }
  }
  auto listed = list_project(api, project);
  if (!listed) {
    return listed.error();
  }
  for (const auto& pc : *listed) {
    if (pc.service == service && pc.number == number) {
      id = pc.id;
      name = pc.name;
      return api.inspect(id).to_result();
    }
  }
  if (gone != nullptr) {
    *gone = true;
  }
  return Error{fmt::format("container {} (service {}, number {}) is gone from Compose project '{}'", name,
                           service, number, project)};
}

Result<std::vector<std::string>> list_projects(const platform::DockerApi& api) {
  auto listed = api.list_containers({kProjectLabel});
  if (!listed) {
    return listed.error().to_error();
  }
  std::set<std::string> names;
  for (const auto& c : *listed) {
    names.insert(label_of(c.labels, kProjectLabel));
  }
  names.erase("");
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<AttachedContainer>> attach_services(const std::string& project,
                                                       const std::vector<ProjectContainer>& containers,
                                                       const std::vector<std::string>& services,
                                                       const std::vector<std::string>& other_projects) {
  std::map<std::string, std::vector<const ProjectContainer*>> by_service;
  bool any_running = false;
  for (const auto& c : containers) {
    by_service[c.service].push_back(&c);
    any_running |= c.state == "running";
  }
  if (!any_running) {
    if (containers.empty()) {
      return Error{fmt::format(
          "Compose project '{}' is not running: no container carries the label {}={} (projects with "
          "containers here: {}); start it first (docker compose -p {} up -d)",
          project, kProjectLabel, project, joined(other_projects), project)};
    }
    return Error{
        fmt::format("Compose project '{}' is not running: none of its containers runs (services: {})",
                    project, services_listing(by_service))};
  }
  std::vector<AttachedContainer> out;
  for (const auto& service : services) {
    const auto it = by_service.find(service);
    if (it == by_service.end()) {
      return Error{fmt::format("Compose project '{}' has no service '{}'; its services are {}", project,
                               service, services_listing(by_service))};
    }
    std::vector<const ProjectContainer*> running;
    for (const auto* c : it->second) {
      if (c->state == "running") {
        running.push_back(c);
      }
    }
    if (running.empty()) {
      return Error{fmt::format("service '{}' of Compose project '{}' is not running; its services are {}",
                               service, project, services_listing(by_service))};
    }
    for (const auto* c : running) {
      out.push_back({service, instance_name(service, c->number, running.size()), c->number, c->id, c->name});
    }
  }
  return out;
}

}  // namespace faultline::stack::compose
