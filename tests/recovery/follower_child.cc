// The owner process of the follower tests: opens a durable store with small
// WAL segments and frequent checkpoints, and writes until it has written N
// times (then closes, or with "kill" waits to be killed) or forever (N = 0),
// printing every acknowledged operation on stdout so the test can rebuild the
// owner's state at any revision:
//   "<revision> put <id> <version> <n>"    the document is {"n": n, "group": n % 5}
//   "<revision> del <id>"
// Revision 1 is the index by_group on ["group"]. A separate program because
// RocksDB's threads do not survive fork().
//
//   follower_child DIR N [keep]
//
// It pauses 0.5 ms after each write so that readers overlap it. With "keep"
// it never checkpoints (the WAL keeps every record, as a named consumer
// would have it kept, for consumers that resume), pauses 1 ms, and exits
// without closing (a close would checkpoint).
//
// Exit codes: 0 done, 2 a failure (message on stderr).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "snapstore/store.h"

using namespace snapstore;

namespace {

[[noreturn]] void fail(const char* what, const Status& status) {
  std::fprintf(stderr, "follower_child: %s: %s\n", what, status.message().c_str());
  std::fflush(stderr);
  _exit(2);
}

Document doc_for(long n) { return Document{{"n", n}, {"group", n % 5}}; }

void print_put(const WriteResult& w, long n) {
  std::printf("%llu put %s %llu %ld\n", static_cast<unsigned long long>(w.revision), w.id.c_str(),
              static_cast<unsigned long long>(w.version), n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: follower_child DIR N [keep]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long n = std::atol(argv[2]);
  Options options;
  options.durability = Durability::kNone;  // kill -9 keeps what write() handed the OS
  options.wal_segment_bytes = 2048;        // many rotations
  const bool keep = argc == 4 && std::string(argv[3]) == "keep";
  if (!keep) options.checkpoint_wal_bytes = 8192;  // and many retirements
  auto store = Store::open(dir, options);
  if (!store) fail("open", store.status());
  if (Status s = store->create_index("by_group", {"group"}); !s) fail("create_index", s);
  std::printf("1 index\n");
  std::vector<std::string> live;
  for (long i = 1; n == 0 || i <= n; ++i) {
    const long kind = i % 10;
    if (kind < 5 || live.size() < 3) {
      auto w = store->insert(doc_for(i));
      if (!w) fail("insert", w.status());
      live.push_back(w->id);
      print_put(*w, i);
    } else if (kind < 8) {
      const std::string id = live[static_cast<std::size_t>(i * 7) % live.size()];
      auto w = store->update(id, doc_for(i));
      if (!w) fail("update", w.status());
      print_put(*w, i);
    } else if (kind == 8) {
      const std::size_t at = static_cast<std::size_t>(i * 13) % live.size();
      auto w = store->remove(live[at]);
      if (!w) fail("remove", w.status());
      std::printf("%llu del %s\n", static_cast<unsigned long long>(w->revision), live[at].c_str());
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    } else {
      WriteBatch batch;  // one record, three LSNs
      batch.insert(doc_for(i));
      batch.insert(doc_for(i + 1000000));
      batch.update(live.front(), doc_for(i + 2000000));
      auto w = store->write(batch);
      if (!w) fail("write", w.status());
      print_put((*w)[0], i);
      print_put((*w)[1], i + 1000000);
      print_put((*w)[2], i + 2000000);
      live.push_back((*w)[0].id);
      live.push_back((*w)[1].id);
    }
    std::fflush(stdout);
    ::usleep(keep ? 1000 : 500);  // readers overlap the writes
    if (!keep && i % 40 == 0) {
      if (Status s = store->checkpoint(); !s) fail("checkpoint", s);
    }
  }
  if (keep) {
    if (Status s = store->flush(); !s) fail("flush", s);
    _exit(0);
  }
  store->close();
  return 0;
}
