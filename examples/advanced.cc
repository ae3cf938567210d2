// advanced.cc: snapstore under real use. Several threads write at once (the
// store serializes writers of one document and counts every version); cursors
// walk documents forwards and backwards and see live data; a filtered clone
// transforms documents on the way; and every error is a Status code you can
// switch on. The C++ counterpart of go-store's examples/advanced.
//
// Usage: example_advanced [data-directory]   (default: ./snapstore-data)
//
// Exits non-zero when anything behaves other than the comments say, so it
// doubles as a smoke test.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "snapstore/store.h"

namespace {

using snapstore::Cursor;
using snapstore::CursorStep;
using snapstore::Document;
using snapstore::DocumentResult;
using snapstore::Status;
using snapstore::StatusCode;
using snapstore::Store;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "advanced: UNEXPECTED: " << what << "\n";
  std::exit(EXIT_FAILURE);
}

template <typename T>
T must(snapstore::Result<T> result, const std::string& step) {
  if (!result) fail(step + " failed: " + result.status().message());
  return std::move(result).value();
}

void must(const Status& status, const std::string& step) {
  if (!status) fail(step + " failed: " + status.message());
}

void expect(bool condition, const std::string& what) {
  if (!condition) fail(what);
}

// ---------------------------------------------------------------------------
// 1. Concurrent writers
// ---------------------------------------------------------------------------

// kWriters threads each update one shared document kUpdatesPerWriter times
// and insert kInsertsPerWriter documents of their own. Every Store method may
// be called from any thread; writers of one document take turns, so no update
// is lost and the version counts every one of them.
void concurrent_writers() {
  constexpr int kWriters = 4;
  constexpr int kUpdatesPerWriter = 25;
  constexpr int kInsertsPerWriter = 250;

  std::cout << "1. Concurrent writers\n";
  Store store = must(Store::open_in_memory(), "open_in_memory");
  const std::string shared_id = must(store.insert(Document{{"name", "Original"}, {"value", 100}}), "insert").id;

  std::mutex errors_mutex;
  std::vector<std::string> errors;  // guarded by errors_mutex
  {
    std::vector<std::jthread> writers;  // a jthread joins when destroyed
    writers.reserve(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < std::max(kUpdatesPerWriter, kInsertsPerWriter); ++i) {
          Status status;
          if (i < kUpdatesPerWriter) {
            Document doc{{"name", "Updated by writer " + std::to_string(w)}, {"value", 100 + i}, {"writer", w}};
            status = store.update(shared_id, doc).status();
          }
          if (status && i < kInsertsPerWriter) status = store.insert(Document{{"writer", w}, {"n", i}}).status();
          if (!status) {
            std::lock_guard<std::mutex> lock(errors_mutex);
            errors.push_back(status.message());
            return;
          }
        }
      });
    }
  }  // all writers joined here
  for (const std::string& e : errors) std::cerr << "  writer error: " << e << "\n";
  expect(errors.empty(), "no concurrent write should fail");

  DocumentResult shared = must(store.get(shared_id), "get shared document");
  std::cout << "   " << kWriters << " threads made " << kWriters * kUpdatesPerWriter << " updates and "
            << kWriters * kInsertsPerWriter << " inserts.\n"
            << "   Shared document: " << snapstore::to_json(shared.data) << ", version " << shared.version
            << " (1 for the insert + 1 per update)\n"
            << "   Store: " << store.size() << " documents, revision " << store.revision() << "\n";
  expect(shared.version == 1 + kWriters * kUpdatesPerWriter, "every concurrent update should count once");
  expect(store.size() == 1 + kWriters * kInsertsPerWriter, "every concurrent insert should be present");
  expect(store.revision() == 1 + kWriters * (kUpdatesPerWriter + kInsertsPerWriter),
         "every successful write should take exactly one revision");
}

// ---------------------------------------------------------------------------
// 2. Cursors
// ---------------------------------------------------------------------------

// Prints a step and returns the product's name ("" past either end).
std::string show(const std::string& call, const CursorStep& step) {
  std::string name = step.document ? step.document->data.at("product").as_string() : "";
  std::cout << "   " << call << " -> "
            << (step.document ? name + " @ " + snapstore::to_json(step.document->data.at("price")) : "(no document)")
            << (step.has_more ? ", more to go" : ", nothing further that way") << "\n";
  return name;
}

// A cursor is a movable position over the documents present when it was made
// (read(): id order; read_index(): index order). next() reads at the position
// and then moves forward; advance(k) and previous() move first, then read.
// Each step reads the document's *current* data.
void cursors(Store& catalog) {
  std::cout << "\n2. Cursors over a product catalog\n";

  Cursor by_price = must(catalog.read_index("by_price"), "read_index");
  std::cout << "   read_index(\"by_price\") covers " << by_price.count() << " products, cheapest first:\n";
  // Walk forward until a step has no document.
  std::vector<std::string> order;
  for (CursorStep step = must(by_price.next(), "next"); step.document; step = must(by_price.next(), "next")) {
    order.push_back(show("next()", step));
  }
  expect(order == std::vector<std::string>{"Mouse", "Keyboard", "Monitor", "Laptop"}, "index order is price order");

  // Backwards: previous() from the end lands on the last document.
  expect(show("previous()", must(by_price.previous(), "previous")) == "Laptop", "previous() from the end");
  expect(show("previous()", must(by_price.previous(), "previous")) == "Monitor", "previous() again");
  // advance() jumps and clamps at the ends.
  expect(show("advance(-10)", must(by_price.advance(-10), "advance")) == "Mouse", "advance clamps at the start");
  expect(show("advance(2)", must(by_price.advance(2), "advance")) == "Monitor", "advance(2) from the start");

  // clone(): same list and position, moving independently (one per thread).
  Cursor copy = by_price.clone();
  expect(show("copy.advance(1)", must(copy.advance(1), "copy.advance")) == "Laptop", "the clone moves on");
  expect(show("original next()", must(by_price.next(), "next")) == "Monitor", "the original stayed put");

  // The list is fixed when the cursor is made, but data is read live: a
  // price change shows, and a removed product reads as DocumentDeleted.
  const std::string mouse_id = must(catalog.lookup("by_price", {25}), "lookup").at(0).id;
  must(catalog.update(mouse_id, Document{{"product", "Mouse"}, {"price", 20}, {"in_stock", true}}), "update");
  const std::string monitor_id = must(catalog.lookup("by_price", {300}), "lookup").at(0).id;
  must(catalog.remove(monitor_id), "remove Monitor");

  must(by_price.reset(), "reset");
  std::cout << "   After repricing the Mouse and removing the Monitor, reset() and walk again:\n";
  std::size_t deleted = 0;
  for (std::size_t guard = 0; guard <= by_price.count(); ++guard) {
    snapstore::Result<CursorStep> step = by_price.next();
    if (!step && step.code() == StatusCode::kDocumentDeleted) {
      std::cout << "   next() -> " << step.status().message() << " (removed since the cursor was made)\n";
      ++deleted;  // the cursor has moved past it; carry on
      continue;
    }
    if (!step) fail("next: " + step.status().message());
    if (!step->document) break;
    show("next()", *step);
  }
  expect(deleted == 1 && by_price.count() == 4, "one removed product, and the cursor's list keeps its length");

  // read(): every document, in id (insertion) order.
  Cursor all = must(catalog.read(), "read");
  std::cout << "   read() covers " << all.count() << " products now\n";
  expect(all.count() == 3, "read() sees the three remaining products");
}

// ---------------------------------------------------------------------------
// 3. Clone with a filter that transforms
// ---------------------------------------------------------------------------

// clone(filter) copies the store, calling the filter once per document with
// a private copy: return false to leave it out, or change `data` to change
// what the clone keeps. Indexes are rebuilt from the transformed data.
void clone_with_filter(const Store& catalog) {
  std::cout << "\n3. Clone: in-stock products only, 10% off\n";
  const snapstore::CloneFilter in_stock_at_discount = [](DocumentResult& doc) {
    if (!doc.data.at("in_stock").as_bool()) return false;  // leave it out
    doc.data["price"] = doc.data.at("price").to_double() * 0.9;
    doc.data["on_sale"] = true;
    return true;
  };
  Store sale = must(catalog.clone(in_stock_at_discount), "clone");

  // The clone keeps ids and versions; the source keeps its own data.
  for (const DocumentResult& doc : must(sale.lookup_range("by_price", {}, {}), "lookup_range")) {
    const DocumentResult original = must(catalog.get(doc.id), "get original");
    std::cout << "   " << doc.data.at("product").as_string() << " @ " << doc.data.at("price").to_double() << " (was "
              << original.data.at("price") << "), version " << doc.version << "\n";
    expect(doc.version == original.version, "a clone keeps each document's version");
    expect(!original.data.contains("on_sale"), "the source never sees the clone's changes");
  }
  // The Monitor is out of stock (and removed), so 3 products remain. The
  // clone's index holds discounted prices: only the Mouse (18) and the
  // Keyboard (67.5) cost at most 70 there.
  expect(sale.size() == 3 && sale.revision() == catalog.revision(), "clone: 3 products, same revision");
  expect(must(sale.lookup_range("by_price", {}, {70}), "lookup_range").size() == 2, "two products at most 70");
}

// ---------------------------------------------------------------------------
// 4. Error handling
// ---------------------------------------------------------------------------

// What a program might do about each code. Codes are stable numbers; compare
// codes, not message text.
const char* advice(StatusCode code) {
  switch (code) {
    case StatusCode::kDocumentNotFound:
    case StatusCode::kDocumentDeleted:
      return "the id is stale: drop it or re-read";
    case StatusCode::kInvalidDocument:
    case StatusCode::kEmptyIndex:
    case StatusCode::kInvalidArgument:
      return "a bug in the caller: fix the input";
    case StatusCode::kIndexExists:
      return "fine if the index is the one we wanted";
    case StatusCode::kIndexNotFound:
      return "create the index first";
    case StatusCode::kStreamClosed:
      return "the normal end of a stream or cursor";
    case StatusCode::kStoreClosed:
      return "the store was closed: stop using it";
    default:
      return "an I/O or corruption problem: report it";
  }
}

Status status_of(const Status& status) { return status; }
template <typename T>
Status status_of(const snapstore::Result<T>& result) {
  return result.status();
}

template <typename R>
void expect_error(const std::string& call, const R& outcome, StatusCode expected) {
  const Status status = status_of(outcome);
  std::cout << "   " << call << " -> " << (status ? "ok" : status.message()) << "\n"
            << "      (" << advice(status.code()) << ")\n";
  expect(status.code() == expected,
         call + " should fail with " + std::string(snapstore::status_code_message(expected)));
}

void error_handling(Store& catalog) {
  std::cout << "\n4. Errors are values with a code\n";
  expect_error("get(\"no-such-id\")", catalog.get("no-such-id"), StatusCode::kDocumentNotFound);
  expect_error("insert(42)", catalog.insert(snapstore::Value(42)), StatusCode::kInvalidDocument);
  expect_error(R"(create_index("by_price", {"price"}))", catalog.create_index("by_price", {"price"}),
               StatusCode::kIndexExists);
  expect_error("create_index(\"nothing\", {})", catalog.create_index("nothing", {}), StatusCode::kEmptyIndex);
  expect_error("drop_index(\"by_city\")", catalog.drop_index("by_city"), StatusCode::kIndexNotFound);

  Cursor cursor = must(catalog.read(), "read");
  cursor.close();
  expect_error("next() on a closed cursor", cursor.next(), StatusCode::kStreamClosed);

  // Result<T>::value() on an error is a programming error: it throws BadAccess.
  try {
    [[maybe_unused]] DocumentResult doc = catalog.get("no-such-id").value();
    fail("value() on an error should throw");
  } catch (const snapstore::BadAccess& e) {
    std::cout << "   get(\"no-such-id\").value() throws BadAccess: " << e.what() << "\n";
  }

  // After close() every call answers StoreClosed, before any other check.
  catalog.close();
  expect_error("insert(...) after close()", catalog.insert(Document{{"product", "Cable"}}), StatusCode::kStoreClosed);
  expect_error("insert(42) after close()", catalog.insert(snapstore::Value(42)), StatusCode::kStoreClosed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::cerr << "usage: " << argv[0] << " [data-directory]\n";
    return EXIT_FAILURE;
  }
  const std::string data_dir = argc > 1 ? argv[1] : "./snapstore-data";

  std::cout << "--- snapstore: concurrency, cursors, clones and errors ---\n"
            << "In-memory stores: concurrency, cursors and clones behave the same on disk\n"
            << "  (example_durable keeps its data in " << data_dir << "/durable).\n\n";

  concurrent_writers();

  // A small catalog for the rest of the tour, indexed by price.
  Store catalog = must(Store::open_in_memory(), "open_in_memory");
  for (const Document& product : {
           Document{{"product", "Laptop"}, {"price", 1200}, {"in_stock", true}},
           Document{{"product", "Mouse"}, {"price", 25}, {"in_stock", true}},
           Document{{"product", "Monitor"}, {"price", 300}, {"in_stock", false}},
           Document{{"product", "Keyboard"}, {"price", 75}, {"in_stock", true}},
       }) {
    must(catalog.insert(product), "insert product");
  }
  must(catalog.create_index("by_price", {"price"}), "create_index by_price");

  cursors(catalog);
  clone_with_filter(catalog);
  error_handling(catalog);

  std::cout << "\nadvanced: everything behaved as expected\n";
  return EXIT_SUCCESS;
}
