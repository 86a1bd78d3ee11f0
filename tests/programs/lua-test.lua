-- Run by the stock Lua 5.4 interpreter (built from Debian's lua5.4 source package with
-- xenos-cc) as a xenos guest: `lua /fs/lua-test.lua`. It uses the string, table, coroutine,
-- math, utf8, io and os libraries, reads and writes files through the namespace (/fs is the
-- guest's share), and writes what it found to /fs/lua-result.txt, which the host compares with
-- tests/programs/lua-expected.txt (tests/xen/programs.py). The folder is arg[1] if given (the
-- host's own lua5.4 ran it that way to write the expected file).
local dir = arg[1] or "/fs"
local out = assert(io.open(dir .. "/lua-result.txt", "w"))
local function put(key, value) out:write(key, "=", tostring(value), "\n") end

-- string
put("format", string.format("%5.2f|%-4s|%x|%q", math.pi, "ab", 255, "a\nb"))
put("gsub", (("hello world from lua"):gsub("(%w+)", "<%1>")))
put("match", table.concat({ ("key = value"):match("^(%w+)%s*=%s*(%w+)$") }, ","))
put("rep", ("ab"):rep(3, "-"))
put("utf8", utf8.len("grüße, 世界") .. " " .. utf8.char(72, 228, 8364))

-- table: sort 10,000 numbers from a fixed recurrence, check the order, sum them
local t, x = {}, 12345
for i = 1, 10000 do
  x = (x * 1103515245 + 12345) % 2147483648
  t[i] = x % 100000
end
table.sort(t)
local sorted, sum = true, 0
for i = 1, #t do
  if i > 1 and t[i - 1] > t[i] then sorted = false end
  sum = sum + t[i]
end
put("sort", tostring(sorted) .. " " .. #t .. " " .. sum)
put("concat", table.concat({ 1, 2, 3, "four" }, "+"))
put("unpack", select("#", table.unpack({ 1, 2, 3, nil, 5 }, 1, 5)))

-- coroutine: a generator of primes
local primes = coroutine.wrap(function()
  for n = 2, 10000 do
    local prime = true
    for d = 2, math.floor(math.sqrt(n)) do
      if n % d == 0 then prime = false break end
    end
    if prime then coroutine.yield(n) end
  end
end)
local count, last = 0, 0
for p in primes do count, last = count + 1, p end
put("primes", count .. " " .. last)

-- math, integers and floats
put("math", string.format("%d %d %.6f %s", 2 ^ 53 // 1 | 0, math.maxinteger // 2 ^ 32 | 0, math.sin(1), math.type(1) .. "/" .. math.type(1.0)))

-- io: 20,000 lines out, read back by lines and whole, through the namespace
local big = assert(io.open(dir .. "/lua-lines.txt", "w"))
for i = 1, 20000 do big:write(string.format("line %05d %s\n", i, ("x"):rep(i % 50))) end
big:close()
local lines, bytes = 0, 0
for line in io.lines(dir .. "/lua-lines.txt") do lines, bytes = lines + 1, bytes + #line + 1 end
local f = assert(io.open(dir .. "/lua-lines.txt", "rb"))
local whole = f:read("a")
local size = f:seek("end")
f:close()
put("io", lines .. " " .. bytes .. " " .. #whole .. " " .. size)
local seeded = assert(io.open(dir .. "/from-host.txt")):read("l")
put("host_file", seeded)
put("missing", select(2, io.open(dir .. "/no-such-file")) ~= nil)

-- os: a wall clock from Xen, dates, renames and removes through the namespace
put("time", os.time() > 1700000000)
put("date", tonumber(os.date("!%Y")) >= 2024)
put("date_fixed", os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365))
local c0 = os.clock()
local spin = 0
for i = 1, 200000 do spin = spin + i end
put("clock", os.clock() >= c0)
assert(io.open(dir .. "/lua-tmp.txt", "w")):close()
put("rename", os.rename(dir .. "/lua-tmp.txt", dir .. "/lua-renamed.txt") == true)
assert(io.open(dir .. "/lua-doomed.txt", "w")):close()
put("remove", os.remove(dir .. "/lua-doomed.txt") == true)
put("remove_missing", os.remove(dir .. "/lua-doomed.txt") == nil)

-- errors: pcall, error objects, a traceback
local ok, err = pcall(function() error({ code = 42 }) end)
put("pcall", tostring(ok) .. " " .. err.code)
put("error_msg", select(2, pcall(function() local n = nil; return n.field end)):match("attempt to index") ~= nil)
out:close()
print("lua-test: done")
