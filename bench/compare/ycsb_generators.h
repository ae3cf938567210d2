// YCSB's number generators, ported from its Java sources (site.ycsb.generator
// and site.ycsb.Utils of YCSB 0.17) so that the key popularity, the "latest"
// skew and the key names are the ones published YCSB figures were measured
// with: ZipfianGenerator (Gray et al.'s "Quickly generating billion-record
// synthetic databases" algorithm, incremental zeta when the item count grows),
// ScrambledZipfianGenerator (zipfian over 10^10 items, FNV-hashed onto the
// key range, so popular keys are spread over the key space),
// SkewedLatestGenerator (zipfian distance back from the newest record) and
// AcknowledgedCounterGenerator (inserts' key numbers; readers see a key only
// once every insert below it has finished). Header-only, standard library
// only: tests/bench checks the distributions' shape.
#pragma once

#include <cmath>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace compare::ycsb {

// The per-thread source of uniform numbers (YCSB's ThreadLocalRandom):
// splitmix64, the same sequence on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi] (YCSB's UniformLongGenerator).
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept { return lo + next() % (hi - lo + 1); }

 private:
  std::uint64_t state_;
};

// Utils.fnvhash64: FNV-1a over the 8 bytes of `value`, low byte first, then
// Math.abs of the signed result (Long.MIN_VALUE stays negative, as in Java).
inline std::int64_t fnvhash64(std::int64_t value) noexcept {
  constexpr std::uint64_t kOffsetBasis = 0xCBF29CE484222325ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash = kOffsetBasis;
  auto bits = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    hash ^= bits & 0xff;
    bits >>= 8;  // Java's >> is arithmetic, but only the low 8 bytes are ever used
    hash *= kPrime;
  }
  const auto signed_hash = static_cast<std::int64_t>(hash);
  return signed_hash < 0 && signed_hash != INT64_MIN ? -signed_hash : signed_hash;
}

// CoreWorkload.buildKeyName with the defaults (hashed inserts, zeropadding 1):
// "user" + the decimal FNV hash of the key number.
inline std::string key_name(std::uint64_t keynum) {
  return "user" + std::to_string(fnvhash64(static_cast<std::int64_t>(keynum)));
}

inline constexpr double kZipfianConstant = 0.99;

class Zipfian {
 public:
  // Items min..max inclusive. `zetan` precomputed (ScrambledZipfian's
  // constant), or < 0 to compute it (O(items)).
  Zipfian(std::uint64_t min, std::uint64_t max, double constant = kZipfianConstant, double zetan = -1)
      : items_(max - min + 1),
        base_(min),
        theta_(constant),
        zeta2theta_(zeta(0, 2, constant, 0)),
        alpha_(1.0 / (1.0 - constant)),
        zetan_(zetan >= 0 ? zetan : zeta(0, items_, constant, 0)),
        count_for_zeta_(items_) {
    eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
  }

  std::uint64_t next(Random& random) { return next(random, items_); }

  // A value for `item_count` items (it may grow between calls: zeta is
  // extended incrementally, and eta keeps YCSB's use of the initial count).
  std::uint64_t next(Random& random, std::uint64_t item_count) {
    if (item_count > count_for_zeta_) {
      zetan_ = zeta(count_for_zeta_, item_count, theta_, zetan_);
      count_for_zeta_ = item_count;
      eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
    }
    const double u = random.unit();
    const double uz = u * zetan_;
    if (uz < 1.0) return base_;
    if (uz < 1.0 + std::pow(0.5, theta_)) return base_ + 1;
    return base_ + static_cast<std::uint64_t>(static_cast<double>(item_count) * std::pow(eta_ * u - eta_ + 1, alpha_));
  }

  // sum over i in [from, to) of 1 / (i + 1)^theta, added to `initial`.
  static double zeta(std::uint64_t from, std::uint64_t to, double theta, double initial) {
    double sum = initial;
    for (std::uint64_t i = from; i < to; ++i) sum += 1 / std::pow(static_cast<double>(i + 1), theta);
    return sum;
  }

 private:
  std::uint64_t items_;
  std::uint64_t base_;
  double theta_;
  double zeta2theta_;
  double alpha_;
  double zetan_;
  double eta_ = 0;
  std::uint64_t count_for_zeta_;
};

// ScrambledZipfianGenerator: zipfian over 10^10 items with YCSB's precomputed
// zeta, hashed onto min..max, so the popular items are scattered.
class ScrambledZipfian {
 public:
  static constexpr std::uint64_t kItemCount = 10'000'000'000ULL;
  static constexpr double kZetan = 26.46902820178302;  // zeta(10^10, 0.99)

  ScrambledZipfian(std::uint64_t min, std::uint64_t max) : min_(min), items_(max - min + 1), zipfian_(0, kItemCount, kZipfianConstant, kZetan) {}

  std::uint64_t next(Random& random) {
    const std::uint64_t value = zipfian_.next(random);
    return min_ + static_cast<std::uint64_t>(fnvhash64(static_cast<std::int64_t>(value))) % items_;
  }

 private:
  std::uint64_t min_;
  std::uint64_t items_;
  Zipfian zipfian_;
};

// SkewedLatestGenerator: the newest acknowledged record is the most popular,
// the one before it the next, zipfian over the distance back.
class SkewedLatest {
 public:
  explicit SkewedLatest(std::uint64_t last) : zipfian_(0, last == 0 ? 0 : last - 1) {}
  // A key number in [0, last]; `last` is the newest acknowledged one.
  std::uint64_t next(Random& random, std::uint64_t last) {
    const std::uint64_t back = zipfian_.next(random, last);
    return back > last ? 0 : last - back;
  }

 private:
  Zipfian zipfian_;
};

// AcknowledgedCounterGenerator: next() hands out insert key numbers from
// `start`; acknowledge(k) marks one done; last() is the highest k such that
// every key number below it is done (start - 1 before any). Thread-safe.
class AcknowledgedCounter {
 public:
  explicit AcknowledgedCounter(std::uint64_t start) : next_(start), limit_(start - 1) {}
  std::uint64_t next() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return next_++;
  }
  void acknowledge(std::uint64_t keynum) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::uint64_t slot = keynum - (limit_ + 1);
    if (done_.size() <= slot) done_.resize(slot + 1, false);
    done_[slot] = true;
    std::size_t advanced = 0;
    while (advanced < done_.size() && done_[advanced]) ++advanced;
    done_.erase(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(advanced));
    limit_ += advanced;
  }
  std::uint64_t last() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return limit_;
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_;
  std::uint64_t limit_;
  std::vector<bool> done_;  // done_[i]: key number limit_ + 1 + i is acknowledged
};

// The key ranges through which snapstore's binding scans in key order: from
// a YCSB key on, blocks of the keys that share their first `digits` digits.
// "user" + prefix + ":" sorts after every key with that prefix (':' follows
// '9') and before the next prefix, so each range [lo, hi] (both inclusive)
// starts where the one before ended: together they hold every key from the
// first on, each once, in order. The last range ends at "user:", after every
// key.
class KeyBlocks {
 public:
  KeyBlocks(const std::string& key, int digits)
      : prefix_(key.substr(4, static_cast<std::size_t>(digits))), lo_(key), hi_("user" + prefix_ + ":") {}
  const std::string& lo() const { return lo_; }
  const std::string& hi() const { return hi_; }
  // Moves to the next range; false after the last.
  bool next() {
    if (hi_ == kEnd) return false;
    lo_ = hi_;
    hi_ = increment(prefix_) ? "user" + prefix_ + ":" : std::string(kEnd);
    return true;
  }

 private:
  static constexpr const char* kEnd = "user:";
  // Adds one to a string of decimal digits; false when it was all nines.
  static bool increment(std::string& digits) {
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      if (*it != '9') {
        ++*it;
        return true;
      }
      *it = '0';
    }
    return false;
  }
  std::string prefix_;
  std::string lo_;
  std::string hi_;
};

}  // namespace compare::ycsb
