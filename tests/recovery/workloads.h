// Workloads shared by the recovery tests and their crash child: a varied
// history of inserts, updates, deletes and index changes.
#pragma once

#include <string>
#include <vector>

#include "snapstore/store.h"

namespace snapstore::testutil {

// Returns the first failure, or ok.
inline Status write_history(Store& store, int n) {
  if (Status s = store.create_index("by_city", {"city"}); !s) return s;
  if (Status s = store.create_index("by_zip_age", {"address.zip", "age"}); !s) return s;
  if (Status s = store.create_index("doomed", {"age"}); !s) return s;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    auto w = store.insert(Document{{"city", i % 3 == 0 ? "NY" : "SF"},
                                   {"age", 20 + i % 40},
                                   {"address", Document{{"zip", std::to_string(10000 + i % 7)}}},
                                   {"tags", Array{"t", i}},
                                   {"score", i * 0.5}});
    if (!w) return w.status();
    ids.push_back(w->id);
  }
  for (int i = 0; i < n; i += 3) {
    if (auto u = store.update(ids[i], Document{{"city", "LA"}, {"age", i}}); !u) return u.status();
  }
  for (int i = 1; i < n; i += 5) {
    if (auto r = store.remove(ids[i]); !r) return r.status();
  }
  return store.drop_index("doomed");
}

}  // namespace snapstore::testutil
