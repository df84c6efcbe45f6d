-- wrk script: each request increments counter "n" of one of the sessions listed in the file named by
-- the SESSIONS environment variable, one "Header: value" line per session, taken round-robin per connection.
local sessions = {}
local next_index = 0

function setup(thread)
  thread:set("offset", next_index)
  next_index = next_index + 1
end

function init(args)
  for line in io.lines(os.getenv("SESSIONS")) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then sessions[#sessions + 1] = { name, value } end
  end
  position = offset or 0
end

function request()
  position = position + 1
  local session = sessions[(position % #sessions) + 1]
  return wrk.format("POST", "/sessions/current/counters/n/increment", { [session[1]] = session[2] }, nil)
end
