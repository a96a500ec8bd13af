#!/usr/bin/env bash
# Run Raumatlas as several replicas behind nginx with sticky sessions, all on 127.0.0.1.
#
#   deploy/run_replicas.sh                      # 2 replicas on 8601, 8602; nginx on http://127.0.0.1:8600
#   RAUMATLAS_REPLICAS=3 RAUMATLAS_PORT=9000 deploy/run_replicas.sh
#
# Needs Debian's nginx (apt-get install -y nginx) and the project's .venv. Prints one line
# "ready URL nginx=PID replicas=PID,PID" when every replica and nginx answer /_stcore/health, then
# waits; Ctrl-C or SIGTERM stops nginx and the replicas it started (by their pids) and removes its
# run folder (config, logs, temp files: a fresh /tmp/raumatlas-replicas.* folder per start; kept after a failure).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${RAUMATLAS_PORT:-8600}"
BASE="${RAUMATLAS_REPLICA_PORT:-$((PORT + 1))}"
COUNT="${RAUMATLAS_REPLICAS:-2}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
[ -x "$NGINX" ] || { echo "nginx not found: apt-get install -y nginx" >&2; exit 2; }
RUN="$(mktemp -d /tmp/raumatlas-replicas.XXXXXX)"
mkdir -p "$RUN/tmp"
PIDS=()

stop() {  # the run folder stays when something failed (its logs say what)
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$rc" = 0 ]; then rm -rf "$RUN"; else echo "logs: $RUN" >&2; fi
}
trap stop EXIT
trap 'exit 0' INT TERM

wait_health() {  # url seconds
    local deadline=$((SECONDS + $2))
    until "$PYTHON" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('$1', timeout=2).read() != b'ok')" \
            2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "no answer from $1 after $2 s (logs: $RUN)" >&2; exit 1; }
        sleep 0.5
    done
}

upstreams="" servers="" cookie_map="" name_map="" replica_pids=()
for i in $(seq 1 "$COUNT"); do
    port=$((BASE + i - 1))
    (cd "$ROOT" && exec "$PYTHON" -m streamlit run streamlit_app.py --server.headless true \
        --server.address 127.0.0.1 --server.port "$port" --browser.gatherUsageStats false) \
        >"$RUN/replica-r$i.log" 2>&1 &
    PIDS+=("$!")
    replica_pids+=("$!")
    upstreams+="    upstream raumatlas_r$i { server 127.0.0.1:$port; }"$'\n'
    servers+="        server 127.0.0.1:$port;"$'\n'
    cookie_map+="        r$i raumatlas_r$i;"$'\n'
    name_map+="        127.0.0.1:$port r$i;"$'\n'
done

user_line=""
if [ "$(id -u)" = 0 ]; then  # as root: workers as www-data, owning only the temp folders
    user_line="user www-data;"
    chown www-data "$RUN/tmp"
fi
"$PYTHON" - "$ROOT/deploy/nginx.conf.template" "$RUN/nginx.conf" <<PY
import sys
text = open(sys.argv[1]).read()
for key, value in {"@USER@": """$user_line""", "@RUN@": "$RUN", "@PORT@": "$PORT", "@UPSTREAMS@": """$upstreams""",
                   "@SERVERS@": """$servers""", "@COOKIE_MAP@": """$cookie_map""", "@NAME_MAP@": """$name_map"""}.items():
    text = text.replace(key, value)
open(sys.argv[2], "w").write(text)
PY

for i in $(seq 1 "$COUNT"); do wait_health "http://127.0.0.1:$((BASE + i - 1))/_stcore/health" 180; done
"$NGINX" -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log" -g "daemon off;" &
PIDS+=("$!")
nginx_pid="$!"
wait_health "http://127.0.0.1:$PORT/_stcore/health" 30
echo "ready http://127.0.0.1:$PORT nginx=$nginx_pid replicas=$(IFS=,; echo "${replica_pids[*]}") run=$RUN"
wait -n "${PIDS[@]}"  # one of them ended: stop the others
echo "a process ended" >&2
exit 1
