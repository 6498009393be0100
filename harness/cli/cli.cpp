#include "harness/cli/cli.h"

namespace faultline::cli {

int main(int /*argc*/, char** /*argv*/) { return 0; }

}  // namespace faultline::cli
