#!/usr/bin/env bash
# Loads the built package into a released n8n and runs the example workflows
# headlessly against a private Redis, the sandbox gateway and a worker.
#
# Usage: scripts/n8n-smoke.sh            (N8N_VERSION=1.123 by default;
#        SMOKE_KEEP_RUN=1 keeps the logs and data of the run)
#
# The first run installs n8n into .cache/n8n-smoke/ with install scripts off
# and builds sqlite3 from source: a few minutes and 2 to 3 GB. Later runs
# reuse it. Everything listens on 127.0.0.1, and n8n's outbound calls
# (telemetry, version checks, banners, community package lists) are off.
# Needs redis-server, and make and a C++ compiler for the first install.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N8N_VERSION=${N8N_VERSION:-1.123}
CACHE="$ROOT/.cache/n8n-smoke"
N8N_DIR="$CACHE/n8n-$N8N_VERSION"
PACKAGE_NAME=n8n-nodes-whatsapp-queue
# The sandbox's public API key, which protects nothing.
SANDBOX_KEY=sandbox-api-key-not-secret
mkdir -p "$CACHE"
RUN_DIR=$(mktemp -d "$CACHE/run.XXXXXX")
PIDS=()

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "${SMOKE_KEEP_RUN:-}" = 1 ]; then
		log "Kept the logs and data in $RUN_DIR."
	else
		rm -rf "$RUN_DIR"
	fi
}
trap cleanup EXIT

log() {
	printf '[n8n-smoke] %s\n' "$*" >&2
}

free_port() {
	node -e "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

# Prints what the sandbox accepted for one instance, as JSON.
sandbox_received() {
	curl -sf -H "apikey: $SANDBOX_KEY" "http://127.0.0.1:$SANDBOX_PORT/_sandbox/received?instance=$1"
}

received_count_is() {
	sandbox_received "$1" | grep -q "\"count\":$2[,}]"
}

wait_for() {
	local description=$1 seconds=$2
	shift 2
	for _ in $(seq 1 $((seconds * 10))); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	log "Timed out after ${seconds} s waiting for $description."
	return 1
}

install_n8n() {
	if [ -x "$N8N_DIR/node_modules/.bin/n8n" ]; then
		return
	fi
	log "Installing n8n@$N8N_VERSION into $N8N_DIR (install scripts off)."
	mkdir -p "$N8N_DIR"
	# n8n-nodes-base takes xlsx as a tarball from SheetJS's own server, which
	# only the npm registry's copy can replace where that server is out of
	# reach. The examples do not read spreadsheets.
	echo '{ "name": "n8n-smoke", "private": true, "overrides": { "xlsx": "0.18.5" } }' >"$N8N_DIR/package.json"
	npm install --prefix "$N8N_DIR" --ignore-scripts --no-audit --no-fund "n8n@$N8N_VERSION"

	log 'Building sqlite3 from source, about 70 s.'
	local node_prefix
	node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
	if [ -f "$node_prefix/include/node/node.h" ]; then
		# Local headers, so node-gyp downloads none.
		export npm_config_nodedir=$node_prefix
	fi
	(cd "$N8N_DIR" && npm rebuild sqlite3 --build-from-source --ignore-scripts=false)
}

build_package() {
	if [ ! -f "$ROOT/dist/nodes/WhatsAppQueue/WhatsAppQueue.node.js" ]; then
		log 'Building the package.'
		(cd "$ROOT" && npm run build)
	fi
}

start_services() {
	REDIS_PORT=$(free_port)
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$RUN_DIR" --loglevel warning --maxmemory-policy noeviction >"$RUN_DIR/redis.log" 2>&1 &
	PIDS+=($!)
	wait_for 'redis-server' 10 redis-cli -p "$REDIS_PORT" ping

	SANDBOX_PORT=$(free_port)
	WORKER_HTTP_PORT=$(free_port)
	node "$ROOT/dist/sandbox/main.js" --port "$SANDBOX_PORT" --instances sales,operations \
		--not-on-whatsapp 34600000003 --log-level warn \
		--webhook-url "http://127.0.0.1:$WORKER_HTTP_PORT/webhooks/evolution" \
		--webhook-secret smoke-webhook-secret >"$RUN_DIR/sandbox.log" 2>&1 &
	PIDS+=($!)
	wait_for 'the sandbox gateway' 10 sandbox_received sales

	REDIS_HOST=127.0.0.1 REDIS_PORT=$REDIS_PORT QUEUE_PREFIX=waq ANALYTICS_PREFIX=waa \
		EVOLUTION_API_URL="http://127.0.0.1:$SANDBOX_PORT" EVOLUTION_API_KEY=$SANDBOX_KEY \
		RATE_LIMIT_MAX=0 POLL_INTERVAL_MS=200 HTTP_PORT=$WORKER_HTTP_PORT \
		WEBHOOK_SECRET=smoke-webhook-secret LOG_LEVEL=warn \
		node "$ROOT/dist/worker/main.js" >"$RUN_DIR/worker.log" 2>&1 &
	PIDS+=($!)
	wait_for 'the worker' 15 curl -sf "http://127.0.0.1:$WORKER_HTTP_PORT/health"
}

# n8n's settings for a private, offline instance in $RUN_DIR.
n8n_env() {
	export N8N_USER_FOLDER="$RUN_DIR/home"
	export N8N_ENCRYPTION_KEY=smoke-test-key-not-secret
	export N8N_EXPRESSION_ENGINE=legacy
	export N8N_LISTEN_ADDRESS=127.0.0.1
	export N8N_HOST=127.0.0.1
	export N8N_PORT
	N8N_PORT=$(free_port)
	export N8N_DIAGNOSTICS_ENABLED=false
	export N8N_VERSION_NOTIFICATIONS_ENABLED=false
	export N8N_VERIFIED_PACKAGES_ENABLED=false
	export N8N_DYNAMIC_BANNERS_ENABLED=false
	export N8N_TEMPLATES_ENABLED=false
	export N8N_PERSONALIZATION_ENABLED=false
	export N8N_HIRING_BANNER_ENABLED=false
	# Turns off the mcp-registry module, which makes outbound calls, where
	# this n8n has it. n8n 1.123.81 has none and rejects unknown names.
	N8N_DISABLED_MODULES=$(node -e "
		const config = '$N8N_DIR/node_modules/@n8n/backend-common/dist/modules/modules.config.js';
		const { MODULE_NAMES = [] } = require(config);
		console.log(['mcp-registry'].filter((name) => MODULE_NAMES.includes(name)).join(','));
	" 2>/dev/null || true)
	export N8N_DISABLED_MODULES
	export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
	export N8N_RUNNERS_ENABLED=${N8N_RUNNERS_ENABLED:-false}
	export DB_SQLITE_POOL_SIZE=1
	mkdir -p "$N8N_USER_FOLDER/.n8n/nodes/node_modules"
	# A package linked here loads under its own node names.
	ln -sfn "$ROOT" "$N8N_USER_FOLDER/.n8n/nodes/node_modules/$PACKAGE_NAME"
}

n8n() {
	"$N8N_DIR/node_modules/.bin/n8n" "$@"
}

# Writes the credential and the examples with ids and the credential filled in.
prepare_imports() {
	node - "$ROOT" "$RUN_DIR" "$REDIS_PORT" <<'EOF'
const fs = require('fs');
const path = require('path');
const [root, runDir, redisPort] = process.argv.slice(2);
const credential = { id: 'waqSmokeCred0001', name: 'WhatsApp Queue Redis' };
fs.writeFileSync(path.join(runDir, 'credentials.json'), JSON.stringify([{
	...credential,
	type: 'whatsAppQueueRedisApi',
	data: { host: '127.0.0.1', port: Number(redisPort), prefix: 'waq', analyticsPrefix: 'waa',
		queueDatabase: 0, analyticsDatabase: 1, analyticsTimeZone: 'UTC' },
}]));
const load = (name) => JSON.parse(fs.readFileSync(path.join(root, 'examples', `${name}.workflow.json`), 'utf8'));
const save = (workflow, id, file) => {
	workflow.id = id;
	for (const node of workflow.nodes) {
		if (node.credentials?.whatsAppQueueRedisApi) node.credentials.whatsAppQueueRedisApi = credential;
	}
	fs.writeFileSync(path.join(runDir, file), JSON.stringify(workflow));
};
save(load('sendCampaign'), 'waqSmokeCampaign', 'campaign.json');
save(load('deadLetterAlert'), 'waqSmokeAlert', 'alert.json');
// `n8n execute` starts from a Manual Trigger, so the report runs from one
// instead of its Schedule Trigger.
const report = load('dailyReport');
const schedule = report.nodes.find((node) => node.type === 'n8n-nodes-base.scheduleTrigger');
Object.assign(schedule, { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} });
save(report, 'waqSmokeReport', 'report.json');
EOF
}

main() {
	install_n8n
	build_package
	start_services
	n8n_env
	prepare_imports

	log "n8n $(n8n --version): importing the credential and the examples."
	n8n import:credentials --input="$RUN_DIR/credentials.json" >/dev/null
	for file in campaign alert report; do
		n8n import:workflow --input="$RUN_DIR/$file.json" >/dev/null
	done
	n8n update:workflow --id=waqSmokeAlert --active=true >/dev/null

	log 'Starting n8n with the dead-letter alert workflow active.'
	# Started without the n8n function, so $! is n8n's own process.
	"$N8N_DIR/node_modules/.bin/n8n" start >"$RUN_DIR/n8n.log" 2>&1 &
	PIDS+=($!)
	wait_for 'n8n to listen' 120 curl -sf "http://127.0.0.1:$N8N_PORT/healthz"
	wait_for 'the trigger to subscribe' 30 bash -c \
		"redis-cli -p $REDIS_PORT xinfo groups 'waq:{events}:message.dead_lettered' | grep -q 'n8n:waqSmokeAlert:'"

	log 'Running the campaign example; one contact is not on WhatsApp.'
	local campaign
	campaign=$(n8n execute --id=waqSmokeCampaign --rawOutput 2>"$RUN_DIR/campaign-errors.log")
	echo "$campaign" >"$RUN_DIR/campaign-output.json"
	grep -q '"status": *"queued"' "$RUN_DIR/campaign-output.json" || {
		log 'The campaign example queued nothing:'
		cat "$RUN_DIR/campaign-output.json" "$RUN_DIR/campaign-errors.log" >&2
		exit 1
	}

	wait_for 'two campaign sends' 30 received_count_is sales 2
	wait_for 'the dead-letter alert' 30 received_count_is operations 1

	log 'Running the daily report example.'
	local report
	report=$(n8n execute --id=waqSmokeReport --rawOutput 2>"$RUN_DIR/report-errors.log")
	echo "$report" >"$RUN_DIR/report-output.json"
	grep -q '"status": *"queued"' "$RUN_DIR/report-output.json" || {
		log 'The report example did not queue its summary:'
		cat "$RUN_DIR/report-output.json" "$RUN_DIR/report-errors.log" >&2
		exit 1
	}

	log 'Passed: the nodes loaded, the campaign was sent, the trigger alerted on the dead letter, and the report was queued.'
	sandbox_received operations |
		node -e "let s='';process.stdin.on('data',(c)=>s+=c).on('end',()=>{for(const r of JSON.parse(s).received) console.log('operations <- '+r.body.text)})"
}

main "$@"
