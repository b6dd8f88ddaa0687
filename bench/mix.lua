-- wrk script for the realistic mix (bench/mix.py): wrk -s bench/mix.lua URL -- <urls file> [cookie] [start]
-- Each thread walks the sampled URLs in order from its own starting point (offset by "start", so that
-- successive runs do not replay the URLs an earlier run has just put in the cache); responses are counted by
-- status and by the page cache's X-Page-Cache header (hit, miss, absent when not cacheable), and
-- done() prints one parseable line: "mix-counts hits=… misses=… uncached=… s2xx=… s3xx=… s404=… s4xx=… s5xx=…".

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function init(args)
   paths = {}
   for line in io.lines(args[1]) do
      local path = line:match("\t(.+)$") or line
      if #path > 0 then
         paths[#paths + 1] = path
      end
   end
   if args[2] and #args[2] > 0 then
      wrk.headers["Cookie"] = args[2]
   end
   local start = tonumber(args[3] or "0") or 0
   index = (start + math.floor((id - 1) * 0.618 * #paths)) % #paths  -- threads start far apart
   hits, misses, uncached = 0, 0, 0
   s2xx, s3xx, s404, s4xx, s5xx = 0, 0, 0, 0, 0
end

function request()
   index = index % #paths + 1
   return wrk.format("GET", paths[index])
end

function response(status, headers, body)
   local cache = headers["X-Page-Cache"] or headers["x-page-cache"]
   if cache == "hit" then
      hits = hits + 1
   elseif cache == "miss" then
      misses = misses + 1
   else
      uncached = uncached + 1
   end
   if status < 300 then
      s2xx = s2xx + 1
   elseif status < 400 then
      s3xx = s3xx + 1
   elseif status == 404 then
      s404 = s404 + 1
   elseif status < 500 then
      s4xx = s4xx + 1
   else
      s5xx = s5xx + 1
   end
end

function done(summary, latency, requests)
   local names = { "hits", "misses", "uncached", "s2xx", "s3xx", "s404", "s4xx", "s5xx" }
   local parts = {}
   for _, name in ipairs(names) do
      local total = 0
      for _, thread in ipairs(threads) do
         total = total + (thread:get(name) or 0)
      end
      parts[#parts + 1] = name .. "=" .. total
   end
   io.write("mix-counts " .. table.concat(parts, " ") .. "\n")
end
