#pragma once

namespace faultline::cli {

// Parses the command line and runs one subcommand. Returns the process exit
// code: 0 success / expectation met, 1 expectation not met, 2 invalid input
// or usage, 3 the run could not be carried out (environment, stack).
int main(int argc, char** argv);

}  // namespace faultline::cli
