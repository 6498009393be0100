#pragma once

// Files as a container's processes see them, reached from the host through
// /proc/<pid>/root (runtime compose: the team's nginx and HAProxy configs,
// their includes and HAProxy's admin socket live in the container).
//
// Why not plain paths under /proc/<pid>/root: the kernel enters the
// container's root at that magic link, but an absolute symlink or a `..`
// met further on resolves against faultline's own root, the host's. An
// image whose /etc/nginx/conf.d is a link to /srv/conf would have
// faultline read, edit and "put back" the host's /srv/conf. Every function
// here resolves a container path with openat2(RESOLVE_IN_ROOT), so such a
// link stays inside the container, as it does for the server there. Any
// other path is opened as it is.

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/platform/unique_fd.h"

namespace faultline::platform {

// "/proc/<pid>/root<inside>": the host's name for `inside` (absolute) in the
// root of process `pid`.
std::string container_path(int pid, const std::string& inside);

// A container path taken apart; nullopt for any other path. `root` is
// "/proc/<pid>/root" and `inside` the absolute path in it ("/" for the root).
struct ContainerPath {
  int pid = 0;
  std::string root;
  std::string inside;
};
std::optional<ContainerPath> split_container_path(const std::string& path);

// fs::path::lexically_normal, applied to a container path's inside part
// only, so that a `..` stops at the container's root.
std::string lexically_normal_confined(const std::string& path);

// Opens `path` with `flags` (O_CLOEXEC is added), resolving a container
// path inside its root. The error names the path and errno's reason.
Result<UniqueFd> open_confined(const std::string& path, int flags);

// stat(2) of `path`, a container path resolved inside its root; nullopt
// when it does not exist or cannot be reached. `follow` false: lstat(2).
std::optional<struct stat> stat_confined(const std::string& path, bool follow = true);
bool is_regular_file_confined(const std::string& path);
bool exists_confined(const std::string& path);

// The whole of the regular file at `path`; nullopt when it is missing,
// unreadable or not a regular file.
std::optional<std::string> read_confined(const std::string& path);

// Writes `text` over the existing file at `path` in place (open, write,
// truncate) rather than renaming a new file over it: the same inode, so a
// bind mount of it (the docker runtime's config, an attached container's
// mounted config) shows the new bytes. The file must exist.
Status write_in_place(const std::string& path, const std::string& text);

// glob(3) of `pattern` (no flags: sorted, no match is no error), its
// directories read inside the container's root when the pattern is a
// container path. An error only when the file system fails it.
Result<std::vector<std::string>> glob_confined(const std::string& pattern);

// The address to connect(2) to for the Unix socket at `path`: for a
// container path "/proc/self/fd/<n>/<name>", with `n` the socket's folder
// opened inside the container's root and kept open in `hold` until the
// connect is done. The socket itself must not be a symlink. Other paths
// are returned as they are.
struct SocketAddress {
  std::string path;
  UniqueFd hold;
};
Result<SocketAddress> socket_address_confined(const std::string& path);

}  // namespace faultline::platform
