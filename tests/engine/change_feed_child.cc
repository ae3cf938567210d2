// The writing child of change_feed_test: opens the store in DIR (none mode:
// an acknowledged write survives a kill; small segments and frequent checkpoints, so segments rotate and retire
// while it runs) and writes forever — inserts, updates, removes, batches,
// index creations and drops, chosen by SEED — printing the revision of each
// write once it is acknowledged, until the test SIGKILLs it. A separate
// program, not a fork(): RocksDB's threads do not survive a fork.
//
//   change_feed_child DIR SEED
//
// Exit codes: 2 a failure (message on stderr).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "snapstore/store.h"

using namespace snapstore;

namespace {

[[noreturn]] void fail(const char* what, const Status& status) {
  std::fprintf(stderr, "change_feed_child: %s: %s\n", what, status.message().c_str());
  std::fflush(stderr);
  _exit(2);
}

void acknowledged(std::uint64_t revision) {
  std::printf("%llu\n", static_cast<unsigned long long>(revision));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: change_feed_child DIR SEED\n");
    return 2;
  }
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 8 << 10;
  options.checkpoint_wal_bytes = 16 << 10;
  auto opened = Store::open(argv[1], options);
  if (!opened) fail("open", opened.status());
  Store store = std::move(*opened);
  std::mt19937_64 random(std::strtoull(argv[2], nullptr, 10));
  std::vector<std::string> ids;
  {
    auto stream = store.stream();
    while (auto doc = stream.next()) ids.push_back(doc->id);
  }
  auto pick = [&]() -> std::string { return ids[random() % ids.size()]; };
  auto forget = [&](const std::string& id) { std::erase(ids, id); };
  for (std::uint64_t i = 0;; ++i) {
    const auto roll = random() % 100;
    Document doc{{"k", static_cast<std::int64_t>(random() % 50)}, {"seq", i}, {"pad", std::string(random() % 64, 'p')}};
    if (roll < 35 || ids.size() < 4) {
      auto w = store.insert(doc);
      if (!w) fail("insert", w.status());
      ids.push_back(w->id);
      acknowledged(w->revision);
    } else if (roll < 60) {
      auto w = store.update(pick(), doc);
      if (!w) fail("update", w.status());
      acknowledged(w->revision);
    } else if (roll < 70) {
      const std::string id = pick();
      auto w = store.remove(id);
      if (!w) fail("remove", w.status());
      forget(id);
      acknowledged(w->revision);
    } else if (roll < 92) {
      WriteBatch batch;
      batch.insert(doc);
      const std::string a = pick();
      std::string b = pick();
      batch.update(a, Document{{"k", 1}, {"batch", i}});
      const bool removes = b != a;
      if (removes) batch.remove(b);
      auto w = store.write(batch);
      if (!w) fail("write", w.status());
      ids.push_back((*w)[0].id);
      if (removes) forget(b);
      acknowledged(w->back().revision);
    } else {
      const std::string name = "ix" + std::to_string(random() % 4);
      bool exists = false;
      for (const IndexInfo& info : store.indexes()) exists |= info.name == name;
      Status s = exists ? store.drop_index(name) : store.create_index(name, {"k"}, IndexOptions{.partial = IndexPredicate::exists("seq")});
      if (!s) fail("index", s);
      acknowledged(store.revision());
    }
  }
}
