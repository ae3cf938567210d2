// ConsumerSlots: the slot file and the retention rules (see consumer_slots.h).
#include "recovery/consumer_slots.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <utility>

#include "recovery/store_dir.h"

namespace snapstore::recovery {
namespace {

constexpr std::uint64_t kSlotFileFormat = 1;
constexpr std::size_t kMaxNameLength = 64;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }

Result<std::vector<ConsumerSlot>> parse(const std::string& path, const std::string& text) {
  auto bad = [&](const std::string& why) { return Status::corruption(path + ": " + why); };
  try {
    const nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.is_object() || !doc.contains("format") || !doc["format"].is_number_unsigned()) {
      return bad("not a consumer slot file (no \"format\")");
    }
    const auto format = doc["format"].get<std::uint64_t>();
    if (format != kSlotFileFormat) {
      return bad("slot file format " + std::to_string(format) + " is not supported (this build reads format " +
                 std::to_string(kSlotFileFormat) + ")");
    }
    if (!doc.contains("consumers") || !doc["consumers"].is_array()) return bad("no \"consumers\" array");
    std::vector<ConsumerSlot> slots;
    for (const auto& entry : doc["consumers"]) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
          !entry.contains("acknowledged") || !entry["acknowledged"].is_number_unsigned() ||
          !entry.contains("acknowledged_at_ms") || !entry["acknowledged_at_ms"].is_number_integer()) {
        return bad("consumer " + std::to_string(slots.size()) + " lacks a name, acknowledged or acknowledged_at_ms");
      }
      ConsumerSlot slot{entry["name"].get<std::string>(), entry["acknowledged"].get<std::uint64_t>(),
                        entry["acknowledged_at_ms"].get<std::int64_t>()};
      if (!valid_name(slot.name)) return bad("consumer name " + in_quotes(slot.name) + " is not a valid name");
      slots.push_back(std::move(slot));
    }
    std::sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (std::size_t i = 1; i < slots.size(); ++i) {
      if (slots[i].name == slots[i - 1].name) return bad("consumer " + in_quotes(slots[i].name) + " is listed twice");
    }
    return slots;
  } catch (const std::exception& e) {
    return bad(std::string("not valid JSON: ") + e.what());
  }
}

std::string serialize(const std::vector<ConsumerSlot>& slots) {
  nlohmann::json list = nlohmann::json::array();
  for (const ConsumerSlot& slot : slots) {
    list.push_back({{"name", slot.name}, {"acknowledged", slot.acknowledged}, {"acknowledged_at_ms", slot.acknowledged_at_ms}});
  }
  nlohmann::json doc = {{"format", kSlotFileFormat}, {"consumers", std::move(list)}};
  return doc.dump() + "\n";
}

}  // namespace

Result<std::unique_ptr<ConsumerSlots>> ConsumerSlots::open(wal::Env* env, const std::string& dir, bool read_only) {
  std::unique_ptr<ConsumerSlots> slots(new ConsumerSlots(env, dir, read_only));
  const std::string path = consumers_path(dir);
  if (!env->exists(path)) return slots;
  auto text = env->read_file(path);
  if (!text) return text.status();
  auto parsed = parse(path, *text);
  if (!parsed) return parsed.status();
  slots->slots_ = std::move(*parsed);
  return slots;
}

Status ConsumerSlots::write(const std::vector<ConsumerSlot>& slots) {
  if (read_only_) return Status::invalid_argument("the store at " + dir_ + " is open read-only");
  const std::string path = consumers_path(dir_);
  const std::string temp = temporary_path(path);
  if (env_->exists(temp)) {
    if (Status s = env_->remove(temp); !s) return s;
  }
  auto file = env_->create_file(temp);
  if (!file) return file.status();
  Status s = (*file)->append(serialize(slots));
  if (s) s = (*file)->sync();
  Status closed = (*file)->close();
  if (s) s = closed;
  if (s) s = env_->rename(temp, path);
  if (s) s = env_->sync_dir(dir_);
  return s;
}

std::vector<ConsumerSlot>::const_iterator ConsumerSlots::lookup(std::string_view name) const {
  return std::find_if(slots_.begin(), slots_.end(), [&](const ConsumerSlot& s) { return s.name == name; });
}

Status ConsumerSlots::unknown(std::string_view name) const {
  for (const std::string& why : dropped_) {
    if (why.starts_with("consumer " + in_quotes(name) + " ")) {
      return Status::invalid_argument("no consumer named " + in_quotes(name) + ": " + why);
    }
  }
  return Status::invalid_argument("no consumer named " + in_quotes(name) + " is registered");
}

Status ConsumerSlots::add(std::string_view name, std::uint64_t acknowledged) {
  if (!valid_name(name)) {
    return Status::invalid_argument("consumer name " + in_quotes(name) +
                                    " must be 1 to 64 characters of letters, digits, '_', '.' and '-'");
  }
  std::lock_guard lock(mutex_);
  if (lookup(name) != slots_.end()) {
    return Status::invalid_argument("a consumer named " + in_quotes(name) + " is already registered");
  }
  std::vector<ConsumerSlot> next = slots_;
  next.push_back(ConsumerSlot{std::string(name), acknowledged, now_ms()});
  std::sort(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (Status s = write(next); !s) return s;
  slots_ = std::move(next);
  return Status::ok();
}

Status ConsumerSlots::acknowledge(std::string_view name, std::uint64_t revision) {
  std::lock_guard lock(mutex_);
  auto it = lookup(name);
  if (it == slots_.end()) return unknown(name);
  if (revision < it->acknowledged) {
    return Status::invalid_argument("consumer " + in_quotes(name) + " has acknowledged revision " +
                                    std::to_string(it->acknowledged) + " already; it cannot go back to " +
                                    std::to_string(revision));
  }
  std::vector<ConsumerSlot> next = slots_;
  ConsumerSlot& slot = next[static_cast<std::size_t>(it - slots_.begin())];
  slot.acknowledged = revision;
  slot.acknowledged_at_ms = now_ms();
  if (Status s = write(next); !s) return s;
  slots_ = std::move(next);
  return Status::ok();
}

Status ConsumerSlots::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = lookup(name);
  if (it == slots_.end()) return unknown(name);
  std::vector<ConsumerSlot> next = slots_;
  next.erase(next.begin() + (it - slots_.begin()));
  if (Status s = write(next); !s) return s;
  slots_ = std::move(next);
  return Status::ok();
}

std::vector<ConsumerSlot> ConsumerSlots::list() const {
  std::lock_guard lock(mutex_);
  return slots_;
}

Result<ConsumerSlot> ConsumerSlots::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = lookup(name);
  if (it == slots_.end()) return unknown(name);
  return *it;
}

std::uint64_t ConsumerSlots::keep_from() const {
  std::lock_guard lock(mutex_);
  std::uint64_t keep = kKeepNothing;
  for (const ConsumerSlot& slot : slots_) keep = std::min(keep, slot.acknowledged + 1);
  return keep;
}

std::uint64_t ConsumerSlots::held_bytes(const std::vector<wal::SegmentInfo>& segments, std::uint64_t acknowledged) {
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    // Segment i holds LSNs up to the next one's first, minus one; the last
    // holds everything after its first.
    const bool holds_needed = i + 1 == segments.size() || segments[i + 1].first_lsn > acknowledged + 1;
    if (holds_needed) bytes += segments[i].size;
  }
  return bytes;
}

std::vector<std::string> ConsumerSlots::enforce(const std::vector<wal::SegmentInfo>& segments, std::uint64_t last_lsn,
                                                const RetentionLimits& limits) {
  std::lock_guard lock(mutex_);
  const std::int64_t now = now_ms();
  std::vector<std::string> warnings;
  std::vector<ConsumerSlot> kept;
  for (const ConsumerSlot& slot : slots_) {
    std::string why;
    const std::uint64_t held = held_bytes(segments, slot.acknowledged);
    const std::int64_t idle_ms = now - slot.acknowledged_at_ms;
    if (!segments.empty() && slot.acknowledged + 1 < segments.front().first_lsn) {
      why = "its next revision " + std::to_string(slot.acknowledged + 1) +
            " is no longer in the WAL (the oldest is " + std::to_string(segments.front().first_lsn) + ")";
    } else if (limits.max_bytes != 0 && held > limits.max_bytes) {
      why = "it holds " + std::to_string(held) + " bytes of WAL, over the limit of " +
            std::to_string(limits.max_bytes) + " (Options::max_consumer_wal_bytes)";
    } else if (limits.max_age.count() != 0 && slot.acknowledged < last_lsn && idle_ms > limits.max_age.count()) {
      why = "it has not acknowledged for " + std::to_string(idle_ms / 1000) + " s while behind, over the limit of " +
            std::to_string(limits.max_age.count() / 1000) + " s (Options::max_consumer_age)";
    }
    if (why.empty()) {
      kept.push_back(slot);
    } else {
      warnings.push_back("consumer " + in_quotes(slot.name) + " was dropped at revision " + std::to_string(last_lsn) +
                         " (acknowledged " + std::to_string(slot.acknowledged) + "): " + why);
    }
  }
  if (warnings.empty()) return warnings;
  Status s = write(kept);
  if (!s) {
    for (std::string& w : warnings) w += "; rewriting the slot file failed (" + s.message() + ")";
  }
  slots_ = std::move(kept);
  dropped_.insert(dropped_.end(), warnings.begin(), warnings.end());
  return warnings;
}

}  // namespace snapstore::recovery
