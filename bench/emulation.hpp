#pragma once

// The --emulate options of the CUDA benchmarks (maml_omniglot, gpu_bench): the CUDA backend's
// kernels on the host emulation (cuda/emulated_backend.hpp), or its host side alone (Note
// [host-only emulation]), with the launches of a timed region counted and its device time
// modelled on an H100 (Note [GPU traffic model]).
#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "cuda/emulated_backend.hpp"
#include "cuda/traffic_model.hpp"

namespace bench {

/// How the CUDA device is emulated: not at all (a real GPU, or the CPU backend), on the host with
/// its kernels, or host-only (Note [host-only emulation]).
enum class Emulation { none, kernels, host_only };

/// Sets `emulation` from "--emulate" or "--emulate=host-only"; false for any other argument.
inline bool parse_emulation(std::string_view arg, Emulation& emulation) {
  if (arg == "--emulate") {
    emulation = Emulation::kernels;
  } else if (arg == "--emulate=host-only") {
    emulation = Emulation::host_only;
  } else {
    return false;
  }
  return true;
}

/// The command line of a CUDA benchmark: --device cpu|cuda (or --device=NAME) and
/// --emulate[=host-only].
struct DeviceArgs {
  std::string device;
  Emulation emulation = Emulation::none;
  /// The device is cpu or cuda, and emulation asks for cuda.
  bool valid() const {
    return (device == "cpu" || device == "cuda") &&
           (emulation == Emulation::none || device == "cuda");
  }
};

/// Parses argv (any other argument makes the result invalid); the device defaults to
/// `default_device`.
inline DeviceArgs parse_device_args(int argc, char** argv, std::string default_device) {
  DeviceArgs args{std::move(default_device)};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (parse_emulation(arg, args.emulation)) continue;
    if (arg == "--device" && i + 1 < argc) {
      args.device = argv[++i];
    } else if (arg.starts_with("--device=")) {
      args.device = arg.substr(std::string_view("--device=").size());
    } else {
      args.device = "";
    }
  }
  return args;
}

/// The emulated backend behind the traffic model: the CUDA device of an emulated benchmark.
inline metagrad::TrafficModelBackend& traffic_model() {
  static metagrad::TrafficModelBackend model(metagrad::emulated_cuda_backend());
  return model;
}

/// Serves CUDA tensors from traffic_model() for its lifetime when `emulation` asks for it.
class ScopedEmulation {
 public:
  explicit ScopedEmulation(Emulation emulation) : active_(emulation != Emulation::none) {
    if (active_) metagrad::register_cuda_backend(&traffic_model());
  }
  ~ScopedEmulation() {
    if (active_) metagrad::register_cuda_backend(nullptr);
  }
  ScopedEmulation(const ScopedEmulation&) = delete;
  ScopedEmulation& operator=(const ScopedEmulation&) = delete;

 private:
  bool active_;
};

/// Counts the emulated backend's launches from construction to fields(); while it counts, a
/// host-only emulation skips the kernels. Without emulation it does nothing.
class LaunchCounter {
 public:
  explicit LaunchCounter(Emulation emulation) : emulation_(emulation) {
    if (emulation_ == Emulation::none) return;
    before_ = metagrad::emulated_launch_counts();
    traffic_model().reset();
    if (emulation_ == Emulation::host_only) metagrad::set_emulated_kernels_enabled(false);
  }
  ~LaunchCounter() { metagrad::set_emulated_kernels_enabled(true); }
  LaunchCounter(const LaunchCounter&) = delete;
  LaunchCounter& operator=(const LaunchCounter&) = delete;

  /// Ends the count (kernels run again) and returns the launches per step over `steps` steps as
  /// JSON fields: host_only, kernels_per_step, gemms_per_step, copies_per_step,
  /// synchronizations_per_step, then the modelled device time (metagrad::traffic_fields); empty
  /// without emulation.
  std::string fields(int steps) {
    metagrad::set_emulated_kernels_enabled(true);
    if (emulation_ == Emulation::none) return "";
    const metagrad::EmulatedLaunchCounts after = metagrad::emulated_launch_counts();
    const auto per_step = [steps](int64_t count) { return static_cast<double>(count) / steps; };
    return fmt::format(
               ", \"host_only\": {}, \"kernels_per_step\": {:.1f}, \"gemms_per_step\": {:.1f}, "
               "\"copies_per_step\": {:.1f}, \"synchronizations_per_step\": {:.1f}",
               emulation_ == Emulation::host_only, per_step(after.kernels - before_.kernels),
               per_step(after.gemms - before_.gemms), per_step(after.copies - before_.copies),
               per_step(after.synchronizations - before_.synchronizations)) +
           metagrad::traffic_fields(traffic_model().tallies(), steps);
  }

 private:
  Emulation emulation_;
  metagrad::EmulatedLaunchCounts before_;
};

}  // namespace bench
