#pragma once

// Runs the faultline command line in the test's own process and captures
// what it prints: for tests of a command's exit code and messages that need
// neither root nor the built binary.

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli/cli.h"

namespace faultline::testing {

// std::cout and std::cerr into strings while it lives.
class CapturedOutput {
 public:
  CapturedOutput() : out_(std::cout.rdbuf(outs_.rdbuf())), err_(std::cerr.rdbuf(errs_.rdbuf())) {}
  ~CapturedOutput() {
    std::cout.rdbuf(out_);
    std::cerr.rdbuf(err_);
  }
  CapturedOutput(const CapturedOutput&) = delete;
  CapturedOutput& operator=(const CapturedOutput&) = delete;
  std::string out() const { return outs_.str(); }
  std::string err() const { return errs_.str(); }

 private:
  std::ostringstream outs_;
  std::ostringstream errs_;
  std::streambuf* out_;
  std::streambuf* err_;
};

// `faultline ARGS...` (args[0] is the program name), as cli::main runs it.
inline int faultline_main(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  return faultline::cli::main(static_cast<int>(args.size()), argv.data());
}

}  // namespace faultline::testing
