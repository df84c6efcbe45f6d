-- wrk script: each request is METHOD PATH (environment variables; POST /sessions/current/counters/n/increment by
-- default) for one of the sessions listed in the file named by SESSIONS, one "Header: value" line per session (a
-- bearer token or a cookie), taken round-robin. PATH_TO may list several paths, comma-separated: each pass over the
-- sessions uses the next one, so that every session gets each path in turn (a mix of pages in those proportions).
local sessions = {}
local method = os.getenv("METHOD") or "POST"
local paths = {}
for path in string.gmatch(os.getenv("PATH_TO") or "/sessions/current/counters/n/increment", "[^,]+") do paths[#paths + 1] = path end
local position = 0

function init(args)
  for line in io.lines(os.getenv("SESSIONS")) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then sessions[#sessions + 1] = { name, value } end
  end
end

function request()
  position = position + 1
  local session = sessions[(position % #sessions) + 1]
  local path = paths[(math.floor(position / #sessions) % #paths) + 1]
  return wrk.format(method, path, { [session[1]] = session[2] }, nil)
end
