-- make bench: wrk's report as one JSON line (bench/throughput.py reads it).
-- With BENCH_POST_TITLE set, every request is a POST of a task whose title
-- is that text, the thread's number and a count, so no two are alike.
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local title = os.getenv("BENCH_POST_TITLE")
if title then
   local n = 0
   -- Defined only for POST rows: wrk then builds each request here; GET
   -- rows keep wrk's prebuilt request.
   function request()
      n = n + 1
      local body = string.format('{"title":"%s %d-%d"}', title, tid, n)
      return wrk.format("POST", nil, nil, body)
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,"status_errors":%d,' ..
      '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
      '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read,
      e.write, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
