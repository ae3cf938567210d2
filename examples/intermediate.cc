// intermediate.cc: finding documents. Builds ordered indexes (single-field,
// composite, and on a dotted path into a nested object), then queries them
// with exact lookups, inclusive ranges, prefix ranges and open-ended ranges,
// reads a lookup through views, and finally streams every document. The C++ counterpart of go-store's
// examples/intermediate.
//
// Usage: example_intermediate [data-directory]   (default: ./snapstore-data)
//
// Exits non-zero when any answer differs from the one the comments promise,
// so it doubles as a smoke test.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "snapstore/store.h"

namespace {

using snapstore::Document;
using snapstore::DocumentResult;
using snapstore::Value;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "intermediate: UNEXPECTED: " << what << "\n";
  std::exit(EXIT_FAILURE);
}

template <typename T>
T must(snapstore::Result<T> result, const std::string& step) {
  if (!result) fail(step + " failed: " + result.status().message());
  return std::move(result).value();
}

void must(const snapstore::Status& status, const std::string& step) {
  if (!status) fail(step + " failed: " + status.message());
}

// Prints one line per document, and checks that the names came back in the
// expected order (results come in index order; equal keys in id order, and
// ids follow insertion order).
void show(const std::string& title, const std::vector<DocumentResult>& docs,
          const std::vector<std::string>& expected_names) {
  std::cout << "\n" << title << "\n";
  std::vector<std::string> names;
  for (const DocumentResult& doc : docs) {
    const Value& age = doc.data.at("age");
    std::cout << "  " << doc.data.at("name").as_string() << ", age "
              << (age.is_null() ? "-" : std::to_string(age.as_int())) << ", " << doc.data.at("city").as_string()
              << ", zip " << doc.data.at("address").at("zip").as_string() << "\n";
    names.push_back(doc.data.at("name").as_string());
  }
  if (names != expected_names) fail(title + ": names differ from the expected ones");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::cerr << "usage: " << argv[0] << " [data-directory]\n";
    return EXIT_FAILURE;
  }
  const std::string data_dir = argc > 1 ? argv[1] : "./snapstore-data";

  std::cout << "--- snapstore: indexes, lookups, ranges and streams ---\n"
            << "Store: " << data_dir << "/intermediate (emptied first; indexes are kept on disk too)\n";

  const std::string store_dir = data_dir + "/intermediate";
  std::filesystem::remove_all(store_dir);
  std::filesystem::create_directories(data_dir);
  snapstore::Store store = must(snapstore::Store::open(store_dir), "open " + store_dir);

  // Six people. Documents are schemaless: Frank has no age (null), and every
  // address is a nested object. Insertion order is also id order.
  auto person = [](const char* name, Value age, const char* city, const char* zip) {
    return Document{
        {"name", name}, {"age", std::move(age)}, {"city", city}, {"address", Document{{"city", city}, {"zip", zip}}}};
  };
  const std::vector<Document> people = {
      person("Alice", 30, "New York", "10001"),   person("Bob", 25, "London", "SW1A 1AA"),
      person("Charlie", 35, "New York", "10025"), person("David", 28, "Paris", "75001"),
      person("Eve", 30, "New York", "10001"),     person("Frank", nullptr, "London", "EC1A 1BB"),
  };
  for (const Document& p : people) must(store.insert(p), "insert " + p.at("name").as_string());
  std::cout << "Inserted " << store.size() << " people.\n";

  // 1. Indexes. An index orders documents by one or more fields. A field is a
  //    top-level name or a dotted path into nested objects ("address.zip").
  //    A document is in an index only when every indexed field is present and
  //    not null, so Frank is in by_city but not in by_age.
  must(store.create_index("by_city", {"city"}), "create_index by_city");
  must(store.create_index("by_age", {"age"}), "create_index by_age");
  must(store.create_index("by_city_age", {"city", "age"}), "create_index by_city_age");  // composite
  must(store.create_index("by_zip", {"address.zip"}), "create_index by_zip");            // dotted path
  std::cout << "\nIndexes:\n";
  for (const snapstore::IndexInfo& info : store.indexes()) {
    std::cout << "  " << info.name << " on";
    for (const std::string& field : info.fields) std::cout << " " << field;
    std::cout << " (" << info.entries << " documents)\n";
    if (info.name == "by_age" && info.entries != 5) fail("by_age should hold the 5 people with an age");
  }

  // 2. lookup: documents whose whole key equals the given values, one value
  //    per indexed field.
  show("Lookup by_city = New York:", must(store.lookup("by_city", {"New York"}), "lookup by_city"),
       {"Alice", "Charlie", "Eve"});
  show("Lookup by_city_age = (New York, 30):", must(store.lookup("by_city_age", {"New York", 30}), "lookup"),
       {"Alice", "Eve"});
  show("Lookup by_zip (address.zip) = 10001:", must(store.lookup("by_zip", {"10001"}), "lookup by_zip"),
       {"Alice", "Eve"});

  // 3. lookup_range: documents whose key lies in [min, max]. Both ends are
  //    inclusive: ages 28 and 30 themselves match.
  show("Range by_age 28..30 (inclusive):", must(store.lookup_range("by_age", {28}, {30}), "lookup_range by_age"),
       {"David", "Alice", "Eve"});

  // 4. A bound with fewer values than the index has fields is a prefix bound:
  //    {"New York"}..{"New York"} is every key starting with "New York", in
  //    (city, age) order.
  show("Prefix range by_city_age (New York)..(New York):",
       must(store.lookup_range("by_city_age", {"New York"}, {"New York"}), "prefix range"),
       {"Alice", "Eve", "Charlie"});

  // 5. An empty bound is unbounded on its side: everyone up to 28. Frank has
  //    no age, so he is in no age range at all.
  show("Range by_age ..28 (no lower bound):", must(store.lookup_range("by_age", {}, {28}), "open range"),
       {"Bob", "David"});

  // A miss is an empty result, not an error; so is min > max.
  if (!must(store.lookup("by_city", {"Tokyo"}), "lookup Tokyo").empty()) fail("nobody lives in Tokyo");
  if (!must(store.lookup_range("by_age", {40}, {20}), "reversed range").empty()) fail("40..20 should be empty");

  // Views: the same lookup read in place. A DocumentView neither decodes nor
  // copies the document; fields come out as views (strings as string_view).
  std::cout << "\nNew Yorkers by name, read through views:\n";
  for (const snapstore::DocumentView& person : must(store.lookup_view("by_city", {"New York"}), "lookup_view")) {
    std::cout << "  " << person.at("name").as_string() << "\n";
  }
  if (must(store.lookup_view("by_city", {"New York"}), "lookup_view").size() !=
      must(store.lookup("by_city", {"New York"}), "lookup").size()) {
    fail("lookup_view and lookup should find the same documents");
  }

  // 6. stream: one pass over a snapshot of every document, in id order.
  //    Writes after stream() is called are invisible to it. next() answers
  //    StreamClosed once every document has been delivered.
  std::cout << "\nStreaming every document:\n";
  snapstore::Stream stream = store.stream();
  must(store.insert(Document{{"name", "Late"}, {"city", "Oslo"}}), "insert after stream()");  // not streamed
  std::size_t streamed = 0;
  for (;;) {
    snapstore::Result<DocumentResult> next = stream.next();
    if (!next) {
      if (next.code() != snapstore::StatusCode::kStreamClosed) fail("stream: " + next.status().message());
      break;  // the normal end of a stream
    }
    std::cout << "  " << next->id << "  " << snapstore::to_json(next->data) << "\n";
    ++streamed;
  }
  std::cout << "Stream finished after " << streamed << " documents (the store now holds " << store.size() << ").\n";
  if (streamed != people.size()) fail("the stream should deliver the 6 documents present when it was made");

  std::cout << "\nintermediate: all answers were as expected\n";
  return EXIT_SUCCESS;
}
