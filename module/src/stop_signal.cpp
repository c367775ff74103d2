#include "sekoia/stop_signal.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <thread>

namespace sekoia {

StopSignal::StopSignal() : event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (event_fd_ < 0) throw std::runtime_error("cannot create the stop signal's eventfd");
}

StopSignal::~StopSignal() { ::close(event_fd_); }

void StopSignal::Request() noexcept {
  if (requested_.exchange(true, std::memory_order_acq_rel)) return;
  // Never read back: the descriptor stays readable, so every present and future wait wakes.
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(event_fd_, &one, sizeof one);
}

bool StopSignal::WaitFor(std::chrono::milliseconds duration) const {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!Requested()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd watched{event_fd_, POLLIN, 0};
    // poll takes an int of milliseconds; a longer wait is made of several.
    const int timeout = static_cast<int>(std::min<long long>(left.count() + 1, 1LL << 30));
    if (::poll(&watched, 1, timeout) < 0 && errno != EINTR) std::this_thread::yield();
  }
  return Requested();
}

}  // namespace sekoia
