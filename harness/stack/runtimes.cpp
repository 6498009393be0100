// Every stack runtime there is, by the name `stack.runtime` gives it. A
// table rather than self-registration: the runtimes live in a static
// library, whose unreferenced files the linker would leave out.

#include <map>

#include "harness/stack/runtime.h"

namespace faultline::stack {

StackRuntime* runtime_named(const std::string& name) {
  static const std::map<std::string, StackRuntime& (*)()> runtimes = {
      {"netns", &netns_runtime},
      {"docker", &docker_runtime},
      {"compose", &compose_runtime},
  };
  const auto it = runtimes.find(name);
  return it == runtimes.end() ? nullptr : &it->second();
}

}  // namespace faultline::stack
