// A limit in a container's own cgroup (container_limit.h).

#include "harness/stack/container_limit.h"

#include <fmt/format.h>

#include "harness/platform/cgroup.h"
#include "harness/platform/cgroup_edit.h"

namespace faultline::stack {
namespace {

// Limits written into the container's own group: its processes are in it
// already, so there is nothing to move; lift writes the originals back.
class ContainerGroupLimit final : public ServiceLimit {
 public:
  ContainerGroupLimit(platform::CgroupFileEdits edits, std::string name)
      : edits_(std::move(edits)), name_(std::move(name)) {}

  platform::CgroupVersion version() const override { return edits_.version(); }
  Status write(const std::string& file, const std::string& value) override {
    return edits_.write(file, value);
  }
  Result<std::string> read(const std::string& file) const override { return edits_.read(file); }
  bool has(const std::string& file) const override { return edits_.has(file); }
  Status enforce() override { return {}; }
  Status lift() override { return edits_.restore(); }
  bool active() const override { return edits_.changed(); }

  std::string mechanism(const std::string& file) const override {
    std::string text =
        fmt::format("cgroup {} ({} of {}, container {}'s own group)",
                    version() == platform::CgroupVersion::v2 ? "v2" : "v1", file, edits_.dir(), name_);
    const auto& written = edits_.written();
    for (size_t k = 0; k < written.size(); ++k) {
      text += fmt::format("{}{} written to {} in place of {}", k == 0 ? ": " : ", ", written[k].value,
                          written[k].file, written[k].original);
    }
    if (!written.empty()) {
      text += "; the originals written back on revert";
    }
    return text;
  }

 private:
  platform::CgroupFileEdits edits_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<ServiceLimit>> container_group_limit(int pid, const std::string& controller,
                                                            const std::string& container,
                                                            const std::string& record_path) {
  auto group = platform::cgroup_of_process(pid, controller);
  if (!group) {
    return group.error();
  }
  platform::CgroupFileEdits edits(group->version, group->dir, record_path);
  return std::unique_ptr<ServiceLimit>(std::make_unique<ContainerGroupLimit>(std::move(edits), container));
}

}  // namespace faultline::stack
