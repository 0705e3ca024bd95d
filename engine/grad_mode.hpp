#pragma once

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// Whether ops record autograd history on this thread (default true).
bool is_grad_enabled();
/// Turns gradient recording on or off for this thread (torch.set_grad_enabled).
void set_grad_enabled(bool enabled);

/// Disables recording on this thread for its lifetime (like torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Enables recording on this thread for its lifetime (like torch.enable_grad()).
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

/// Anomaly mode (off by default, thread-local): backward checks every gradient a node produces and
/// throws at the first non-finite one, naming the node.
bool is_anomaly_enabled();
/// Turns anomaly detection on or off for this thread (torch.autograd.set_detect_anomaly).
void set_anomaly_enabled(bool enabled);

/// Enables anomaly mode for its lifetime (like torch.autograd.detect_anomaly()).
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(is_anomaly_enabled()) { set_anomaly_enabled(true); }
  ~DetectAnomalyGuard() { set_anomaly_enabled(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

/// @}

}  // namespace metagrad
