// faultline-uml-launch: starts Debian's user-mode Linux kernel (`linux`) so
// that it runs on hosts whose CPUs have a large XSAVE area (AVX-512, AMX).
//
// Why: UML 6.1 saves and restores its processes' registers through ptrace.
// When the host answers PTRACE_GETREGSET(NT_X86_XSTATE), UML uses the XSAVE
// format with a buffer sized for its own build (832 bytes); the host kernel
// refuses a PTRACE_SETREGSET of any size but its own full XSAVE size with
// EFAULT, and UML panics ("ptrace set fp regs failed, errno = 14") as soon as
// init starts. Where PTRACE_GETREGSET(NT_X86_XSTATE) fails at start-up, UML
// falls back to PTRACE_GETFPREGS/SETFPREGS, the 512-byte FXSAVE area, which
// every x86-64 host accepts. This launcher makes that one request fail with
// EIO (a seccomp filter inherited by every process UML starts) and then
// executes the kernel.
//
// The price: the FXSAVE area carries no AVX state, so the guest's programs
// must not use AVX registers. scripts/uml-guest-init.sh tells glibc and
// OpenSSL so (GLIBC_TUNABLES, OPENSSL_ia32cap); faultline itself and
// Debian's packages are built for baseline x86-64, which uses SSE only.
//
// Usage: faultline-uml-launch <kernel> [kernel arguments...]

#include <seccomp.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202  // elf.h of the kernel; not in every libc header
#endif

namespace {

int fail(const char* what, int err) {
  std::fprintf(stderr, "faultline-uml-launch: %s: %s\n", what, std::strerror(err));
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr,
                 "usage: faultline-uml-launch <kernel> [kernel arguments...]\n"
                 "Runs user-mode Linux with PTRACE_GETREGSET(NT_X86_XSTATE) refused, so that it\n"
                 "saves its processes' registers in the FXSAVE format every x86-64 host accepts.\n"
                 "scripts/uml-test.sh is what calls it.\n");
    return argc < 2 ? 2 : 0;
  }
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
  if (filter == nullptr) {
    return fail("seccomp_init", ENOMEM);
  }
  int rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EIO), SCMP_SYS(ptrace), 2,
                            SCMP_A0(SCMP_CMP_EQ, PTRACE_GETREGSET), SCMP_A2(SCMP_CMP_EQ, NT_X86_XSTATE));
  if (rc == 0) {
    // seccomp_load sets no_new_privs itself (SCMP_FLTATR_CTL_NNP defaults
    // on), which an unprivileged caller needs.
    rc = seccomp_load(filter);
  }
  seccomp_release(filter);
  if (rc != 0) {
    return fail("installing the seccomp filter", -rc);
  }
  execvp(argv[1], argv + 1);
  return fail(argv[1], errno);
}
