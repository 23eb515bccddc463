-- POSTs one fixed JSON body (a GraphQL request, or the floor's copy of it) and checks every
-- response: HTTP 200, a "data" member and no "errors" member, so a fast error can never count
-- as a served page. done() prints one machine-readable line for bench/load.py.
--
--   wrk -t2 -c16 -d10s -s bench/wrk/graphql.lua http://127.0.0.1:8000/graphql -- body.json

local threads = {}

-- Per thread (each thread runs its own copy of this script).
responses = 0
failures = 0
sample = nil

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  local file = assert(io.open(path, "rb"), "cannot read the request body " .. tostring(path))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

function response(status, headers, body)
  responses = responses + 1
  -- In a JSON document a quote inside a string is escaped, so '"errors"' only matches a key.
  local ok = status == 200
    and body:find('"data"', 1, true) ~= nil
    and body:find('"errors"', 1, true) == nil
  if not ok then
    failures = failures + 1
    if sample == nil then
      sample = tostring(status) .. " " .. body:sub(1, 300)
    end
  end
end

function done(summary, latency, requests)
  local checked, failed, first = 0, 0, nil
  for _, thread in ipairs(threads) do
    checked = checked + thread:get("responses")
    failed = failed + thread:get("failures")
    first = first or thread:get("sample")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%.0f,"duration_us":%.0f,"checked":%.0f,"failed":%.0f,'
      .. '"connect_errors":%.0f,"read_errors":%.0f,"write_errors":%.0f,"timeouts":%.0f,'
      .. '"status_errors":%.0f,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,'
      .. '"mean_us":%.1f}\n',
    summary.requests, summary.duration, checked, failed,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean
  ))
  if first then
    io.write("BENCH_FAILURE_SAMPLE " .. (first:gsub("[\r\n]", " ")) .. "\n")
  end
end
