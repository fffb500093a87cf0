-- wrk script of bench/load.py: one page under load, and one JSON line with what was measured.
--
--   LOAD_METHOD=POST LOAD_BODY='{"trl": 5}' wrk -c 8 -t 2 -d 10s --latency -s bench/load.lua URL
--
-- The method and body come from the environment (GET and none when unset); headers from wrk's
-- own -H. Every response that is not 2xx is counted (wrk's own "status" errors count only 4xx and
-- 5xx: a redirect to the sign-in page would pass unnoticed). done() prints one line,
-- "LOAD_RESULT {...}", with the latency percentiles in milliseconds, the requests, wrk's socket
-- errors and the non-2xx count, for bench/load.py to parse.

wrk.method = os.getenv("LOAD_METHOD") or "GET"
local body = os.getenv("LOAD_BODY")
if body ~= nil and body ~= "" then
   wrk.body = body
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
   first_status = 0
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_status == 0 then
         first_status = status
      end
   end
end

function done(summary, latency, requests)
   local non_2xx = 0
   local status = 0
   for _, thread in ipairs(threads) do
      non_2xx = non_2xx + thread:get("non2xx")
      if status == 0 then
         status = thread:get("first_status")
      end
   end
   local errors = summary.errors
   io.write(string.format(
      'LOAD_RESULT {"p50": %.3f, "p95": %.3f, "p99": %.3f, "max": %.3f, "mean": %.3f, '
         .. '"requests": %d, "seconds": %.3f, "non_2xx": %d, "first_non_2xx_status": %d, '
         .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, '
         .. '"status_errors": %d, "timeouts": %d}\n',
      latency:percentile(50) / 1000,
      latency:percentile(95) / 1000,
      latency:percentile(99) / 1000,
      latency.max / 1000,
      latency.mean / 1000,
      summary.requests,
      summary.duration / 1e6,
      non_2xx,
      status,
      errors.connect,
      errors.read,
      errors.write,
      errors.status,
      errors.timeout
   ))
end
