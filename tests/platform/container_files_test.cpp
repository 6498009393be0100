#include "harness/platform/container_files.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness/common/scratch_dir.h"
#include "harness/common/text.h"
#include "tests/platform/rooted_child.h"
#include "tests/skip.h"

namespace fs = std::filesystem;
using namespace faultline;
using namespace faultline::platform;

namespace {

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("container paths: taken apart and put together", "[platform][container_files]") {
  CHECK(container_path(42, "/etc/nginx/nginx.conf") == "/proc/42/root/etc/nginx/nginx.conf");
  CHECK(container_path(42, "etc/x") == "/proc/42/root/etc/x");
  const auto p = split_container_path("/proc/42/root/etc/nginx/nginx.conf");
  REQUIRE(p);
  CHECK(p->pid == 42);
  CHECK(p->root == "/proc/42/root");
  CHECK(p->inside == "/etc/nginx/nginx.conf");
  const auto root = split_container_path("/proc/7/root");
  REQUIRE(root);
  CHECK(root->inside == "/");
  CHECK_FALSE(split_container_path("/proc/self/root/etc"));
  CHECK_FALSE(split_container_path("/proc/42/rootfs/etc"));
  CHECK_FALSE(split_container_path("/proc/42/cwd/etc"));
  CHECK_FALSE(split_container_path("/etc/nginx/nginx.conf"));
  // A `..` stops at the container's root instead of reaching /proc/<pid>.
  CHECK(lexically_normal_confined("/proc/42/root/../../etc/./x") == "/proc/42/root/etc/x");
  CHECK(lexically_normal_confined("/tmp/a/../b") == "/tmp/b");
}

TEST_CASE("container files: a host file is written in place, so a bind-mounted file stays the same file",
          "[platform][container_files]") {
  ScratchDir dir("faultline-files-test");
  const std::string path = dir.path() + "/nginx.conf";
  write_file(path, "events {}\nhttp { server { listen 80; } }\n");
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  REQUIRE(write_in_place(path, "events {}\n").ok());
  CHECK(read_confined(path) == std::optional<std::string>("events {}\n"));
  REQUIRE(write_in_place(path, "events {}\nhttp {}\n").ok());
  CHECK(read_text(path) == "events {}\nhttp {}\n");
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK_FALSE(write_in_place(dir.path() + "/absent.conf", "x").ok());
  CHECK_FALSE(read_confined(dir.path() + "/absent.conf"));
  CHECK_FALSE(read_confined(dir.path()));  // a folder is not a file
}

TEST_CASE("container files: an absolute link in the container stays in the container",
          "[platform][container_files]") {
  // The host has its own file at the link's target, which a plain path
  // through /proc/<pid>/root would reach.
  ScratchDir host("faultline-files-host");
  ScratchDir container("faultline-files-root");
  const std::string target = host.path() + "/conf.d";
  write_file(target + "/a.conf", "host\n");
  write_file(container.path() + target + "/a.conf", "container\n");
  write_file(container.path() + target + "/b.conf", "container b\n");
  fs::create_directories(container.path() + "/etc/nginx");
  fs::create_symlink(target, container.path() + "/etc/nginx/conf.d");
  fs::create_symlink("../../../../../..", container.path() + "/etc/nginx/up");

  testing::RootedChild child(container.path());
  if (!child.rooted()) {
    FAULTLINE_SKIP("chroot(2) needs root (CAP_SYS_CHROOT)");
  }
  const std::string inside = container_path(child.pid(), "/etc/nginx/conf.d/a.conf");
  // What faultline used to do: the kernel follows the link on the host.
  REQUIRE(read_text(inside) == "host\n");

  CHECK(read_confined(inside) == std::optional<std::string>("container\n"));
  CHECK(is_regular_file_confined(inside));
  CHECK(exists_confined(container_path(child.pid(), "/etc/nginx/conf.d")));
  CHECK_FALSE(is_regular_file_confined(container_path(child.pid(), "/etc/nginx/conf.d")));
  const auto link = stat_confined(container_path(child.pid(), "/etc/nginx/conf.d"), false);
  REQUIRE(link);
  CHECK(S_ISLNK(link->st_mode));

  REQUIRE(write_in_place(inside, "edited\n").ok());
  CHECK(read_text(container.path() + target + "/a.conf") == "edited\n");
  CHECK(read_text(target + "/a.conf") == "host\n");

  // A relative link climbing past the root ends at the container's root.
  CHECK(read_confined(container_path(child.pid(), "/etc/nginx/up" + target + "/b.conf")) ==
        std::optional<std::string>("container b\n"));

  const auto found = glob_confined(container_path(child.pid(), "/etc/nginx/conf.d/*.conf"));
  REQUIRE(found);
  CHECK(*found == std::vector<std::string>{container_path(child.pid(), "/etc/nginx/conf.d/a.conf"),
                                           container_path(child.pid(), "/etc/nginx/conf.d/b.conf")});
  const auto none = glob_confined(container_path(child.pid(), "/etc/nginx/sites/*"));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("container files: a socket is reached in the container's root, and a link to it is refused",
          "[platform][container_files]") {
  ScratchDir container("faultline-files-root");
  fs::create_directories(container.path() + "/run/haproxy");
  const std::string socket_path = container.path() + "/run/haproxy/admin.sock";
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(socket_path.size() < sizeof addr.sun_path);
  std::copy(socket_path.begin(), socket_path.end(), addr.sun_path);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  fs::create_symlink("/run/haproxy/admin.sock", container.path() + "/run/link.sock");

  testing::RootedChild child(container.path());
  if (!child.rooted()) {
    ::close(listener);
    FAULTLINE_SKIP("chroot(2) needs root (CAP_SYS_CHROOT)");
  }
  auto address = socket_address_confined(container_path(child.pid(), "/run/haproxy/admin.sock"));
  REQUIRE(address);
  CHECK(starts_with(address->path, "/proc/self/fd/"));
  const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  std::copy(address->path.begin(), address->path.end(), to.sun_path);
  CHECK(::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  ::close(client);
  ::close(listener);

  auto linked = socket_address_confined(container_path(child.pid(), "/run/link.sock"));
  REQUIRE_FALSE(linked);
  CHECK(linked.error().message.find("symlink") != std::string::npos);
  CHECK_FALSE(socket_address_confined(container_path(child.pid(), "/run/none.sock")));
  // A host path is used as it is.
  auto plain = socket_address_confined("/run/x.sock");
  REQUIRE(plain);
  CHECK(plain->path == "/run/x.sock");
}
