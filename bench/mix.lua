-- wrk script for the community mix: every request is a random logged-in
-- reader and a random target; 5-10% of requests are writes. Each answer is
-- checked for its kind and counted; one JSON line sums up when the run ends.
--
-- WRK_MIX_DATA names a Lua file (written by bench/mix.py) returning:
--   readers   { {cookie=, token=, csrf=, xff=}, ... }  (csrf already urlencoded)
--   users     demo users in the database: profiles are /user/demo1..demoN
--   max_post  the newest post id when the run starts (for ?before=, and
--             the posts replies and likes may go to)
--   reader_posts  recent post ids of the readers; at_readers of replies and
--             likes go to one of these, so that readers get notifications
--   reads     { {kind, weight}, ... }  the read targets and their weights
--   writes    { {kind, weight}, ... }  the write kinds and their weights
--   write_share  fraction of requests that are writes
--   host, referer, seed, run (a nonce that keeps post bodies unique)
--
-- The kind of each request travels in its X-Request-ID ("kind.thread.seq",
-- plus ".post" for a reply or like), which Wren echoes, so each answer is
-- judged by what was asked. Success is a 2xx with real content, and for a
-- form without script the redirect that is its success, nothing else:
--   form_post     302 to "/"
--   form_reply    302 to the new reply's thread, /post/<another id>
--   form_like, form_unlike   204 (sent as the page's script sends the like
--                 form: the form's fields, Accept: application/json)
--   api_post      201 with the post; api_reply 201 with "in_reply_to": <id>
--   api_like, api_unlike     204
--   api_feed, api_notifications   200 with "items"
--   pages         200 with a whole HTML document for a logged-in reader (a
--                 log-out form, no login form); the home feed shows the
--                 post form, page one of /explore at least one post.
-- Other pages, and notifications, may be empty (counted, not failed).

local data = dofile(os.getenv("WRK_MIX_DATA"))
local readers = data.readers
local n_readers = #readers

local KINDS = {}
for _, r in ipairs(data.reads) do table.insert(KINDS, r[1]) end
for _, w in ipairs(data.writes) do table.insert(KINDS, w[1]) end
local HTML = {
  feed = true, explore = true, profile = true,
  feed_deep = true, explore_deep = true, profile_deep = true,
  notifications = true,
}
local POST_CARD = '<article class="post card'
local NOTIFICATION = 'class="notification card'
local LOGIN_FORM = 'name="password"'
local LOGGED_IN = '/auth/logout'  -- the navbar's log-out form
local POST_FORM = 'class="post-form'

local function total(weights)
  local sum = 0
  for _, r in ipairs(weights) do sum = sum + r[2] end
  return sum
end
local read_weight, write_weight = total(data.reads), total(data.writes)
local n_reader_posts = #data.reader_posts

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Counters are plain numeric globals ("sent_feed", "bad_api_post", ...):
-- wrk 4.1 crashes copying tables out of a thread whose script defines
-- request(), so done() reads numbers and strings only.
local COUNTERS = {"sent", "ok", "bad", "empty"}
local NAME = {}
for _, c in ipairs(COUNTERS) do
  NAME[c] = {}
  for _, k in ipairs(KINDS) do NAME[c][k] = c .. "_" .. k end
end

local function count(counter, kind)
  local name = NAME[counter][kind]
  _G[name] = _G[name] + 1
end

function init(args)
  math.randomseed(data.seed * 1000 + tid * 7919)
  for _ = 1, 10 do math.random() end
  seq = 0
  for _, c in ipairs(COUNTERS) do
    for _, k in ipairs(KINDS) do _G[NAME[c][k]] = 0 end
  end
  bad_unknown = 0
  non2xx = 0
  sample = ""
end

local function pick(weights, sum)
  local x = math.random() * sum
  for _, r in ipairs(weights) do
    x = x - r[2]
    if x < 0 then return r[1] end
  end
  return weights[#weights][1]
end

-- The post a reply or like goes to: often a reader's own recent one.
local function pick_post()
  if n_reader_posts > 0 and math.random() < data.at_readers then
    return data.reader_posts[math.random(n_reader_posts)]
  end
  return math.random(data.max_post)
end

local function form_text(text)
  return (string.gsub(string.gsub(text, " ", "+"), "#", "%%23"))
end

local function headers_for(reader, kind)
  return {
    ["Host"] = data.host,
    ["User-Agent"] = "wren-bench",
    ["X-Forwarded-Proto"] = "https",
    ["X-Forwarded-For"] = reader.xff,
    ["X-Request-ID"] = kind .. "." .. tid .. "." .. seq,
  }
end

function request()
  seq = seq + 1
  local reader = readers[math.random(n_readers)]
  local kind
  if math.random() < data.write_share then
    kind = pick(data.writes, write_weight)
  else
    kind = pick(data.reads, read_weight)
  end
  count("sent", kind)
  local h = headers_for(reader, kind)
  local text = "bench " .. kind .. " " .. data.run .. "-" .. tid .. "-" .. seq .. " #bench"

  if kind == "api_post" or kind == "api_reply" then
    h["Authorization"] = "Bearer " .. reader.token
    h["Content-Type"] = "application/json"
    local extra = ""
    if kind == "api_reply" then
      local post = pick_post()
      h["X-Request-ID"] = h["X-Request-ID"] .. "." .. post
      extra = ', "in_reply_to": ' .. post
    end
    return wrk.format("POST", "/api/posts", h, '{"body": "' .. text .. '"' .. extra .. '}')
  end
  if kind == "api_like" or kind == "api_unlike" then
    local post = pick_post()
    h["Authorization"] = "Bearer " .. reader.token
    h["X-Request-ID"] = h["X-Request-ID"] .. "." .. post
    local method = (kind == "api_like") and "PUT" or "DELETE"
    return wrk.format(method, "/api/posts/" .. post .. "/like", h)
  end
  if kind == "form_post" or kind == "form_reply" or kind == "form_like"
      or kind == "form_unlike" then
    h["Cookie"] = reader.cookie
    h["Content-Type"] = "application/x-www-form-urlencoded"
    h["Referer"] = data.referer
    local form = "csrf_token=" .. reader.csrf
    if kind == "form_post" then
      return wrk.format("POST", "/", h, form .. "&body=" .. form_text(text))
    end
    local post = pick_post()
    h["X-Request-ID"] = h["X-Request-ID"] .. "." .. post
    if kind == "form_reply" then
      return wrk.format("POST", "/post/" .. post .. "/reply", h,
        form .. "&body=" .. form_text(text))
    end
    -- As app.js sends the like form: its fields, asking for JSON.
    h["Accept"] = "application/json"
    local action = (kind == "form_like") and "/like" or "/unlike"
    return wrk.format("POST", "/post/" .. post .. action, h,
      form .. "&next=%2F%23post-" .. post)
  end

  if kind == "api_feed" or kind == "api_notifications" then
    h["Authorization"] = "Bearer " .. reader.token
    local path = (kind == "api_feed") and "/api/feed" or "/api/notifications"
    return wrk.format("GET", path, h)
  end

  h["Cookie"] = reader.cookie
  local path
  if kind == "feed" then
    path = "/"
  elseif kind == "explore" then
    path = "/explore"
  elseif kind == "profile" then
    path = "/user/demo" .. math.random(data.users)
  elseif kind == "notifications" then
    path = "/notifications"
  else
    local before = "?before=" .. math.random(data.max_post)
    if kind == "feed_deep" then
      path = "/" .. before
    elseif kind == "explore_deep" then
      path = "/explore" .. before
    else
      path = "/user/demo" .. math.random(data.users) .. before
    end
  end
  return wrk.format("GET", path, h)
end

local function header(headers, name)
  local value = headers[name]
  if value then return value end
  local lower = string.lower(name)
  for k, v in pairs(headers) do
    if string.lower(k) == lower then return v end
  end
  return nil
end

-- A Location to this site's path ``path_pattern`` (relative or absolute).
local function redirects_to(headers, path_pattern)
  local location = header(headers, "Location") or ""
  return string.match(location, "^" .. path_pattern .. "$") ~= nil
    or string.match(location, "^https?://[^/]+" .. path_pattern .. "$") ~= nil
end

local function judge(kind, status, headers, body, post)
  if kind == "form_post" then
    return status == 302 and redirects_to(headers, "/")
  elseif kind == "form_reply" then
    if status ~= 302 then return false end
    local location = header(headers, "Location") or ""
    local thread = string.match(location, "^[^?#]-/post/(%d+)$")
    return thread ~= nil and thread ~= post
  elseif kind == "form_like" or kind == "form_unlike"
      or kind == "api_like" or kind == "api_unlike" then
    return status == 204
  elseif kind == "api_post" then
    return status == 201 and string.find(body, '"id":', 1, true) ~= nil
  elseif kind == "api_reply" then
    return status == 201
      and string.find(body, '"in_reply_to":%s*' .. post .. "[,}%s]") ~= nil
  elseif kind == "api_feed" or kind == "api_notifications" then
    if status ~= 200 or not string.find(body, '"items":', 1, true) then
      return false
    end
    if string.find(body, '"items":%s*%[%s*%]') then count("empty", kind) end
    return true
  elseif HTML[kind] then
    if status ~= 200 or not string.find(body, "</html>", 1, true)
        or string.find(body, LOGIN_FORM, 1, true)
        or not string.find(body, LOGGED_IN, 1, true) then
      return false
    end
    if kind == "feed" and not string.find(body, POST_FORM, 1, true) then
      return false
    end
    local item = (kind == "notifications") and NOTIFICATION or POST_CARD
    if not string.find(body, item, 1, true) then
      -- A deep page, a new user's profile, a quiet feed or nobody's
      -- notifications yet may be empty; page one of /explore never is.
      if kind == "explore" then return false end
      count("empty", kind)
    end
    return true
  end
  return false
end

function response(status, headers, body)
  local rid = header(headers, "X-Request-ID") or ""
  local kind, post = string.match(rid, "^([a-z_]+)%.%d+%.%d+%.?(%d*)$")
  if kind == nil or NAME.sent[kind] == nil then
    bad_unknown = bad_unknown + 1
    if sample == "" then sample = "unknown:" .. status end
    return
  end
  -- Only the form redirects that mean success are not counted here.
  if (status < 200 or status > 299)
      and not (status == 302 and (kind == "form_post" or kind == "form_reply")) then
    non2xx = non2xx + 1
  end
  if judge(kind, status, headers, body, post) then
    count("ok", kind)
  else
    count("bad", kind)
    if sample == "" then
      sample = kind .. ":" .. status .. ":" .. (header(headers, "Location") or "")
    end
  end
end

local function json_counts(counter)
  local parts = {}
  for _, k in ipairs(KINDS) do
    local n = 0
    for _, thread in ipairs(threads) do
      n = n + thread:get(NAME[counter][k])
    end
    table.insert(parts, string.format('"%s": %d', k, n))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local unknown, other_status, samples = 0, 0, {}
  for _, thread in ipairs(threads) do
    unknown = unknown + thread:get("bad_unknown")
    other_status = other_status + thread:get("non2xx")
    local s = thread:get("sample")
    if s ~= "" then table.insert(samples, '"' .. string.gsub(s, '["\\]', "") .. '"') end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "status_errors": %d, ' ..
    '"sent": %s, "ok": %s, "bad": %s, "empty": %s, "unknown": %d, ' ..
    '"non2xx": %d, "samples": [%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write, e.timeout, e.status,
    json_counts("sent"), json_counts("ok"), json_counts("bad"),
    json_counts("empty"), unknown, other_status, table.concat(samples, ", ")))
end
