#include "harness/runner/live_samples.h"

namespace faultline::runner {

namespace {

class GeneratorSamples : public LiveSamples {
 public:
  explicit GeneratorSamples(load::LoadGenerator& generator) : generator_(generator) {}
  void take_new(load::LoadResult& into) override { generator_.take_completed(into); }

 private:
  load::LoadGenerator& generator_;
};

}  // namespace

std::unique_ptr<LiveSamples> live_samples_of(load::LoadGenerator& generator) {
  if (!generator.live()) {
    return nullptr;
  }
  return std::make_unique<GeneratorSamples>(generator);
}

}  // namespace faultline::runner
