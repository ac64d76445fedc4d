#!/usr/bin/env bash
# Keeps the Dockerfile honest on a machine without a Docker engine (npm run docker:smoke).
#
# It reads ./Dockerfile, checks the facts the image relies on (before anything slow), then
# performs its steps in a temporary folder:
# - each stage's container paths (/app, ...) are mapped into <tmp>/<stage>;
# - COPY from the build context takes the files git knows (tracked or untracked, not ignored)
#   minus those .dockerignore excludes; COPY --from=<stage> copies from that stage's folder;
# - a RUN line is split into its &&-joined steps: apt-get update/install/purge/autoremove and
#   `rm -rf /var/lib/apt/lists/*` concern system packages, so they are only checked (the tools an
#   install names must be on this machine) or logged; `npm cache clean --force` is skipped (it
#   would wipe this machine's npm cache); the other steps run in the stage's folder, in one shell
#   with a build environment (no variables of this npm run), and may not touch paths outside the
#   temporary folder. So the build stage's npm ci and npm run build, and the runtime stage's own
#   `npm ci --omit=dev` (which installs better-sqlite3's native addon there), really run.
# The checks: the final stage is FROM a slim Node 20 image, sets NODE_ENV=production, installs
# its production dependencies with its own `npm ci --omit=dev` (never COPY --from=build of
# node_modules) and, in that same RUN, purges the toolchain it installs, removes the apt lists
# and cleans the npm cache; it ends with USER node, EXPOSE 5001 (the .env PORT), VOLUME /app/data,
# a HEALTHCHECK on /health/ready without curl or wget, and CMD ["node", "dist/main.js"] in exec
# form (no npm start or npm run: signals must reach node). The runtime folder must hold dist/,
# .env, package.json, node_modules with the better-sqlite3 addon and no dev dependency, and no
# src/ or TypeScript configuration; the volume folder must belong to the node user.
# Then it starts the CMD from the runtime folder (as an unprivileged user when run as root, for
# USER node; with the image's ENV, the copied .env and PORT set to a free port, so the SQLite file
# lands in the emulated volume inside the temporary folder), waits for /health/ready, runs the
# HEALTHCHECK command itself (it must pass, and fail against a closed port), posts an ingest and
# reads it back, checks GET /metrics (200 text with http_request_duration_seconds; skipped while
# the route answers 404), and sends SIGTERM, which must end the process with exit code 0.
#
# It never touches the project's node_modules/ or dist/. The last line printed is PASS or FAIL.
# Settings: SMOKE_PORT (default: a free port), SMOKE_READY_TIMEOUT_S (30), SMOKE_STOP_TIMEOUT_S (15),
# SMOKE_KEEP_TMP=1 to leave the temporary folder in place.
set -euo pipefail

CONTEXT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKERFILE="$CONTEXT/Dockerfile"
DOCKERIGNORE="$CONTEXT/.dockerignore"
READY_TIMEOUT_S="${SMOKE_READY_TIMEOUT_S:-30}"
STOP_TIMEOUT_S="${SMOKE_STOP_TIMEOUT_S:-15}"
EXPECTED_CMD='["node","dist/main.js"]'
NODE_BIN="$(command -v node)"
STARTED_AT=$SECONDS

TMP=""
SERVER_PID=""
PASSED=0

log() { printf '[docker-smoke] %s\n' "$*"; }
fail() {
  printf '[docker-smoke] FAILED: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $PASSED -ne 1 && -n "$TMP" && -s "$TMP/server.log" ]]; then
    log "server log (last 30 lines):"
    tail -n 30 "$TMP/server.log" | sed 's/^/    /'
  fi
  if [[ -n "$TMP" && -d "$TMP" ]]; then
    if [[ "${SMOKE_KEEP_TMP:-0}" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  fi
  local took=$((SECONDS - STARTED_AT))
  if [[ $PASSED -eq 1 && $rc -eq 0 ]]; then
    echo "PASS docker-smoke: the Dockerfile's build and runtime stages work (${took}s)"
  else
    echo "FAIL docker-smoke (exit $rc, ${took}s)"
    if [[ $rc -eq 0 ]]; then rc=1; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -f "$DOCKERFILE" ]] || fail "no Dockerfile in $CONTEXT"
[[ -f "$DOCKERIGNORE" ]] || fail "no .dockerignore in $CONTEXT"

# ---------------------------------------------------------------------------------------------
# Read the Dockerfile: one logical instruction a line (continuations joined, comments dropped).
mapfile -t INSTRUCTIONS < <(awk '
  /^[[:space:]]*#/ { next }
  { line = $0 }
  line ~ /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); buf = buf line; next }
  { buf = buf line; sub(/^[[:space:]]+/, "", buf); sub(/[[:space:]]+$/, "", buf); if (buf != "") print buf; buf = "" }
  END { if (buf != "") print buf }
' "$DOCKERFILE")
[[ ${#INSTRUCTIONS[@]} -gt 0 ]] || fail "the Dockerfile is empty"

# ---- the facts this project relies on; any drift fails here, before anything is built
grep -Eq '^FROM node:20-bookworm-slim AS build$' < <(printf '%s\n' "${INSTRUCTIONS[@]}") ||
  fail "Dockerfile: expected 'FROM node:20-bookworm-slim AS build'"
last_from="$(printf '%s\n' "${INSTRUCTIONS[@]}" | grep -E '^FROM ' | tail -n 1)"
[[ "$last_from" =~ ^FROM\ node:20(-[a-z]+)*-slim\ AS\ [a-z]+$ ]] ||
  fail "Dockerfile: the final stage must be FROM a slim Node 20 image (found: $last_from)"
local_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$local_major" == 20 ]] || log "warning: this machine runs Node $local_major, the image Node 20"

# ---------------------------------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/docker-smoke.XXXXXX")"
chmod 755 "$TMP" # an unprivileged user must reach the runtime folder

# Who runs the container's processes: USER node becomes nobody when this script runs as root.
RUN_AS=()
RUN_UID="$(id -u)"
RUN_GID="$(id -g)"
if [[ "$RUN_UID" == 0 ]] && command -v setpriv >/dev/null; then
  RUN_UID=65534
  RUN_GID=65534
  RUN_AS=(setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups --)
fi

# Files of the build context under a path, relative to the context, as Docker would send them.
context_files() {
  local path="$1"
  if git -C "$CONTEXT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    {
      # tracked files, less those .dockerignore names
      comm -23 \
        <(git -C "$CONTEXT" ls-files -c -- "$path" | sort -u) \
        <(git -C "$CONTEXT" ls-files -c -i --exclude-from="$DOCKERIGNORE" -- "$path" | sort -u)
      # untracked files that neither .gitignore nor .dockerignore names
      git -C "$CONTEXT" ls-files -o --exclude-standard --exclude-from="$DOCKERIGNORE" -- "$path"
    } | sort -u | while IFS= read -r f; do [[ -f "$CONTEXT/$f" ]] && printf '%s\n' "$f"; done
  else
    (cd "$CONTEXT" && find "$path" -type f | sed 's#^\./##')
  fi
}

# A build step's environment, as in `docker build`: none of this shell's npm run variables
# (npm_config_local_prefix would point npm back at the project), no node_modules/.bin on PATH.
clean_path="$(tr ':' '\n' <<<"$PATH" | grep -Ev 'node_modules/\.bin|node-gyp-bin' | paste -sd: -)"
BUILD_ENV=(env -i "PATH=$clean_path" "HOME=$HOME" "TMPDIR=${TMPDIR:-/tmp}")
for v in LANG http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PYENV_ROOT PYENV_VERSION; do
  if [[ -n "${!v:-}" ]]; then BUILD_ENV+=("$v=${!v}"); fi
done
ENV_PATTERN='^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]"'"'"']*$'

declare -A STAGE_ROOTS=()
declare -A WORKDIRS_SEEN=()

# A container path of the current stage → its folder here.
map_path() {
  local p="$1"
  [[ "$p" == /* ]] || p="${WORKDIR%/}/$p"
  printf '%s%s' "$STAGE_ROOT" "$p"
}

# COPY [--from=stage] [--chown=u:g] src... dest
do_copy() {
  local from="" chown="" args=()
  for a in "$@"; do
    case "$a" in
      --from=*) from="${a#--from=}" ;;
      --chown=*) chown="${a#--chown=}" ;;
      --*) fail "COPY: option $a is not emulated by this smoke" ;;
      *) args+=("$a") ;;
    esac
  done
  [[ ${#args[@]} -ge 2 ]] || fail "COPY needs a source and a destination: COPY $*"
  local dest="${args[-1]}"
  unset 'args[-1]'
  local into_dir=0
  if [[ "$dest" == */ || ${#args[@]} -gt 1 ]]; then into_dir=1; fi
  local dest_host
  dest_host="$(map_path "$dest")"

  local src
  for src in "${args[@]}"; do
    if [[ "$src" == *[*?[]* ]]; then fail "COPY: wildcards are not emulated ($src)"; fi
    if [[ -n "$from" ]]; then
      local from_root="${STAGE_ROOTS[$from]:-}"
      [[ -n "$from_root" ]] || fail "COPY --from=$from: no such stage"
      [[ "$src" == /* ]] || fail "COPY --from=$from: use absolute paths ($src)"
      local src_host="$from_root$src"
      [[ -e "$src_host" ]] || fail "COPY --from=$from $src: not in the $from stage"
      if [[ -d "$src_host" ]]; then
        mkdir -p "$dest_host"
        cp -a "$src_host/." "$dest_host/"
      elif [[ $into_dir -eq 1 ]]; then
        mkdir -p "$dest_host"
        cp -a "$src_host" "$dest_host/"
      else
        mkdir -p "$(dirname "$dest_host")"
        cp -a "$src_host" "$dest_host"
      fi
    else
      src="${src#./}"
      local files
      files="$(context_files "$src")"
      [[ -n "$files" ]] || fail "COPY $src: not in the build context (missing, or excluded by .dockerignore)"
      if [[ -f "$CONTEXT/$src" ]]; then
        if [[ $into_dir -eq 1 ]]; then
          mkdir -p "$dest_host"
          cp -p "$CONTEXT/$src" "$dest_host/"
        else
          mkdir -p "$(dirname "$dest_host")"
          cp -p "$CONTEXT/$src" "$dest_host"
        fi
      else
        log "    $(wc -l <<<"$files") files from $src/"
        local f
        while IFS= read -r f; do
          mkdir -p "$(dirname "$dest_host/${f#"$src"/}")"
          cp -p "$CONTEXT/$f" "$dest_host/${f#"$src"/}"
        done <<<"$files"
      fi
    fi
    if [[ -n "$chown" ]]; then
      [[ "$chown" == node:node ]] || fail "COPY --chown=$chown: only node:node is emulated"
      chown -R "$RUN_UID:$RUN_GID" "$dest_host"
    fi
  done
}

# A RUN line's &&-joined steps, one a line (an && inside quotes does not split).
run_steps() {
  node -e '
    const s = process.argv[1];
    const steps = [];
    let cur = "", quote = "";
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (quote) {
        cur += c;
        if (c === quote) quote = "";
        else if (c === "\\" && quote === "\"" && i + 1 < s.length) cur += s[++i];
      } else if (c === "\"" || c === "\x27") {
        quote = c;
        cur += c;
      } else if (c === "\\" && i + 1 < s.length) {
        cur += c + s[++i];
      } else if (c === "&" && s[i + 1] === "&") {
        steps.push(cur.trim());
        cur = "";
        i++;
      } else cur += c;
    }
    steps.push(cur.trim());
    if (quote || steps.some((step) => !step || step.includes("\n"))) process.exit(1);
    console.log(steps.join("\n"));
  ' "$1" || fail "RUN: cannot split into &&-joined steps: $1"
}

# What a RUN step is: apt (system packages: checked or logged), skip, or run (in the stage folder).
# apt-get, the apt lists and the npm cache must be plain steps of their own (no ; | $(...) etc.),
# or this smoke could neither skip them nor run them here.
APT_STEP='^apt-get( +-[^ ]+)* +(update|install|purge|remove|autoremove)( |$)'
APT_INSTALL_STEP='^apt-get( +-[^ ]+)* +install( |$)'
APT_PURGE_STEP='^apt-get( +-[^ ]+)* +(purge|remove)( |$)'
APT_LISTS_STEP='^rm +-(rf|fr) +/var/lib/apt/lists/?\*?$'
NPM_CACHE_STEP='^npm +cache +clean( +--force)?$'
NPM_CI_STEP='^npm +ci( |$)'
SHELL_SYNTAX='[;|&<>()`$]'
step_kind() {
  local step="$1"
  if [[ ! "$step" =~ $SHELL_SYNTAX && "$step" =~ $APT_STEP ]]; then
    echo apt
  elif [[ ! "$step" =~ $SHELL_SYNTAX && ("$step" =~ $APT_LISTS_STEP || "$step" =~ $NPM_CACHE_STEP) ]]; then
    echo skip
  elif [[ "$step" == *apt-get* || "$step" == *dpkg* || "$step" == *"npm cache"* || "$step" == *apt/lists* ]]; then
    fail "RUN step '$step' is not emulated: keep apt-get, the apt lists and the npm cache in plain &&-joined steps of their own"
  else
    echo run
  fi
}

# The packages an `apt-get install`/`purge` step names (its words after the verb, less options).
apt_packages() {
  sed -E 's/^apt-get( +-[^ ]+)* +[a-z]+//' <<<"$1" | tr ' ' '\n' | grep -Ev '^(-.*)?$' | paste -sd' ' - || true
}

# RUN: split into its &&-joined steps. apt-get steps are checked against this machine's tools or
# logged, `rm -rf /var/lib/apt/lists/*` and `npm cache clean --force` are skipped; the other steps
# run together, in one shell in the stage's folder, with the stage's container paths mapped and
# node:node as the run user.
do_run() {
  local steps step kind pkgs p
  local runnable=()
  steps="$(run_steps "$1")"
  while IFS= read -r step; do
    kind="$(step_kind "$step")"
    case "$kind" in
      apt)
        if [[ "$step" =~ $APT_INSTALL_STEP ]]; then
          pkgs="$(apt_packages "$step")"
          for p in $pkgs; do
            command -v "$p" >/dev/null || fail "RUN apt-get installs $p, which this machine lacks (apt-get install $p)"
          done
          log "    $step: system packages ($pkgs) are already on this machine"
        else
          log "    $step: system packages, not emulated"
        fi
        ;;
      skip)
        if [[ "$step" == npm* ]]; then
          log "    $step: skipped (it would wipe this machine's npm cache)"
        else
          log "    $step: skipped (no apt lists here)"
        fi
        ;;
      run) runnable+=("$step") ;;
    esac
  done <<<"$steps"
  [[ ${#runnable[@]} -gt 0 ]] || return 0

  local cmd="${runnable[0]}" i
  for ((i = 1; i < ${#runnable[@]}; i++)); do cmd+=" && ${runnable[i]}"; done
  log "    run: $cmd"
  local wd
  for wd in "${!WORKDIRS_SEEN[@]}"; do
    [[ "$wd" == / ]] && continue
    cmd="${cmd//$wd/$STAGE_ROOT$wd}"
  done
  cmd="${cmd//node:node/$RUN_UID:$RUN_GID}"
  # Never let a RUN line reach outside the temporary folder.
  local token
  for token in $(grep -oE '(^|[[:space:]=])/[^[:space:];&|]*' <<<"$cmd" | sed -E 's/^[[:space:]=]//' || true); do
    [[ "$token" == "$TMP"/* ]] || fail "RUN touches $token, outside the image; extend the smoke to emulate it"
  done
  local step_started=$SECONDS
  # umask 022, as in docker build: what root installs stays readable by the node user.
  if ! (cd "$(map_path .)" && umask 022 && "${BUILD_ENV[@]}" "${STAGE_ENV[@]}" bash -euo pipefail -c "$cmd") >>"$TMP/build.log" 2>&1; then
    log "build log (last 40 lines):"
    tail -n 40 "$TMP/build.log" | sed 's/^/    /'
    fail "RUN $1"
  fi
  log "  done in $((SECONDS - step_started))s"
}

# Walks the Dockerfile. DRY=1 only gathers the final stage's settings (checked before the slow
# build); DRY=0 performs the steps.
interpret() {
  STAGE=""
  STAGE_ROOT=""
  WORKDIR="/"
  STAGE_ENV=()
  STAGE_RUNS=()
  STAGE_COPIES=()
  USER_NAME=""
  EXPOSED=""
  VOLUME_PATH=""
  HEALTHCHECK_CMD=""
  CMD_JSON=""
  for instruction in "${INSTRUCTIONS[@]}"; do
    keyword="${instruction%% *}"
    keyword="${keyword^^}"
    rest="${instruction#* }"
    [[ "$rest" == "$instruction" ]] && rest=""
    case "$keyword" in
      FROM)
        read -r image as name extra <<<"$rest"
        [[ "${as^^}" == AS && -n "$name" && -z "${extra:-}" ]] || fail "FROM must name its stage: FROM $rest"
        STAGE="$name"
        STAGE_ROOT="$TMP/$name"
        STAGE_ROOTS[$name]="$STAGE_ROOT"
        [[ $DRY -eq 1 ]] || mkdir -p "$STAGE_ROOT"
        WORKDIR="/"
        STAGE_ENV=()
        STAGE_RUNS=()
        STAGE_COPIES=()
        USER_NAME=""
        [[ $DRY -eq 1 ]] || log "stage $STAGE ($image)"
        ;;
      WORKDIR)
        [[ "$rest" == /* ]] || fail "WORKDIR must be absolute: $rest"
        WORKDIR="$rest"
        WORKDIRS_SEEN[$rest]=1
        [[ $DRY -eq 1 ]] || mkdir -p "$STAGE_ROOT$WORKDIR"
        ;;
      ENV)
        [[ "$rest" =~ $ENV_PATTERN ]] || fail "only ENV KEY=VALUE is emulated: ENV $rest"
        STAGE_ENV+=("$rest")
        ;;
      COPY)
        STAGE_COPIES+=("$rest")
        if [[ $DRY -eq 1 ]]; then
          # sources from the build context must be there before anything is built
          if [[ "$rest" != *--from=* ]]; then
            read -r -a copy_args <<<"$rest"
            for src in "${copy_args[@]:0:${#copy_args[@]}-1}"; do
              [[ "$src" == --* || -n "$(context_files "${src#./}")" ]] ||
                fail "COPY $src: not in the build context (missing, or excluded by .dockerignore)"
            done
          fi
          continue
        fi
        log "  COPY $rest"
        read -r -a copy_args <<<"$rest"
        do_copy "${copy_args[@]}"
        ;;
      RUN)
        STAGE_RUNS+=("$rest")
        if [[ $DRY -eq 1 ]]; then
          # every step must be one this smoke knows how to perform, before anything is built
          steps="$(run_steps "$rest")"
          while IFS= read -r step; do step_kind "$step" >/dev/null; done <<<"$steps"
          continue
        fi
        log "  RUN $rest"
        do_run "$rest"
        ;;
      USER) USER_NAME="$rest" ;;
      EXPOSE) EXPOSED="$rest" ;;
      VOLUME) VOLUME_PATH="$rest" ;;
      HEALTHCHECK)
        HEALTHCHECK_CMD="$(sed -E 's/^(--[a-z-]+=[^ ]+ +)*CMD +//' <<<"$rest")"
        [[ "$HEALTHCHECK_CMD" != "$rest" ]] || fail "HEALTHCHECK must be 'HEALTHCHECK [options] CMD command'"
        ;;
      CMD) CMD_JSON="$rest" ;;
      *) fail "Dockerfile instruction $keyword is not emulated by this smoke; extend scripts/docker-smoke.sh" ;;
    esac
  done
}

check_final_stage() {
  [[ "$USER_NAME" == node ]] || fail "Dockerfile: the runtime stage must end with 'USER node' (found: '${USER_NAME}')"
  [[ "$EXPOSED" == 5001 ]] || fail "Dockerfile: expected 'EXPOSE 5001' (found: '${EXPOSED}')"
  local env_port
  env_port="$(sed -nE 's/^PORT=([0-9]+).*/\1/p' "$CONTEXT/.env" 2>/dev/null || true)"
  [[ -z "$env_port" || "$env_port" == "$EXPOSED" ]] || fail "EXPOSE $EXPOSED but .env says PORT=$env_port"
  [[ "$VOLUME_PATH" == "$WORKDIR/data" ]] || fail "Dockerfile: expected 'VOLUME $WORKDIR/data' (found: '${VOLUME_PATH}')"
  [[ -n "$HEALTHCHECK_CMD" ]] || fail "Dockerfile: no HEALTHCHECK"
  [[ "$HEALTHCHECK_CMD" == *"/health/ready"* && "$HEALTHCHECK_CMD" == *"$EXPOSED"* ]] ||
    fail "HEALTHCHECK must ask /health/ready on port $EXPOSED by default: $HEALTHCHECK_CMD"
  [[ "$HEALTHCHECK_CMD" != *curl* && "$HEALTHCHECK_CMD" != *wget* ]] || fail "HEALTHCHECK: slim images have no curl or wget"
  [[ "$CMD_JSON" != *npm* ]] ||
    fail "Dockerfile: CMD must start node itself, not npm start or npm run (SIGTERM would reach npm, not node): $CMD_JSON"
  local cmd_normalised
  cmd_normalised="$(node -e 'process.stdout.write(JSON.stringify(JSON.parse(process.argv[1])))' "$CMD_JSON" 2>/dev/null || true)"
  [[ "$cmd_normalised" == "$EXPECTED_CMD" ]] || fail "Dockerfile: expected CMD [\"node\", \"dist/main.js\"] (found: $CMD_JSON)"
  printf '%s\n' "${STAGE_ENV[@]}" | grep -qx 'NODE_ENV=production' || fail "Dockerfile: the runtime stage needs ENV NODE_ENV=production"

  # Production dependencies come from the runtime stage's own `npm ci --omit=dev`, never from the
  # build stage (whose node_modules hold the dev dependencies and no native addon).
  local copy_line
  for copy_line in "${STAGE_COPIES[@]}"; do
    if [[ "$copy_line" == *--from=* ]] && grep -Eq '(^|[ /])node_modules/?( |$)' <<<"$copy_line"; then
      fail "Dockerfile: the runtime stage copies node_modules from another stage (COPY $copy_line); it must install them with its own RUN npm ci --omit=dev"
    fi
  done
  local run_line steps step npm_ci_run="" steps_of_npm_ci=()
  for run_line in "${STAGE_RUNS[@]}"; do
    steps="$(run_steps "$run_line")"
    while IFS= read -r step; do
      if [[ "$step" =~ $NPM_CI_STEP && " $step " == *" --omit=dev "* ]]; then npm_ci_run="$run_line"; fi
    done <<<"$steps"
    if [[ "$npm_ci_run" == "$run_line" ]]; then mapfile -t steps_of_npm_ci <<<"$steps"; fi
  done
  [[ -n "$npm_ci_run" ]] ||
    fail "Dockerfile: the runtime stage must install its production dependencies itself (RUN npm ci --omit=dev ...)"
  # That RUN is one layer: the toolchain it installs, the apt lists and the npm cache must be gone
  # before it ends, or the image keeps them.
  local installed=() pkgs=() purged=" " lists_removed=0 cache_cleaned=0 seen_npm_ci=0 p
  for step in "${steps_of_npm_ci[@]}"; do
    if [[ "$step" =~ $APT_INSTALL_STEP ]]; then
      read -r -a pkgs <<<"$(apt_packages "$step")"
      installed+=("${pkgs[@]}")
    elif [[ "$step" =~ $APT_PURGE_STEP ]]; then
      purged+="$(apt_packages "$step") "
    elif [[ "$step" =~ $APT_LISTS_STEP ]]; then
      lists_removed=1
    elif [[ "$step" =~ $NPM_CI_STEP ]]; then
      seen_npm_ci=1
    elif [[ "$step" =~ $NPM_CACHE_STEP && "$step" == *--force* && $seen_npm_ci -eq 1 ]]; then
      cache_cleaned=1
    fi
  done
  for p in "${installed[@]}"; do
    [[ "$purged" == *" $p "* ]] ||
      fail "Dockerfile: the RUN with npm ci --omit=dev installs $p but does not purge it (apt-get purge -y --auto-remove ...): the image would keep it"
  done
  [[ ${#installed[@]} -eq 0 || $lists_removed -eq 1 ]] ||
    fail "Dockerfile: the RUN with npm ci --omit=dev runs apt-get but does not end with rm -rf /var/lib/apt/lists/*"
  [[ $cache_cleaned -eq 1 ]] ||
    fail "Dockerfile: the RUN with npm ci --omit=dev must clean the npm cache after it (&& npm cache clean --force), or the image keeps it"
}

DRY=1
interpret
check_final_stage
log "Dockerfile settings: USER $USER_NAME, EXPOSE $EXPOSED, VOLUME $VOLUME_PATH, CMD $CMD_JSON, HEALTHCHECK present"
DRY=0
interpret
check_final_stage

# ---- the runtime stage's settings
RUNTIME_ROOT="$STAGE_ROOT"
APP_DIR="$RUNTIME_ROOT$WORKDIR"
runtime_env=("${STAGE_ENV[@]}")

# ---- what the runtime folder holds
volume_host="$RUNTIME_ROOT$VOLUME_PATH"
[[ -d "$volume_host" ]] || fail "$VOLUME_PATH is not created in the runtime stage"
[[ "$(stat -c %u "$volume_host")" == "$RUN_UID" ]] || fail "$VOLUME_PATH is not owned by the node user"
log "runtime $WORKDIR holds: $(cd "$APP_DIR" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort | paste -sd' ')"
for f in package.json package-lock.json .env dist/main.js node_modules; do
  [[ -e "$APP_DIR/$f" ]] || fail "the runtime stage lacks $f"
done
for f in src tsconfig.json tsconfig.build.json nest-cli.json; do
  [[ ! -e "$APP_DIR/$f" ]] || fail "the runtime stage should not hold $f"
done
# USER node reads what root installed: every file readable, every folder searchable by others.
if [[ "$RUN_UID" != "$(id -u)" ]]; then
  unreadable="$(find "$APP_DIR" \( \( -type d ! -perm -o=rx \) -o \( -type f ! -perm -o=r \) \) -print -quit)"
  [[ -z "$unreadable" || "$(stat -c %u "$unreadable")" == "$RUN_UID" ]] ||
    fail "the node user (uid $RUN_UID here) cannot read ${unreadable#"$RUNTIME_ROOT"}"
fi
ls "$APP_DIR"/node_modules/better-sqlite3/build/Release/*.node >/dev/null 2>&1 ||
  fail "better-sqlite3's native addon is missing from the runtime node_modules"
dev_left="$(node -e '
  const lock = require(process.argv[1]);
  const dev = Object.entries(lock.packages || {}).filter(([, p]) => p.dev).map(([k]) => k);
  console.log(dev.length ? dev.slice(0, 5).join(", ") + (dev.length > 5 ? ", ..." : "") : "");
' "$APP_DIR/node_modules/.package-lock.json")"
[[ -z "$dev_left" ]] || fail "dev dependencies left in the runtime node_modules: $dev_left"
[[ ! -e "$APP_DIR/node_modules/typescript" && ! -e "$APP_DIR/node_modules/@nestjs/cli" ]] ||
  fail "typescript or @nestjs/cli is in the runtime node_modules"
log "runtime node_modules: $(du -sh "$APP_DIR/node_modules" | cut -f1), no dev dependencies"

# ---------------------------------------------------------------------------------------------
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
PORT="${SMOKE_PORT:-$(free_port)}"
BASE="http://127.0.0.1:$PORT"
# The database goes where the image puts it: the copied .env's DATABASE_URL, relative to the
# working folder, inside the volume (here: the emulated /app/data in the temporary folder).
env_database_url="$(sed -nE 's/^DATABASE_URL=(.*)$/\1/p' "$APP_DIR/.env" | tail -n 1)"
db_relative="${env_database_url#sqlite:}"
db_relative="${db_relative#./}"
[[ "$env_database_url" == sqlite:* && "$db_relative" == "${VOLUME_PATH#"$WORKDIR"/}"/* ]] ||
  fail ".env: DATABASE_URL ($env_database_url) should be a relative sqlite path inside the volume $VOLUME_PATH"
database_file="$APP_DIR/$db_relative"
# The container's environment: the image's PATH and ENV lines, plus `docker run -e` settings.
container_env=(env -i "PATH=$(dirname "$NODE_BIN"):/usr/local/bin:/usr/bin:/bin" HOME=/home/node "${runtime_env[@]}")

read -r -a cmd_argv < <(node -e 'console.log(JSON.parse(process.argv[1]).join(" "))' "$CMD_JSON")
log "starting '${cmd_argv[*]}' in $WORKDIR as uid $RUN_UID on port $PORT"
(
  cd "$APP_DIR"
  exec "${RUN_AS[@]}" "${container_env[@]}" PORT="$PORT" "${cmd_argv[@]}"
) >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

ready=0
deadline=$((SECONDS + READY_TIMEOUT_S))
while ((SECONDS < deadline)); do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited before it was ready"
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/health/ready" || true)" == 200 ]]; then
    ready=1
    break
  fi
  sleep 0.3
done
[[ $ready -eq 1 ]] || fail "GET /health/ready did not answer 200 within ${READY_TIMEOUT_S}s"
log "ready: GET /health/ready 200 after $((SECONDS - deadline + READY_TIMEOUT_S))s"
[[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/health/live")" == 200 ]] || fail "GET /health/live is not 200"
[[ -f "$database_file" ]] || fail "the database is not at $WORKDIR/$db_relative, in the volume $VOLUME_PATH"

# ---- the HEALTHCHECK command, as Docker runs it (sh -c, in the container's environment)
run_healthcheck() {
  (cd "$APP_DIR" && "${RUN_AS[@]}" "${container_env[@]}" PORT="$1" /bin/sh -c "$HEALTHCHECK_CMD") >/dev/null 2>&1
}
run_healthcheck "$PORT" || fail "the HEALTHCHECK command failed against the running server: $HEALTHCHECK_CMD"
log "HEALTHCHECK command: exit 0"
if run_healthcheck "$(free_port)"; then fail "the HEALTHCHECK command passes with no server listening"; fi
log "HEALTHCHECK command against a closed port: non-zero, as it should"

# ---- an ingest round trip
body='{"partner_id":"acme","payload":{"order":42,"items":[{"sku":"A-1","qty":2}],"note":"smoke ✓","nested":{"ok":true,"none":null,"pi":3.14}}}'
status="$(curl -s -o "$TMP/post.json" -w '%{http_code}' --max-time 5 -H 'content-type: application/json' --data "$body" "$BASE/ingest")"
[[ "$status" == 201 ]] || fail "POST /ingest answered $status: $(cat "$TMP/post.json")"
id="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (typeof r.id !== "string" || !r.id || r.partner_id !== "acme" || Number.isNaN(Date.parse(r.timestamp))) {
    console.error("unexpected receipt: " + JSON.stringify(r)); process.exit(1);
  }
  console.log(r.id);
' "$TMP/post.json")" || fail "POST /ingest: $(cat "$TMP/post.json")"
log "POST /ingest 201, id $id"
status="$(curl -s -o "$TMP/get.json" -w '%{http_code}' --max-time 5 "$BASE/ingest/$id")"
[[ "$status" == 200 ]] || fail "GET /ingest/$id answered $status: $(cat "$TMP/get.json")"
node -e '
  const assert = require("assert");
  const sent = JSON.parse(process.argv[1]);
  const got = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  assert.strictEqual(got.id, process.argv[3]);
  assert.strictEqual(got.partner_id, sent.partner_id);
  assert.deepStrictEqual(got.payload, sent.payload);
' "$body" "$TMP/get.json" "$id" || fail "GET /ingest/$id did not give the payload back: $(cat "$TMP/get.json")"
log "GET /ingest/$id 200, payload round-trips"

# ---- the live feed, and the debugger's files, which the build copies beside its controller
curl -sN --max-time 3 "$BASE/ingest/stream" >"$TMP/stream.txt" 2>/dev/null &
stream_pid=$!
sleep 1
status="$(curl -s -o "$TMP/post2.json" -w '%{http_code}' --max-time 5 -H 'content-type: application/json' --data "$body" "$BASE/ingest")"
[[ "$status" == 201 ]] || fail "POST /ingest answered $status: $(cat "$TMP/post2.json")"
wait "$stream_pid" || true
grep -q '^event: data-ingested$' "$TMP/stream.txt" || fail "GET /ingest/stream carried no event: $(head -c 500 "$TMP/stream.txt")"
log "GET /ingest/stream delivered the record ingested while it was open"
for asset in "" /debugger.js /debugger.css; do
  status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/debugger$asset")"
  [[ "$status" == 200 ]] || fail "GET /debugger$asset answered $status: is the file in dist/ (nest-cli.json assets)?"
done
log "GET /debugger and its script and stylesheet: 200"

# ---- the keys CLI in the container, while the server runs: once a key exists, keys are required
if [[ -f "$APP_DIR/dist/keys.js" ]]; then
  created="$(cd "$APP_DIR" && "${RUN_AS[@]}" "${container_env[@]}" node dist/keys.js create --partner acme --name smoke 2>"$TMP/keys.err")" ||
    fail "node dist/keys.js create failed: $(cat "$TMP/keys.err")"
  key="$(node -e 'const k = JSON.parse(process.argv[1]); if (!/^ik_/.test(k.key) || k.partner_id !== "acme") process.exit(1); console.log(k.key);' "$created")" ||
    fail "node dist/keys.js create printed $created"
  status=""
  for _ in $(seq 1 20); do
    status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'content-type: application/json' --data "$body" "$BASE/ingest")"
    [[ "$status" == 401 ]] && break
    sleep 0.1
  done
  [[ "$status" == 401 ]] || fail "POST /ingest without a key answered $status once a key exists (expected 401)"
  status="$(curl -s -o "$TMP/post-key.json" -w '%{http_code}' --max-time 5 -H 'content-type: application/json' -H "authorization: Bearer $key" --data "$body" "$BASE/ingest")"
  [[ "$status" == 201 ]] || fail "POST /ingest with the new key answered $status: $(cat "$TMP/post-key.json")"
  log "node dist/keys.js create: a partner key; POST /ingest 401 without it, 201 with it"
fi

# ---- Prometheus metrics, once the route exists (checked after the ingest, so the request
# histogram has samples)
metrics="$(curl -s -o "$TMP/metrics.txt" -w '%{http_code} %{content_type}' --max-time 5 "$BASE/metrics" || true)"
status="${metrics%% *}"
content_type="${metrics#* }"
if [[ "$status" == 404 ]]; then
  log "GET /metrics 404: no metrics route yet, check skipped"
else
  [[ "$status" == 200 ]] || fail "GET /metrics answered $status: $(head -c 300 "$TMP/metrics.txt")"
  [[ "$content_type" == text/* ]] || fail "GET /metrics: content-type $content_type, expected text (Prometheus exposition format)"
  grep -q 'http_request_duration_seconds' "$TMP/metrics.txt" ||
    fail "GET /metrics has no http_request_duration_seconds: $(head -c 300 "$TMP/metrics.txt")"
  log "GET /metrics 200 ($content_type), with http_request_duration_seconds"
fi

# ---- SIGTERM: a clean drain and exit 0
kill -TERM "$SERVER_PID"
deadline=$((SECONDS + STOP_TIMEOUT_S))
while kill -0 "$SERVER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "the server did not exit within ${STOP_TIMEOUT_S}s of SIGTERM"
exit_code=0
wait "$SERVER_PID" || exit_code=$?
SERVER_PID=""
[[ $exit_code -eq 0 ]] || fail "the server exited with $exit_code after SIGTERM (expected 0; see src/graceful-shutdown.ts)"
log "SIGTERM: exit 0"

PASSED=1
