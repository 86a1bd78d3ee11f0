# Sourced by test and bench scripts: start iohost on a free loopback TCP port (and a unix
# socket in WORK) with the trees given, wait until it says where it listens, and stop it on
# exit. Sets IOHOST_ADDRESS (127.0.0.1:PORT), IOHOST_SOCKET and IOHOST_PID.
#   start_iohost IOHOST_BINARY WORK_DIR LOG_FILE TREE_ARGS...
start_iohost() {
  local binary=$1 work=$2 log=$3
  shift 3
  rm -f "$work/iohost.ready"
  "$binary" --listen tcp:127.0.0.1:0 --listen "unix:$work/iohost.sock" --ready-file "$work/iohost.ready" "$@" \
    2>"$log" &
  IOHOST_PID=$!
  IOHOST_SOCKET=$work/iohost.sock
  [[ -n ${P9_OWN_TRAP:-} ]] || trap stop_iohost EXIT
  for _ in $(seq 100); do
    if [[ -f $work/iohost.ready ]]; then
      IOHOST_ADDRESS=$(sed -n 's/^tcp://p' "$work/iohost.ready" | head -1)
      return 0
    fi
    if ! kill -0 "$IOHOST_PID" 2>/dev/null; then echo "iohost exited at start:"; cat "$log"; return 1; fi
    sleep 0.1
  done
  echo "iohost did not start within 10 s:"; cat "$log"
  return 1
}

stop_iohost() {
  if [[ -n ${IOHOST_PID:-} ]]; then kill "$IOHOST_PID" 2>/dev/null; wait "$IOHOST_PID" 2>/dev/null || true; fi
  IOHOST_PID=""
  [[ -n ${IOHOST_CLEANUP:-} ]] && rm -rf "$IOHOST_CLEANUP"
  return 0
}
