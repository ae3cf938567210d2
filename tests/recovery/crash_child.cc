// The child process of the recovery tests: opens a durable store, writes, and
// leaves without closing (as a crash would), or writes until it is killed,
// reporting each acknowledgement on stdout. A separate program rather than a
// fork() of the test, because RocksDB's background threads do not survive a
// fork.
//
//   crash_child history DIR N              write_history(N), flush, exit without close
//   crash_child write DIR N SEGMENT_BYTES  N inserts, flush, exit without close
//   crash_child loop DIR sync|periodic|none
//       forever: insert {seq: i}, update the counter document to {counter: i};
//       after both are acknowledged print "<insert id> <i> <counter id> <counter version>"
//
// Exit codes: 0 done, 2 a failure (message on stderr), 3 the store was Busy.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "recovery/workloads.h"
#include "snapstore/store.h"

using namespace snapstore;

namespace {

[[noreturn]] void fail(const char* what, const Status& status) {
  std::fprintf(stderr, "crash_child: %s: %s\n", what, status.message().c_str());
  std::fflush(stderr);
  _exit(status.code() == StatusCode::kBusy ? 3 : 2);
}

Store open_or_die(const std::string& dir, const Options& options) {
  auto store = Store::open(dir, options);
  if (!store) fail("open", store.status());
  return std::move(*store);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: crash_child history|write|loop DIR ARG...\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::string dir = argv[2];
  Options options;
  if (mode == "history") {
    options.durability = Durability::kNone;
    Store store = open_or_die(dir, options);
    if (Status s = testutil::write_history(store, std::atoi(argv[3])); !s) fail("history", s);
    if (Status s = store.flush(); !s) fail("flush", s);
    _exit(0);
  }
  if (mode == "write" && argc == 5) {
    // Sync mode: every record is acknowledged durable, and later groups
    // carry sync marks, so damage before them is corruption, not a torn tail.
    options.durability = Durability::kSync;
    options.wal_segment_bytes = std::strtoull(argv[4], nullptr, 10);
    Store store = open_or_die(dir, options);
    const int n = std::atoi(argv[3]);
    for (int i = 0; i < n; ++i) {
      if (auto w = store.insert(Document{{"i", i}, {"pad", std::string(40, 'p')}}); !w) fail("insert", w.status());
    }
    if (Status s = store.flush(); !s) fail("flush", s);
    _exit(0);
  }
  if (mode == "loop") {
    const std::string durability = argv[3];
    options.durability = durability == "sync" ? Durability::kSync
                         : durability == "periodic" ? Durability::kPeriodic
                                                    : Durability::kNone;
    options.periodic_sync_ms = 5;
    Store store = open_or_die(dir, options);
    if (Status s = store.create_index("by_seq", {"seq"}); !s) fail("create_index", s);
    auto counter = store.insert(Document{{"counter", 0}});
    if (!counter) fail("insert counter", counter.status());
    for (int i = 1;; ++i) {
      auto w = store.insert(Document{{"seq", i}});
      if (!w) fail("insert", w.status());
      auto u = store.update(counter->id, Document{{"counter", i}});
      if (!u) fail("update", u.status());
      std::printf("%s %d %s %llu\n", w->id.c_str(), i, counter->id.c_str(), static_cast<unsigned long long>(u->version));
      std::fflush(stdout);
    }
  }
  std::fprintf(stderr, "crash_child: unknown mode %s\n", mode.c_str());
  return 2;
}
