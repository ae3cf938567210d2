// basic.cc: the first steps with snapstore. Insert a document, read it back,
// replace it (its version goes 1 -> 2), delete it, and see the error a missing
// document gives. The C++ counterpart of go-store's examples/basic.
//
// Usage: example_basic [data-directory]   (default: ./snapstore-data)
//
// Every snapstore call that can fail returns a Status or a Result<T>; this
// program checks each one and exits non-zero on anything unexpected, so it
// doubles as a smoke test.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>

#include "snapstore/store.h"

namespace {

// Stops the program with a message: an example must never carry on past a
// surprise.
[[noreturn]] void fail(const std::string& what) {
  std::cerr << "basic: UNEXPECTED: " << what << "\n";
  std::exit(EXIT_FAILURE);
}

// Unwraps a Result<T>, or fails naming the step and the error.
template <typename T>
T must(snapstore::Result<T> result, const std::string& step) {
  if (!result) fail(step + " failed: " + result.status().message());
  return std::move(result).value();
}

void expect(bool condition, const std::string& what) {
  if (!condition) fail(what);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::cerr << "usage: " << argv[0] << " [data-directory]\n";
    return EXIT_FAILURE;
  }
  const std::string data_dir = argc > 1 ? argv[1] : "./snapstore-data";

  std::cout << "--- snapstore: basic usage ---\n"
            << "Store: " << data_dir << "/basic (emptied first, so every run tells the same story;\n"
            << "  example_durable shows data surviving a restart)\n\n";

  // A durable store in a directory. open() returns a Result<Store>: either a
  // Store or a Status saying why not (Busy if another program has it open).
  // Store::open_in_memory() gives the same store without the disk.
  const std::string store_dir = data_dir + "/basic";
  std::filesystem::remove_all(store_dir);
  std::filesystem::create_directories(data_dir);
  snapstore::Store store = must(snapstore::Store::open(store_dir), "open " + store_dir);

  // 1. Insert. A document is an object (a sorted map of field -> Value); the
  //    store assigns it a new id. A new document starts at version 1.
  snapstore::Document draft{{"title", "My First Document"}, {"author", "Alice"}, {"draft", true}};
  snapstore::WriteResult inserted = must(store.insert(draft), "insert");
  std::cout << "1. Inserted document " << inserted.id << " (version " << inserted.version << ")\n";
  expect(inserted.version == 1, "a new document should have version 1");

  // 2. Get. The result holds the id, a private copy of the data, the version
  //    and the store-wide revision of the write that produced this state.
  snapstore::DocumentResult got = must(store.get(inserted.id), "get");
  std::cout << "2. Got it back: title='" << got.data.at("title").as_string() << "', version " << got.version
            << ", data " << snapstore::to_json(got.data) << "\n";
  expect(got.data == draft, "get should return exactly what was inserted");

  // 3. Update. An update replaces the whole document (no merge: "draft" is
  //    gone afterwards) and adds 1 to its version.
  snapstore::Document revised{{"title", "My First Document (Revised)"}, {"author", "Alice Smith"}, {"pages", 150}};
  snapstore::WriteResult updated = must(store.update(inserted.id, revised), "update");
  std::cout << "3. Updated it (version " << updated.version << ")\n";
  expect(updated.version == 2, "one update should take the version from 1 to 2");

  got = must(store.get(inserted.id), "get after update");
  std::cout << "   Now: title='" << got.data.at("title").as_string() << "', pages " << got.data.at("pages").as_int()
            << ", version " << got.version << ", still a draft? " << (got.data.contains("draft") ? "yes" : "no")
            << "\n";
  expect(got.data == revised && got.version == 2, "get after update should return the revised document at v2");

  // 4. Delete. remove() reports the version the document had when removed.
  snapstore::WriteResult removed = must(store.remove(inserted.id), "remove");
  std::cout << "4. Deleted it (it was at version " << removed.version << ")\n";

  // 5. Reading it again fails with DocumentNotFound. Errors are values: test
  //    the code, print the message.
  snapstore::Result<snapstore::DocumentResult> gone = store.get(inserted.id);
  expect(!gone && gone.code() == snapstore::StatusCode::kDocumentNotFound,
         "get after remove should fail with DocumentNotFound");
  std::cout << "5. Getting it again fails as expected: " << gone.status().message() << "\n";

  // Every successful write (insert, update, remove) took the next revision.
  std::cout << "\nStore revision: " << store.revision() << ", documents: " << store.size() << "\n";
  expect(store.revision() == 3 && store.size() == 0, "three writes should leave revision 3 and an empty store");

  std::cout << "basic: all steps behaved as expected\n";
  return EXIT_SUCCESS;
}
