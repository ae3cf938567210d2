// The child process of index_options_test: opens a durable store and writes
// to its unique and partial indexes, leaving without closing, as a crash
// would, so that the parent's reopen replays the WAL (create_index with its
// options included) instead of loading a checkpointed mirror.
//
//   index_options_child setup DIR   create the indexes and a few documents,
//                                   flush, exit without close
//   index_options_child loop DIR    forever: insert {email: "e<i>"}, then try
//                                   to insert "e0" again (which must fail);
//                                   print "<i>" once both are answered
//
// Exit codes: 0 done, 2 a failure (message on stderr).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "snapstore/store.h"

using namespace snapstore;

namespace {

[[noreturn]] void fail(const char* what, const Status& status) {
  std::fprintf(stderr, "index_options_child: %s: %s\n", what, status.message().c_str());
  std::fflush(stderr);
  _exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: index_options_child setup|loop DIR\n");
    return 2;
  }
  const std::string mode = argv[1];
  Options options;
  options.durability = Durability::kSync;
  auto store = Store::open(argv[2], options);
  if (!store) fail("open", store.status());
  if (mode == "setup") {
    if (Status s = store->create_index("by_email", {"email"}, IndexOptions{.unique = true}); !s) fail("index", s);
    if (Status s = store->create_index("active_by_city", {"city"},
                                       IndexOptions{.partial = IndexPredicate::equals("status", "active")});
        !s) {
      fail("index", s);
    }
    for (const char* status : {"active", "gone", "active"}) {
      auto r = store->insert(Document{{"email", std::string(status) + "@x.org"}, {"city", "NY"}, {"status", status}});
      // The second "active" is a duplicate email: refused.
      if (!r && r.code() != StatusCode::kUniqueViolation) fail("insert", r.status());
    }
    if (Status s = store->flush(); !s) fail("flush", s);
    _exit(0);
  }
  if (mode == "loop") {
    if (Status s = store->create_index("by_email", {"email"}, IndexOptions{.unique = true}); !s) fail("index", s);
    for (int i = 0;; ++i) {
      if (auto r = store->insert(Document{{"email", "e" + std::to_string(i)}}); !r) fail("insert", r.status());
      if (i > 0) {
        auto dup = store->insert(Document{{"email", "e0"}});
        if (dup || dup.code() != StatusCode::kUniqueViolation) fail("duplicate insert", dup.status());
      }
      std::printf("%d\n", i);
      std::fflush(stdout);
    }
  }
  return 2;
}
