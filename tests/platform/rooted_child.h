#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace faultline::testing {

// A process whose root is `dir` (chroot), standing in for a container: its
// /proc/<pid>/root is what faultline reaches an attached container by.
class RootedChild {
 public:
  explicit RootedChild(const std::string& dir) {
    int ready[2];
    if (::pipe(ready) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      const char ok = (::chroot(dir.c_str()) == 0 && ::chdir("/") == 0) ? 'y' : 'n';
      (void)!::write(ready[1], &ok, 1);
      for (;;) {
        ::pause();
      }
    }
    ::close(ready[1]);
    char ok = 'n';
    rooted_ = pid_ > 0 && ::read(ready[0], &ok, 1) == 1 && ok == 'y';
    ::close(ready[0]);
  }
  RootedChild(const RootedChild&) = delete;
  RootedChild& operator=(const RootedChild&) = delete;
  ~RootedChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool rooted() const { return rooted_; }
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  bool rooted_ = false;
};

}  // namespace faultline::testing
