# Checks the CSV of `compare --quick` (compare.smoke) for the rows of the
# optional subjects built in and of the deep-copy lookups in both heap states
# (D119): each row of rows_<set> must be present, in snapstore's group (so
# that it is compared with snapstore) and carry a ratio; each row of
# references_<set> (snapstore's own) must be present with a count.
#   cmake -DCSV=compare-smoke.csv -DSUBJECTS=snapstore;lookups;lmdb;wiredtiger -P check_rows.cmake
set(rows_lmdb
  [["get by id, as a view",LMDB get \(zero-copy\),]]
  [["get by id, as a view, 2 threads",LMDB get \(zero-copy\),]]
  [[get by id,LMDB get \+ decode into Document,]]
  [["insert, 1 thread, durable",LMDB commit per insert,]]
  [["insert, 16 threads, not durable","LMDB commit per insert, MDB_NOSYNC",]]
  [["batch insert of 100, durable",LMDB transaction of 100,]]
  [[load [0-9]+ documents,"LMDB transactions of 10000, MDB_APPEND",]]
  [[stream all documents,LMDB cursor scan \+ decode,]])
set(rows_wiredtiger
  [["insert, 16 threads, durable","WiredTiger commit per insert, sync=on",]]
  [["insert, 1 thread, not durable","WiredTiger commit per insert, sync=off",]]
  [["batch insert of 100, durable","WiredTiger transaction of 100, sync=on",]]
  [[get by id,WiredTiger search \+ decode into Document,]]
  [[load [0-9]+ documents,WiredTiger bulk cursor \+ checkpoint,]]
  [[stream all documents,WiredTiger cursor scan \+ decode,]])
# The deep-copy lookup and range rows, one group per heap state, each with
# SQLite's rows of the same state; the views compare with the "heap kept" ones.
set(rows_lookups)
set(references_lookups)
foreach(state "heap kept" "heap returned before each query")
  foreach(workload [[exact lookup, one city \(~1%\)]] "range lookup, 1% of seq")
    foreach(form "rows as JSON text" "parsed into Document")
      list(APPEND rows_lookups "\"${workload}, ${state}\",\"SQLite expression index, ${form}, ${state}\",")
    endforeach()
  endforeach()
  list(APPEND references_lookups
    "\"exact lookup, one city \\(~1%\\), ${state}\",\"snapstore lookup \\(deep copies\\), ${state}\","
    "\"range lookup, 1% of seq, ${state}\",\"snapstore lookup_range \\(deep copies\\), ${state}\",")
endforeach()
list(APPEND rows_lookups
  [["exact lookup, one city \(~1%\), as views","SQLite expression index, parsed into Document, heap kept",]]
  [["range lookup, 1% of seq, as views","SQLite expression index, parsed into Document, heap kept",]])
# snapstore's own rows that compare with nothing but are checked to exist:
# the in-memory insert of a document built just before it (D121).
set(rows_snapstore "")
set(references_snapstore
  [["insert, 1 thread, not durable","snapstore in memory, 2 indexes, each document built just before",]])

# The YCSB smoke run (compare.ycsb_smoke): every workload's operation types,
# for both record shapes, with RocksDB's and SQLite's rows compared.
set(rows_ycsb)
foreach(shape "10 x 100 B fields" "~200 B documents")
  foreach(op "A [^\"]*: read" "A [^\"]*: update" "B [^\"]*: update" "C [^\"]*: read" "D [^\"]*: read"
             "D [^\"]*: insert" "E [^\"]*: scan" "E [^\"]*: insert" "F [^\"]*: read-modify-write")
    string(REPLACE ": " ", ${shape}, 2 threads: " row "${op}")
    list(APPEND rows_ycsb "\"YCSB ${row}\",RocksDB \\(sync=false\\)," "\"YCSB ${row}\",SQLite \\(synchronous=NORMAL\\),")
  endforeach()
endforeach()

if(NOT EXISTS "${CSV}")
  message(FATAL_ERROR "check_rows: no CSV at ${CSV}")
endif()
file(STRINGS "${CSV}" lines)
set(missing "")
# Appends to `missing` each row of `rows` that no line matches with `tail`
# after it.
function(require_rows rows tail)
  foreach(row IN LISTS ${rows})
    set(found FALSE)
    foreach(line IN LISTS lines)
      if(line MATCHES "^${row}${tail}")
        set(found TRUE)
        break()
      endif()
    endforeach()
    if(NOT found)
      string(APPEND missing "\n  ${row}")
    endif()
  endforeach()
  set(missing "${missing}" PARENT_SCOPE)
endfunction()
foreach(subject IN LISTS SUBJECTS)
  if(NOT DEFINED rows_${subject})
    message(FATAL_ERROR "check_rows: no expected rows for subject ${subject}")
  endif()
  # A compared row ends with the ratio column and an empty note; a reference
  # row has its store N, then a count of at least one.
  require_rows(rows_${subject} ".*,[0-9][0-9.]*,$")
  require_rows(references_${subject} "[0-9]+,[1-9]")
endforeach()
if(missing)
  message(FATAL_ERROR "check_rows: ${CSV} lacks these rows (or their ratio):${missing}")
endif()
message(STATUS "check_rows: every row of ${SUBJECTS} is present with a ratio")
