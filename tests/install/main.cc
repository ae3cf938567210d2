// main.cc: the install check's consumer. Opens an in-memory store through the
// installed headers and library, inserts a document and reads it back; exits
// non-zero if any of that fails.
#include <cstdlib>
#include <iostream>

#include "snapstore/store.h"

int main() {
  auto store = snapstore::Store::open_in_memory();
  if (!store) {
    std::cerr << "install check: open_in_memory failed: " << store.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const snapstore::Document doc{{"name", "Ada"}, {"born", 1815}, {"tags", snapstore::Array{"math", "engines"}}};
  auto inserted = store->insert(doc);
  if (!inserted) {
    std::cerr << "install check: insert failed: " << inserted.status().message() << "\n";
    return EXIT_FAILURE;
  }
  auto got = store->get(inserted->id);
  if (!got || got->data != doc || got->version != 1) {
    std::cerr << "install check: get did not return the inserted document\n";
    return EXIT_FAILURE;
  }
  std::cout << "install check: find_package(snapstore) works; read back " << snapstore::to_json(got->data) << "\n";
  return EXIT_SUCCESS;
}
