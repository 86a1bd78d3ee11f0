#!/bin/busybox sh
# dom0 job: HTTP between guests and dom0 over iohost's /net, with plain BSD socket apps.
#  1. The httpd guest (apps/httpd) announces port 20080 through /net; dom0's own wget and nc
#     fetch a page, a 4 MiB file (checked by md5), a directory listing, a missing file, and two
#     requests on one keep-alive connection. A socket the guest announced is a socket of dom0's
#     stack: that is how the outside reaches a guest service.
#  2. The fetch guest (apps/fetch) downloads a 4 MiB file from busybox httpd in dom0, by name
#     (localhost, through /net/cs); dom0 checks the file the guest wrote into its share.
dir=$1
. "$dir/lib.sh"

mkdir -p /srv/www-guest/sub /srv/www-host /srv/fetched
echo "<html><body>hello from the xenos httpd</body></html>" > /srv/www-guest/index.html
echo "a file in a folder" > /srv/www-guest/sub/a.txt
dd if=/dev/urandom of=/srv/www-guest/big.bin bs=1024 count=4096 2>/dev/null
dd if=/dev/urandom of=/srv/www-host/big.bin bs=1024 count=4096 2>/dev/null
start_iohost /run/http.ready /run/http.log --export www=/srv/www-guest --export fetched=/srv/fetched \
  --net web-net,announce=20080 --net fetch-net \
  --xen-guest httpd=share:www,net:web-net --xen-guest fetch=share:fetched,net:fetch-net

# ---- 1. httpd in the guest, clients in dom0 ----
guest_cfg httpd httpd.elf 64 "xenos.mounts=share,net -p 20080 -n 5"
xl create /tmp/httpd.cfg > /tmp/httpd.create 2>&1 || bad "xl create httpd: $(cat /tmp/httpd.create)"
if wait_for 60 console_has httpd "serving /fs on port 20080"; then
  ok "the httpd guest announced port 20080 through iohost's /net"
else
  bad "httpd did not start"; show httpd
fi
page=$(wget -q -O - http://127.0.0.1:20080/ 2>&1)
[ "$page" = "<html><body>hello from the xenos httpd</body></html>" ] \
  && ok "HTTP: dom0's wget gets the guest's index.html" || bad "HTTP index: got '$page'"
wget -q -O /tmp/big.bin http://127.0.0.1:20080/big.bin
if [ "$(md5sum < /tmp/big.bin)" = "$(md5sum < /srv/www-guest/big.bin)" ]; then
  ok "HTTP: a 4 MiB file from the guest arrives byte for byte"
else
  bad "HTTP: the 4 MiB file differs ($(wc -c < /tmp/big.bin) bytes)"
fi
listing=$(wget -q -O - http://127.0.0.1:20080/sub/ 2>&1)
echo "$listing" | grep -q 'href="/sub/a.txt"' && ok "HTTP: a folder without index.html gets a listing" \
  || bad "HTTP listing: '$listing'"
missing=$(wget -q -O - http://127.0.0.1:20080/missing 2>&1)
echo "$missing" | grep -q "404" && ok "HTTP: a missing file is 404" || bad "HTTP missing: '$missing'"
both=$(printf 'GET /sub/a.txt HTTP/1.1\r\nHost: g\r\n\r\nGET /index.html HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n' \
  | timeout 20 nc 127.0.0.1 20080)
[ "$(echo "$both" | grep -c 'HTTP/1.1 200 OK')" = 2 ] && echo "$both" | grep -q "a file in a folder" \
  && ok "HTTP/1.1 keep-alive: two requests answered on one connection" || bad "HTTP keep-alive: '$both'"
wait_for 30 not_running httpd || { bad "httpd did not exit after 5 connections"; xl destroy httpd; }
console_done httpd
console_has httpd "5 connections served, exiting" && ok "httpd served its 5 connections and powered off" \
  || { bad "httpd did not finish cleanly"; show httpd; }

# ---- 2. fetch in the guest, a server in dom0 ----
busybox httpd -f -p 127.0.0.1:20081 -h /srv/www-host &
server=$!
wait_for 10 listening 20081 || bad "dom0's busybox httpd did not listen on 20081 in 10 s"
guest_cfg fetch fetch.elf 64 "xenos.mounts=share,net http://localhost:20081/big.bin got.bin"
xl create /tmp/fetch.cfg > /tmp/fetch.create 2>&1 || bad "xl create fetch: $(cat /tmp/fetch.create)"
wait_for 90 not_running fetch || { bad "fetch did not finish in 90 s"; xl destroy fetch; }
console_done fetch
if [ -f /srv/fetched/got.bin ] && [ "$(md5sum < /srv/fetched/got.bin)" = "$(md5sum < /srv/www-host/big.bin)" ]; then
  ok "HTTP: the fetch guest downloaded 4 MiB from dom0 by name (localhost via /net/cs), byte for byte"
else
  bad "fetch: got.bin missing or different"; show fetch
fi
kill $server
left=$(zombies)
[ -z "$left" ] && ok "no zombie domain after the HTTP guests" || bad "domains left: $left"
kill $iohost_pid
wait $iohost_pid 2>/dev/null
exit $failed
