// Kill points (see kill_point.h).
#include "base/kill_point.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace snapstore::base {
namespace {

std::atomic<bool> armed{false};
std::mutex handler_mutex;
std::shared_ptr<const KillPointHandler> installed;  // guarded by handler_mutex

}  // namespace

void set_kill_point_handler(KillPointHandler handler) {
  std::lock_guard lock(handler_mutex);
  installed = handler ? std::make_shared<const KillPointHandler>(std::move(handler)) : nullptr;
  armed.store(installed != nullptr, std::memory_order_release);
}

void reach_kill_point(std::string_view point) {
  if (std::find(kKillPoints.begin(), kKillPoints.end(), point) == kKillPoints.end()) {
    std::fprintf(stderr, "snapstore: unknown kill point '%.*s'\n", static_cast<int>(point.size()), point.data());
    std::abort();
  }
  if (!armed.load(std::memory_order_relaxed)) return;
  std::shared_ptr<const KillPointHandler> handler;
  {
    std::lock_guard lock(handler_mutex);
    handler = installed;
  }
  if (handler) (*handler)(point);
}

}  // namespace snapstore::base
