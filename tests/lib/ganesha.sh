# Sourced by test scripts: start nfs-ganesha (Debian's, VFS backend) as a 9P2000.L server on a
# free loopback port exporting a folder, wait until it listens, stop it on exit. Its attach
# name is the folder's path. Sets GANESHA_ADDRESS and GANESHA_PID.
#   start_ganesha EXPORT_DIR WORK_DIR
start_ganesha() {
  local export_dir=$1 work=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$work/ganesha.conf" <<CONF
NFS_CORE_PARAM { Protocols = 9P; Bind_addr = 127.0.0.1; }
_9P { _9P_TCP_Port = $port; _9P_TCP_Msize = 65536; Nb_Worker = 8; }
NFSV4 { Graceless = true; }
EXPORT {
  Export_Id = 1; Path = $export_dir; Pseudo = /export; Protocols = 9P; Transports = TCP;
  Access_Type = RW; Squash = No_Root_Squash; SecType = sys;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
CONF
  ganesha.nfsd -F -f "$work/ganesha.conf" -L "$work/ganesha.log" -p "$work/ganesha.pid" >"$work/ganesha.out" 2>&1 &
  GANESHA_PID=$!
  GANESHA_ADDRESS="127.0.0.1:$port"
  [[ -n ${P9_OWN_TRAP:-} ]] || trap stop_ganesha EXIT
  for _ in $(seq 150); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then return 0; fi
    if ! kill -0 "$GANESHA_PID" 2>/dev/null; then echo "nfs-ganesha exited at start:"; cat "$work/ganesha.out" "$work/ganesha.log"; return 1; fi
    sleep 0.1
  done
  echo "nfs-ganesha did not listen on $GANESHA_ADDRESS within 15 s:"; tail -20 "$work/ganesha.log"
  return 1
}

stop_ganesha() {
  if [[ -n ${GANESHA_PID:-} ]]; then kill "$GANESHA_PID" 2>/dev/null; wait "$GANESHA_PID" 2>/dev/null || true; fi
  GANESHA_PID=""
  return 0
}
