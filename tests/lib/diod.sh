# Sourced by test and bench scripts: start diod on a free loopback port exporting a folder,
# make sure it really listens (diod spins instead of exiting when it cannot bind), and stop it
# on exit. Sets DIOD_ADDRESS and DIOD_PID.
#   start_diod EXPORT_DIR LOG_FILE
start_diod() {
  local export_dir=$1 log=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  diod -f -n -N -l "127.0.0.1:$port" -e "$export_dir" -c /dev/null -L "$log" &
  DIOD_PID=$!
  DIOD_ADDRESS="127.0.0.1:$port"
  [[ -n ${P9_OWN_TRAP:-} ]] || trap stop_diod EXIT  # callers with a trap of their own set P9_OWN_TRAP
  for _ in $(seq 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$DIOD_PID" 2>/dev/null; then echo "diod exited at start:"; cat "$log"; return 1; fi
    sleep 0.1
  done
  echo "diod did not listen on $DIOD_ADDRESS within 10 s:"; cat "$log"
  return 1
}

stop_diod() {
  if [[ -n ${DIOD_PID:-} ]]; then kill "$DIOD_PID" 2>/dev/null; wait "$DIOD_PID" 2>/dev/null || true; fi
  DIOD_PID=""
  [[ -n ${DIOD_CLEANUP:-} ]] && rm -rf "$DIOD_CLEANUP"
  return 0
}
