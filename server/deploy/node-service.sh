# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # repo, prefix and service are the caller's; the rest is used there
# What push-gateway.sh and upload-service.sh share: installing one of this repository's Node
# packages with its run-time dependencies under /usr/local/lib/hush, and running it as the prosody
# user, as a systemd unit or directly with a pid file. Sourced, not run, after the caller has set
# `repo` (this checkout), `prefix` (a root for tests, else empty) and `service` (systemd or none)
# and defined die(). Sourcing it makes the shared folders.

user=prosody
lib=$prefix/usr/local/lib/hush
etc=$prefix/etc/hush
run_dir=$prefix/run/hush
log_dir=$prefix/var/log/hush
# Whether anything was installed or changed (the service is restarted then).
changed=false
install -d -m 0755 "$lib" "$lib/node" "$etc" "$log_dir"
chown "$user" "$log_dir"

# put SRC DEST MODE GROUP: install unless the same
put() {
	if [[ -f $2 ]] && cmp -s "$1" "$2" && [[ $(stat -c '%a %G' "$2") == "${3#0} $4" ]]; then return 0; fi
	install -m "$3" -o root -g "$4" "$1" "$2"
	changed=true
}

# install_node: Node 22 (scripts/ensure-node.sh) in $lib/node and first on PATH.
install_node() {
	local node_dir
	node_dir=$("$repo/scripts/ensure-node.sh")
	put "$node_dir/node" "$lib/node/node" 0755 root
	PATH="$node_dir:$PATH"
}

# runtime_packages DIR: every package the package in DIR needs at run time (its dependencies and
# theirs, found as Node finds them), one folder a line, at the version the lockfile pinned here.
runtime_packages() {
	# shellcheck disable=SC2016 # JavaScript, not shell
	node -e '
	const fs = require("fs"), path = require("path");
	const seen = new Set();
	const find = (from, name) => {
	  for (let dir = from; ; dir = path.dirname(dir)) {
	    const candidate = path.join(dir, "node_modules", name);
	    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
	    if (path.dirname(dir) === dir) return undefined;
	  }
	};
	const walk = (dir) => {
	  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
	  const optional = pkg.optionalDependencies ?? {};
	  for (const name of Object.keys({ ...pkg.dependencies, ...optional })) {
	    const found = find(dir, name);
	    if (!found) {
	      if (name in optional) continue;
	      throw new Error(`${name}, needed by ${pkg.name}, is not installed`);
	    }
	    if (seen.has(fs.realpathSync(found))) continue;
	    seen.add(fs.realpathSync(found));
	    console.log(found);
	    walk(found);
	  }
	};
	walk(process.argv[1]);' "$1"
}

# stage_dependencies PACKAGE STAGED: copies the run-time dependencies of packages/PACKAGE into
# STAGED, each where Node will find it (nested copies keep their place below the top folder).
stage_dependencies() {
	local package=$1 staged=$2 packages dir rel
	packages=$(runtime_packages "$repo/packages/$package") ||
		die "the dependencies of packages/$package are missing (npm ci in $repo)"
	while IFS= read -r dir; do
		[[ -n $dir ]] || continue
		rel=${dir#"$repo/"}
		[[ $rel != "$dir" ]] || die "$dir is not in $repo"
		rel=${rel#"packages/$package/"}
		mkdir -p "$staged/$(dirname "$rel")"
		cp -RL "$dir" "$staged/$rel"
	done <<<"$packages"
}

# replace_installed STAGED APP: puts the staged copy in place when it differs from APP.
replace_installed() {
	if ! diff -r -q "$1" "$2" >/dev/null 2>&1; then
		rm -rf "$2"
		cp -R "$1" "$2"
		chmod -R u=rwX,go=rX "$2"
		changed=true
	fi
}

# running_pid SERVICE MATCH PID_FILE: the pid of the running service (a systemd unit named SERVICE
# when $service is systemd, else the process in PID_FILE whose command line holds MATCH), or nothing.
running_pid() {
	local pid
	if [[ $service == systemd ]]; then
		pid=$(systemctl show -p MainPID --value "$1" 2>/dev/null || true)
	else
		pid=$(cat "$3" 2>/dev/null || true)
		grep -qs "$2" "/proc/$pid/cmdline" || pid=""
	fi
	[[ $pid =~ ^[1-9][0-9]*$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
	return 0
}

# service_unit DESCRIPTION WHAT ENV_FILE SCRIPT_AND_ARGS [WRITABLE_DIR [AFTER]]: a systemd unit that
# runs SCRIPT_AND_ARGS with $lib's Node as the prosody user, hardened, writing only WRITABLE_DIR.
service_unit() {
	echo "# Installed by Hush's $(basename "$0"): $2."
	echo '[Unit]'
	echo "Description=$1"
	echo "After=network-online.target${6:+ $6}"
	echo 'Wants=network-online.target'
	echo
	echo '[Service]'
	echo "User=$user"
	echo "Group=$user"
	echo "EnvironmentFile=$3"
	echo "ExecStart=$lib/node/node --disable-warning=ExperimentalWarning $4"
	echo 'Restart=on-failure'
	echo 'NoNewPrivileges=true'
	echo 'ProtectSystem=strict'
	[[ -z ${5:-} ]] || echo "ReadWritePaths=$5"
	echo 'ProtectHome=true'
	echo 'PrivateTmp=true'
	echo
	echo '[Install]'
	echo 'WantedBy=multi-user.target'
}

# run_as_unit SERVICE UNIT_FILE UNIT_TEXT: installs the unit, enables it, and (re)starts it when
# anything changed or it is not running.
run_as_unit() {
	local text
	text=$(mktemp)
	printf '%s\n' "$3" >"$text"
	install -d -m 0755 "$(dirname "$2")"
	put "$text" "$2" 0644 root
	rm -f "$text"
	systemctl daemon-reload
	systemctl is-enabled --quiet "$1" 2>/dev/null || systemctl enable --quiet "$1"
	if $changed || [[ -z $(running_pid "$1" "" "") ]]; then systemctl restart "$1"; fi
}

# stop_if_changed PID: stops the directly run process PID when anything changed (waiting up to
# 10 s); prints the pid still running, or nothing.
stop_if_changed() {
	local pid=$1 i
	if [[ -n $pid ]] && $changed; then
		kill -TERM "$pid"
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		pid=""
	fi
	printf '%s' "$pid"
}
