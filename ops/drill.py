#!/usr/bin/env python3
"""Fault drills for Stockyard (issue 23, item 4): a live shop's load, a fault, and what came of it.

    ops/drill [OPTIONS] DRILL...     DRILL: kill-worker, pg-restart, pg-terminate, storefront-down, all

Every drill runs against the release build (.build/release/stockyard), on its own PostgreSQL cluster
(.data/drill-pg, 127.0.0.1:54339, apart from the developer's), a fresh database, its own simulator, API
(`serve --no-worker`) and worker on free ports. The load is the reported shop's: ~50 inventory adjustments/s
through POST /v1/inventory-adjustments over 5 products at the mapped stock location, a trickle of `noop` jobs
enqueued as the owner, and the storefront answering in 100 ms (the simulator's latency fault).

  kill-worker      SIGKILL `stockyard worker` at random moments (--kills, 20), restart it each time
  pg-restart       stop Postgres in immediate mode and start it again (--restarts, 5); recovery time per restart
                   from "the database answers" to "the first job done after it"
  pg-terminate     pg_terminate_backend of every stockyard_app connection every --terminate-every (3) seconds for
                   --terminate-seconds (60)
  storefront-down  stop the simulator for --outage-seconds (60) under load, bring it back, time the drain
  all              the four, in that order

Then the load stops, the queue gets up to --drain-seconds to drain, and the checks run: noop jobs lost, jobs
dead, every storefront level in the simulator equal to reporting.inventory_availability's computed value,
acknowledged adjustments present, API answers by status (a 5xx other than 503 is a finding, and so is a call
refused, cut off or unanswered within the client's 10 s), /health of the API and the worker every second, processes
that exited, and how long the jobs caught by the fault took to finish. A table per drill; exit 0 when every check
passes, 1 when one fails, 2 for bad input or a machine that cannot run the drill, 3 when a drill overran its hard
time bound (everything it started is killed), 130 on Ctrl-C. Logs: .data/drill-logs/<run>/<drill>/.

Options:
  --build           build the release binary first (under flock /tmp/stockyard-build.lock)
  --binary PATH     run this stockyard binary instead (e.g. .build/debug/stockyard); no freshness check
  --stale-ok        run a release binary older than the sources (said in the report)
  --rate N          adjustments per second (50)
  --seed N          random seed (kill moments, products, deltas)
  --kills N (20), --restarts N (5), --terminate-seconds S (60), --terminate-every S (3), --outage-seconds S (60)
  --drain-seconds S (90)   how long the queue gets to drain after the load (storefront-down: 120 s more)
  --recovery-limit S (10)  the bound of the recovery checks: a killed worker's jobs, the jobs running at a crash or a
                           termination, and the first job after a restart must be done within it
  --recovery-wait S (60)   pg-restart: how long to wait for the first job done after a restart
"""

import argparse
import base64
import collections
import fcntl
import http.client as httpclient
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRILLS = ["kill-worker", "pg-restart", "pg-terminate", "storefront-down"]
PG_PORT = 54339
PG_DATA = os.path.join(ROOT, ".data", "drill-pg")
DATABASE = "stockyard"
DOMAIN = "demo.myshopify.com"          # the demo command's simulated shop
ACCESS_TOKEN, WEBHOOK_SECRET = "shpat_demo", "whsec_demo"
PRODUCTS = 5                           # DEMO-TEE (made by `stockyard demo`) and DRILL-2 … DRILL-5
OPENING_STOCK = 1000
HTTP_TIMEOUT = 10.0                    # a call that takes longer has hung
LEASE_SECONDS = 3
STOREFRONT_LATENCY_MS = 100


class Usage(Exception):
    """Bad input or a machine that cannot run the drill: a message and exit 2."""


class DrillAborted(Exception):
    """A drill could not get to its checks (setup failed, a bound passed): a FAIL with this reason."""


def show(path):
    """A path as the user would type it from the checkout."""
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def log(message):
    print(f"ops/drill: {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Processes: each in its own process group, output to a log file, killed with its group.

class Proc:
    def __init__(self, name, argv, env, log_path):
        self.name, self.log_path = name, log_path
        self.expected_exit = False
        with open(log_path, "ab") as out:
            out.write(f"\n=== ops/drill {time.strftime('%H:%M:%S')}: {' '.join(argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after `grace` seconds; always reaps."""
        if self.alive():
            self.expected_exit = True
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
        self.signal(signal.SIGKILL)  # anything left in its group
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass


class Processes:
    """Every process a drill starts, so that all of them go at the end, however it ends."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs = []

    def start(self, name, argv, env, log_path):
        proc = Proc(name, argv, env, log_path)
        with self.lock:
            self.procs.append(proc)
        return proc

    def stop_all(self):
        with self.lock:
            procs, self.procs = self.procs, []
        for proc in reversed(procs):
            proc.stop(grace=3.0)


def run(argv, env=None, timeout=60, log_path=None, check=True):
    """Runs a command to completion within `timeout` seconds; returns its stdout."""
    try:
        done = subprocess.run(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired as error:
        raise DrillAborted(f"{' '.join(argv[:3])} did not finish within {timeout} s") from error
    if log_path:
        with open(log_path, "a") as out:
            out.write(f"=== {' '.join(argv)} → {done.returncode}\n{done.stdout}{done.stderr}")
    if check and done.returncode != 0:
        raise DrillAborted(f"{' '.join(argv[:3])} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------------------------------
# PostgreSQL: the drill's own cluster through ops/pg, and SQL as the owner through psql over its Unix socket.

class Cluster:
    def __init__(self, log_path):
        self.env = dict(os.environ, STOCKYARD_PG_DATA=PG_DATA, STOCKYARD_PG_PORT=str(PG_PORT))
        self.log_path = log_path

    def ops_pg(self, *args, timeout=120):
        return run([os.path.join(ROOT, "ops", "pg"), *args], env=self.env, timeout=timeout, log_path=self.log_path)

    def up(self):
        self.ops_pg("up")

    def kill(self):
        self.ops_pg("kill", timeout=60)

    def down(self):
        try:
            self.ops_pg("down", timeout=60)
        except DrillAborted:
            self.ops_pg("kill", timeout=60)

    def url(self, role):
        host = PG_DATA.replace("/", "%2F")
        return f"postgres://stockyard_{role}:stockyard_{role}@{host}:{PG_PORT}/{DATABASE}"

    def psql(self, sql, database=DATABASE, timeout=10.0):
        """Runs `sql` as stockyard_owner; returns rows as lists of strings. Raises SQLError when it fails."""
        argv = ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", PG_DATA, "-p", str(PG_PORT),
                "-U", "stockyard_owner", "-d", database, "-f", "-"]
        env = dict(os.environ, PGCONNECT_TIMEOUT="3", PGPASSWORD="stockyard_owner", PGAPPNAME="ops/drill")
        try:
            done = subprocess.run(argv, input=sql, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise SQLError(f"no answer within {timeout} s") from error
        if done.returncode != 0:
            raise SQLError(done.stderr.strip() or f"psql exited {done.returncode}")
        return [line.split("\t") for line in done.stdout.splitlines() if line != ""]

    def value(self, sql, **kwargs):
        rows = self.psql(sql, **kwargs)
        return rows[0][0] if rows else None

    def answers(self):
        try:
            return self.value("SELECT 1", timeout=3.0) == "1"
        except SQLError:
            return False


class SQLError(Exception):
    pass


# ----------------------------------------------------------------------------------------------------------------
# HTTP: one connection per call, a client timeout, JSON both ways.

def call(method, url, body=None, headers=None, timeout=HTTP_TIMEOUT):
    """Returns (status, parsed JSON or text). Raises TimeoutError or OSError (refused, reset) on transport errors."""
    assert url.startswith("http://")
    hostport, _, path = url[len("http://"):].partition("/")
    host, _, port = hostport.partition(":")
    connection = httpclient.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        connection.request(method, "/" + path, body=data, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return response.status, parsed
    except httpclient.HTTPException as error:   # RemoteDisconnected and friends: the peer went away
        raise ConnectionError(str(error) or type(error).__name__) from error
    finally:
        connection.close()


def expect(status_body, *ok, what):
    status, body = status_body
    if status not in ok:
        raise DrillAborted(f"{what}: HTTP {status}: {str(body)[:300]}")
    return body


# ----------------------------------------------------------------------------------------------------------------
# The stack: simulator, API, worker, and the shop they share.

class Stack:
    def __init__(self, ctx, name):
        self.ctx, self.name = ctx, name
        self.logs = os.path.join(ctx.run_logs, name)
        os.makedirs(self.logs, exist_ok=True)
        self.procs = Processes()
        self.cluster = Cluster(os.path.join(self.logs, "ops-pg.log"))
        self.api_port, self.worker_port, self.sim_port = free_port(), free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.sim = f"http://127.0.0.1:{self.sim_port}"
        self.env = dict(os.environ,
                        STOCKYARD_DATABASE_URL=self.cluster.url("app"),
                        STOCKYARD_OWNER_DATABASE_URL=self.cluster.url("owner"),
                        STOCKYARD_HTTP_HOST="127.0.0.1", STOCKYARD_HTTP_PORT=str(self.api_port),
                        STOCKYARD_WORKER_METRICS_PORT=str(self.worker_port),
                        STOCKYARD_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
                        STOCKYARD_MIGRATIONS_DIR=os.path.join(ROOT, "migrations"),
                        STOCKYARD_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(),
                        STOCKYARD_LOG_LEVEL=os.environ.get("STOCKYARD_LOG_LEVEL", "info"))
        self.simulator = self.api_proc = self.worker = None
        self.pg_log_offset = 0

    # -- processes

    def start_simulator(self, wait=15.0):
        self.simulator = self.procs.start("simulator", [self.ctx.binary, "simulator", "--port", str(self.sim_port)],
                                          self.env, os.path.join(self.logs, "simulator.log"))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not self.simulator.alive():
                raise DrillAborted(f"the simulator exited ({self.simulator.popen.returncode}) at start; see {show(self.simulator.log_path)}")
            try:
                if call("GET", f"{self.sim}/_simulator/shops/none/levels", timeout=1)[0] == 404:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise DrillAborted(f"the simulator is not up on {self.sim} after {wait:.0f} s; see {show(self.simulator.log_path)}")

    def start_api(self, wait=30.0):
        self.api_proc = self.procs.start("api", [self.ctx.binary, "serve", "--no-worker"], self.env,
                                         os.path.join(self.logs, "api.log"))
        self.wait_healthy(self.api_proc, f"{self.api}/ready", wait)

    def start_worker(self, wait=30.0):
        self.worker = self.procs.start("worker", [self.ctx.binary, "worker"], self.env, os.path.join(self.logs, "worker.log"))
        return self.wait_healthy(self.worker, f"http://127.0.0.1:{self.worker_port}/health", wait)

    def wait_healthy(self, proc, url, wait):
        started = time.monotonic()
        while time.monotonic() - started < wait:
            if not proc.alive():
                raise DrillAborted(f"{proc.name} exited ({proc.popen.returncode}) at start; see {show(proc.log_path)}")
            try:
                if call("GET", url, timeout=1)[0] == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise DrillAborted(f"{proc.name} did not answer {url} within {wait:.0f} s; see {show(proc.log_path)}")

    # -- the shop

    def sim_shop(self, levels):
        return {"domain": DOMAIN, "access_token": ACCESS_TOKEN, "webhook_secret": WEBHOOK_SECRET,
                "webhook_url": f"{self.api}/v1/webhooks/shopify",
                "locations": [{"id": 1, "name": "Online Store"}, {"id": 2, "name": "Retail counter"}],
                "variants": [{"id": 100 + n, "sku": self.skus[n - 1], "inventory_item_id": 1000 + n, "status": "ACTIVE"}
                             for n in range(1, PRODUCTS + 1)],
                "levels": [{"inventory_item_id": item, "location_id": location, "available": available}
                           for (item, location), available in sorted(levels.items())]}

    def put_sim_shop(self, levels):
        expect(call("POST", f"{self.sim}/_simulator/shops", self.sim_shop(levels)), 201, what="simulator: create shop")
        self.set_faults({"latency_milliseconds": STOREFRONT_LATENCY_MS})

    def set_faults(self, faults):
        expect(call("PUT", f"{self.sim}/_simulator/shops/{DOMAIN}/faults", faults), 204, what="simulator: faults")

    def sim_levels(self):
        body = expect(call("GET", f"{self.sim}/_simulator/shops/{DOMAIN}/levels"), 200, what="simulator: levels")
        return {(row["inventory_item_id"], row["location_id"]): row["available"] for row in body}

    def api_call(self, method, path, body=None, ok=(200, 201)):
        return expect(call(method, f"{self.api}{path}", body, {"Authorization": f"Bearer {self.token}"}), *ok,
                      what=f"{method} {path}")

    def set_up(self):
        """Fresh database, migrated; simulator; demo company with its live shop; 5 linked products at 1,000 each;
        API and worker; the storefront in step before the load starts."""
        self.pg_log_offset = os.path.getsize(os.path.join(PG_DATA, "server.log")) if os.path.exists(os.path.join(PG_DATA, "server.log")) else 0
        self.cluster.up()
        self.cluster.psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', database="postgres", timeout=60)
        self.cluster.ops_pg("ensure-db", DATABASE)
        run([self.ctx.binary, "migrate"], env=self.env, timeout=120, log_path=os.path.join(self.logs, "setup.log"))
        self.start_simulator()
        demo = json.loads(run([self.ctx.binary, "demo", "--storefront", self.sim, "--json"], env=self.env, timeout=60,
                              log_path=os.path.join(self.logs, "setup.log")))
        self.company, self.token = demo["company_id"], demo["token"]
        self.shop, self.location = demo["storefront"]["shop_id"], demo["storefront"]["stock_location_id"]
        self.skus = ["DEMO-TEE"] + [f"DRILL-{n}" for n in range(2, PRODUCTS + 1)]
        # The demo's shop has one variant; the drill's has five (the simulator replaces a shop posted again).
        self.put_sim_shop({(1000 + n, location): 0 for n in range(1, PRODUCTS + 1) for location in (1, 2)})
        self.start_api()
        self.products = [demo["storefront"]["product_id"]]
        for sku in self.skus[1:]:
            self.products.append(self.api_call("POST", "/v1/products", {"name": f"Drill {sku}", "default_code": sku})["id"])
        self.api_call("POST", f"/v1/shops/{self.shop}/variants/import", {})
        self.api_call("POST", f"/v1/shops/{self.shop}/variants/confirm", {})
        for product in self.products:
            self.api_call("POST", "/v1/inventory-adjustments",
                          {"product_id": product, "location_id": self.location, "inventory_quantity": OPENING_STOCK})
        linked = self.cluster.value(f"SELECT count(*) FROM reporting.inventory_availability WHERE shop_id = {self.shop}")
        if int(linked) != PRODUCTS * 2:
            raise DrillAborted(f"expected {PRODUCTS * 2} storefront levels (5 variants × 2 locations), the database has {linked}")
        self.start_worker()
        settled, mismatches = self.wait_levels(60)
        if not settled:
            raise DrillAborted(f"the storefront was not in step 60 s after setup: {mismatches[:3]}")

    # -- what the checks read

    def level_mismatches(self):
        """[(item, location, simulator, computed)] for every enabled location × linked variant that differs."""
        rows = self.cluster.psql(f"SELECT inventory_item_id, external_location_id, computed FROM reporting.inventory_availability "
                                 f"WHERE shop_id = {self.shop} ORDER BY 1, 2")
        sim = self.sim_levels()
        return [(int(item), int(location), sim.get((int(item), int(location))), int(computed))
                for item, location, computed in rows if sim.get((int(item), int(location))) != int(computed)]

    def wait_levels(self, bound):
        deadline, mismatches = time.monotonic() + bound, []
        while time.monotonic() < deadline:
            try:
                mismatches = self.level_mismatches()
                if not mismatches:
                    return True, []
            except (SQLError, OSError, DrillAborted) as error:
                mismatches = [str(error)]
            time.sleep(0.5)
        return False, mismatches

    def queue_counts(self):
        rows = self.cluster.psql("SELECT kind, state, count(*) FROM reporting.sync_jobs GROUP BY 1, 2 ORDER BY 1, 2")
        return {(kind, state): int(n) for kind, state, n in rows}

    def db_now(self):
        return self.cluster.value("SELECT clock_timestamp()")

    def copy_pg_log(self):
        source = os.path.join(PG_DATA, "server.log")
        if os.path.exists(source):
            with open(source, "rb") as src, open(os.path.join(self.logs, "postgres.log"), "wb") as dst:
                src.seek(self.pg_log_offset if os.path.getsize(source) >= self.pg_log_offset else 0)
                shutil.copyfileobj(src, dst)

    def tear_down(self):
        self.procs.stop_all()
        self.copy_pg_log()


# ----------------------------------------------------------------------------------------------------------------
# The load: adjustments through the API, noop jobs as the owner, and a watch on /health and the processes.

class Load:
    CLIENTS = 16

    def __init__(self, stack, rate, rng):
        self.stack, self.rate, self.rng = stack, rate, rng
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = []
        self.statuses = collections.Counter()      # "201", "503", "timeout", "refused", "reset"
        self.events = []                           # (monotonic, outcome) of every call, for recovery times
        self.acked_moves = []
        self.skipped = 0                           # slots missed because a client was still waiting
        self.hung = []                             # monotonic moments calls that timed out were sent
        self.noop_ids = []
        self.noop_failures = 0
        self.health_misses = []                    # (monotonic, what)
        self.exits = []                            # (monotonic, process, code)
        self.worker_expected = True
        self.started = None
        self.marks = []                            # (monotonic, what): the faults, to place findings in time

    def mark(self, what):
        with self.lock:
            self.marks.append((time.monotonic(), what))

    def place(self, moment):
        """'+12.3 s, 0.4 s after pg kill #1': where a moment falls in the drill."""
        text = f"+{moment - self.started:.1f} s"
        before = [(at, what) for at, what in self.marks if at <= moment]
        return text + (f", {moment - before[-1][0]:.1f} s after {before[-1][1]}" if before else "")

    def start(self):
        self.started = time.monotonic()
        for n in range(self.CLIENTS):
            self.spawn(self.adjuster, n)
        self.spawn(self.noop_producer)
        self.spawn(self.watch)

    def spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(HTTP_TIMEOUT + 5)
        self.threads = []

    def record(self, outcome):
        with self.lock:
            self.statuses[outcome] += 1
            self.events.append((time.monotonic(), outcome))

    def adjuster(self, n):
        interval = self.CLIENTS / self.rate
        rng = random.Random(self.rng.random())
        next_at = time.monotonic() + interval * n / self.CLIENTS
        while not self.stop_event.is_set():
            now = time.monotonic()
            if next_at > now:
                if self.stop_event.wait(next_at - now):
                    break
            elif now - next_at > interval:          # fell behind (a slow call): skip the missed slots
                missed = int((now - next_at) / interval)
                with self.lock:
                    self.skipped += missed
                next_at += missed * interval
            next_at += interval
            body = {"product_id": rng.choice(self.stack.products), "location_id": self.stack.location,
                    "delta": rng.choice([-2, -1, 1, 1, 2, 3])}
            try:
                status, response = call("POST", f"{self.stack.api}/v1/inventory-adjustments", body,
                                        {"Authorization": f"Bearer {self.stack.token}", "Idempotency-Key": str(uuid.uuid4())})
            except TimeoutError:
                self.record("timeout")
                with self.lock:
                    self.hung.append(time.monotonic() - HTTP_TIMEOUT)
                continue
            except ConnectionRefusedError:
                self.record("refused")
                continue
            except OSError:
                self.record("reset")
                continue
            self.record(str(status))
            if status == 201 and isinstance(response, dict) and response.get("move"):
                with self.lock:
                    self.acked_moves.append(int(response["move"]["id"]))

    def noop_producer(self):
        """Two noop jobs every half second (4/s), as the owner in the company's scope; ids of committed ones kept."""
        n = 0
        while not self.stop_event.wait(0.5):
            sql = (f"\\o /dev/null\nSELECT set_config('app.company_id', '{self.stack.company}', false);\n\\o\n"
                   f"SELECT stockyard.enqueue_job('noop', NULL, jsonb_build_object('drill', '{self.stack.name}', 'n', {n} + g)) "
                   f"FROM generate_series(1, 2) g;\n")
            n += 2
            try:
                ids = [int(row[0]) for row in self.stack.cluster.psql(sql, timeout=5)]
                with self.lock:
                    self.noop_ids.extend(ids)
            except SQLError:
                with self.lock:
                    self.noop_failures += 1

    def watch(self):
        """Every half second: did the API or the worker exit; every second: does /health answer (2 s)."""
        tick = 0
        while not self.stop_event.wait(0.5):
            tick += 1
            for proc in (self.stack.api_proc, self.stack.worker):
                if proc is not None and not proc.alive() and not proc.expected_exit:
                    proc.expected_exit = True      # report each exit once
                    with self.lock:
                        self.exits.append((time.monotonic(), proc.name, proc.popen.returncode))
            if tick % 2:
                continue
            targets = [("api", self.stack.api_proc, f"{self.stack.api}/health")]
            if self.worker_expected:
                targets.append(("worker", self.stack.worker, f"http://127.0.0.1:{self.stack.worker_port}/health"))
            for name, proc, url in targets:
                try:
                    ok = call("GET", url, timeout=2)[0] == 200
                except OSError:
                    ok = False
                if not ok and not proc.expected_exit:     # a worker the drill just killed does not count
                    with self.lock:
                        self.health_misses.append((time.monotonic(), name))

    def first_success_after(self, moment, bound=None):
        """Seconds from `moment` (monotonic) to the first 2xx adjustment after it, or None."""
        with self.lock:
            for at, outcome in self.events:
                if at >= moment and outcome.startswith("2") and (bound is None or at <= moment + bound):
                    return at - moment
        return None


# ----------------------------------------------------------------------------------------------------------------
# The report: what the drill did, what it found, PASS/FAIL per check.

class Report:
    def __init__(self, name):
        self.name = name
        self.did = []           # (what, value)
        self.rows = []          # (check, found, verdict)

    def note(self, what, value):
        self.did.append((what, str(value)))

    def check(self, what, found, ok):
        self.rows.append((what, str(found), "PASS" if ok else "FAIL"))
        return ok

    def info(self, what, found):
        self.rows.append((what, str(found), ""))

    @property
    def passed(self):
        return all(verdict != "FAIL" for _, _, verdict in self.rows) and bool(self.rows)

    def render(self):
        lines = [f"== {self.name}: {'PASS' if self.passed else 'FAIL'}"]
        width = max([len(what) for what, _ in self.did] + [10])
        lines += [f"  {what:<{width}}  {value}" for what, value in self.did]
        if self.rows:
            w1 = max(len(r[0]) for r in self.rows)
            w2 = min(max(len(r[1]) for r in self.rows), 70)
            lines.append(f"  {'check':<{w1}}  {'found':<{w2}}  verdict")
            lines.append(f"  {'-' * w1}  {'-' * w2}  -------")
            for what, found, verdict in self.rows:
                chunks = [found[i:i + 70] for i in range(0, len(found), 70)] or [""]
                lines.append(f"  {what:<{w1}}  {chunks[0]:<{w2}}  {verdict}".rstrip())
                lines += [f"  {'':<{w1}}  {chunk}" for chunk in chunks[1:]]
        return "\n".join(lines)


def seconds(value):
    return "-" if value is None else f"{value:.2f} s"


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"min {min(values):.2f} s, median {statistics.median(values):.2f} s, max {max(values):.2f} s"


# ----------------------------------------------------------------------------------------------------------------
# Shared phases: steady load, drain, and the checks every drill makes.

def settle_and_check(stack, load, report, drain_seconds):
    """Stops the load, waits up to `drain_seconds` for the queue to empty and the storefront to be in step, then
    checks what every drill checks."""
    load.stop()
    report.note("sent", f"{sum(load.statuses.values())} adjustments in {time.monotonic() - load.started:.0f} s "
                        f"({load.skipped} slots skipped while clients waited), {len(load.noop_ids)} noop jobs enqueued "
                        f"({load.noop_failures} enqueues failed during outages)")
    started = time.monotonic()
    drained, remaining = False, {}
    while time.monotonic() - started < drain_seconds:
        try:
            counts = stack.queue_counts()
            remaining = {key: n for key, n in counts.items()
                         if key[1] in ("pending", "running", "failed") and key[0] != "inventory.reconcile"}
            if not remaining and not stack.level_mismatches():
                drained = True
                break
        except (SQLError, OSError, DrillAborted) as error:
            remaining = {("error", str(error)[:80]): 1}
        time.sleep(0.5)
    report.check(f"queue drained and levels settled within {drain_seconds} s",
                 f"after {time.monotonic() - started:.1f} s" if drained else f"not drained, left: {remaining}", drained)

    ids = sorted(load.noop_ids)
    states = collections.Counter()
    if ids:
        rows = stack.cluster.psql("SELECT j.state, count(*) FROM unnest('{" + ",".join(map(str, ids)) + "}'::bigint[]) i(id) "
                                  "LEFT JOIN reporting.sync_jobs j ON j.id = i.id GROUP BY 1", timeout=30)
        states = collections.Counter({(state or "missing"): int(n) for state, n in rows})
    lost = sum(n for state, n in states.items() if state != "done")
    report.check("noop jobs lost (enqueued, not done)", f"{lost} of {len(ids)}" + (f" {dict(states)}" if lost else ""), lost == 0 and ids)

    dead = stack.cluster.psql("SELECT kind, count(*), left(max(last_error), 120) FROM reporting.sync_jobs WHERE state = 'dead' GROUP BY 1")
    report.check("jobs dead", "0" if not dead else "; ".join(f"{k}: {n} ({e})" for k, n, e in dead), not dead)

    counts = stack.queue_counts()
    summary = collections.defaultdict(dict)
    for (kind, state), n in counts.items():
        summary[kind][state] = n
    report.info("jobs by kind and state", "; ".join(f"{k} {dict(v)}" for k, v in sorted(summary.items())))
    attempts = stack.cluster.psql("SELECT max(attempts), round(avg(attempts), 2) FROM reporting.sync_jobs WHERE kind = 'inventory.push'")
    report.info("inventory.push attempts (max, mean)", " / ".join(attempts[0]) if attempts else "-")

    mismatches = stack.level_mismatches()
    report.check("storefront levels = computed availability",
                 f"{PRODUCTS * 2} of {PRODUCTS * 2} equal" if not mismatches else
                 f"{len(mismatches)} differ: " + ", ".join(f"item {i} loc {l}: shop {s} vs {c}" for i, l, s, c in mismatches[:4]),
                 not mismatches)

    acked = sorted(set(load.acked_moves))
    missing = 0
    if acked:
        missing = int(stack.cluster.value("SELECT count(*) FROM unnest('{" + ",".join(map(str, acked)) + "}'::bigint[]) i(id) "
                                          "WHERE NOT EXISTS (SELECT FROM stockyard.stock_moves m WHERE m.id = i.id)", timeout=30))
    report.check("acknowledged adjustments lost (201, move gone)", f"{missing} of {len(acked)}", missing == 0)

    statuses = dict(sorted(load.statuses.items()))
    report.info("API answers by status", statuses)
    bad = {s: n for s, n in statuses.items() if s.isdigit() and int(s) >= 500 and s != "503"}
    report.check("API 5xx other than 503", bad or 0, not bad)
    others = {s: n for s, n in statuses.items() if s.isdigit() and 400 <= int(s) < 500}
    report.check("API 4xx", others or 0, not others)
    hung = sorted(load.hung)
    dropped = {s: n for s, n in statuses.items() if s in ("refused", "reset")}
    report.check("API calls refused or cut off (no HTTP answer)", dropped or 0, not dropped)
    found = f"{len(hung)}"
    if hung:
        found += f", sent at {'; '.join(load.place(at) for at in hung[:3])}" + (" …" if len(hung) > 3 else "")
        unfinished = unlogged_adjustments(stack, sum(load.statuses.values()) + PRODUCTS)
        if unfinished is not None:
            found += f"; {unfinished} adjustment requests still unfinished in the API at the end (sent, no request line in api.log)"
    report.check(f"API calls hung (no answer in {HTTP_TIMEOUT:.0f} s)", found, not hung)
    misses = collections.Counter(name for _, name in load.health_misses)
    report.check("/health misses (2 s timeout, polled every 1 s)", dict(misses) or 0, not misses)
    exits = [f"{name} exited {code} at +{at - load.started:.0f} s" for at, name, code in load.exits]
    report.check("processes exited unexpectedly", "; ".join(exits) or 0, not exits)
    alive = []
    for name, url in (("api", f"{stack.api}/health"), ("worker", f"http://127.0.0.1:{stack.worker_port}/health")):
        try:
            ok = call("GET", url, timeout=3)[0] == 200
        except OSError:
            ok = False
        if not ok:
            alive.append(name)
    report.check("api and worker alive and answering /health at the end", "yes" if not alive else f"not answering: {alive}", not alive)
    for name in ("api", "worker"):
        report.info(f"{name}.log: error/critical entries", log_digest(os.path.join(stack.logs, f"{name}.log")))


def unlogged_adjustments(stack, sent):
    """Adjustment calls sent (setup's included) less those api.log has a request line for: the ones the server never
    finished. None when the log level hides request lines."""
    if stack.env.get("STOCKYARD_LOG_LEVEL", "info") not in ("trace", "debug", "info"):
        return None
    with open(os.path.join(stack.logs, "api.log"), errors="replace") as f:
        logged = sum(1 for line in f if "path=/v1/inventory-adjustments" in line and " status=" in line)
    return sent - logged


def log_entries(path):
    """A process's log as entries: a line that starts with a timestamp and the lines that continue it (multi-line SQL)."""
    entry = []
    with open(path, errors="replace") as f:
        for line in f:
            if re.match(r"\d{4}-\d\d-\d\dT", line) and entry:
                yield " ".join(entry)
                entry = []
            entry.append(line.strip())
    if entry:
        yield " ".join(entry)


def log_digest(path, top=4):
    """'211× request failed (the database system is starting up; Database.swift:107); …': a process's error and critical
    entries by message, cause and the place that raised it."""
    if not os.path.exists(path):
        return "no log"
    counts = collections.Counter()
    for entry in log_entries(path):
        parts = entry.split(" ", 3)
        if len(parts) < 4 or parts[1] not in ("error", "critical"):
            continue
        words = []
        for word in reversed(entry.split()):     # the message: the words after the last key=value
            if "=" in word:
                break
            words.append(word)
        message = " ".join(reversed(words))
        cause = re.search(r"message: ([^,\]]+)", entry) or re.search(r"underlying: (\w+\([^)]*\): [^)(]+)", entry) \
            or re.search(r"code: (\w+)", entry)
        place = re.search(r"triggeredFromRequestInFile: (?:\w+/)?([\w.]+), line: (\d+)", entry)
        detail = "; ".join(x for x in (cause and cause.group(1).strip(), place and f"{place.group(1)}:{place.group(2)}") if x)
        counts[f"{message} ({detail})" if detail else message] += 1
    if not counts:
        return "0"
    return f"{sum(counts.values())}: " + "; ".join(f"{n}× {what}" for what, n in counts.most_common(top)) + \
        (f"; {len(counts) - top} more kinds" if len(counts) > top else "")


def finish_times(stack, batches):
    """For each (moment, job ids): (how many, seconds from the moment to the last of them finished, or None while one
    is unfinished). Reads reporting.sync_jobs, so run it after the drain."""
    out = []
    for at, ids in batches:
        if not ids:
            out.append((0, None))
            continue
        value = stack.cluster.value(
            f"SELECT CASE WHEN bool_and(finished_at IS NOT NULL) AND count(*) = {len(ids)} "
            f"THEN extract(epoch FROM max(finished_at) - '{at}'::timestamptz) END FROM reporting.sync_jobs "
            f"WHERE id = ANY('{{{','.join(map(str, ids))}}}'::bigint[])")
        out.append((len(ids), float(value) if value else None))
    return out


def running_jobs(stack):
    """(the database's clock, ids of the jobs running now)."""
    row = stack.cluster.psql("SELECT clock_timestamp(), coalesce(string_agg(id::text, ','), '') FROM stockyard.sync_jobs "
                             "WHERE state = 'running'")[0]
    return row[0], [int(i) for i in (row[1] if len(row) > 1 else "").split(",") if i]


def stall_check(report, what, stalls, limit):
    held = [(n, v) for n, v in stalls if n]
    report.check(f"{what} (limit {limit:.0f} s)",
                 f"{sum(n for n, _ in held)} jobs over {len(held)} of {len(stalls)} faults; " +
                 (spread([v for _, v in held]) if all(v is not None for _, v in held) else
                  f"{sum(1 for _, v in held if v is None)} faults with a job never finished; {spread([v for _, v in held])}"),
                 all(v is not None and v <= limit for _, v in held))


def steady(load, seconds_):
    load.stop_event.wait(seconds_)


# ----------------------------------------------------------------------------------------------------------------
# The drills: one function each.

def drill_kill_worker(ctx, stack, load, report):
    kills, gaps, restart_times, orphans = ctx.args.kills, [], [], []
    report.note("fault", f"SIGKILL `stockyard worker` {kills} times at random moments (1–4 s apart), restarted at once; "
                         f"lease {LEASE_SECONDS} s")
    load.start()
    steady(load, 5)
    for n in range(kills):
        gap = ctx.rng.uniform(1.0, 4.0)
        gaps.append(gap)
        steady(load, gap)
        load.worker_expected = False
        load.mark(f"worker kill #{n + 1}")
        stack.worker.expected_exit = True
        stack.worker.signal(signal.SIGKILL)
        stack.worker.popen.wait(10)
        try:   # the jobs it held: they must run again
            orphans.append(running_jobs(stack))
        except SQLError:
            pass
        restart_times.append(stack.start_worker())
        load.worker_expected = True
    steady(load, 5)
    report.note("kills", f"{kills}, gaps {spread(gaps)}; restarted worker answered /health in {spread(restart_times)}")
    settle_and_check(stack, load, report, ctx.args.drain_seconds)
    stall_check(report, "jobs running in the killed worker: kill → the last of them finished", finish_times(stack, orphans),
                ctx.args.recovery_limit)


def drill_pg_restart(ctx, stack, load, report):
    restarts, outage = ctx.args.restarts, 2.0
    recoveries, api_recoveries, answers_after_up, in_flight = [], [], [], []
    report.note("fault", f"PostgreSQL stopped in immediate mode (ops/pg kill), {outage:.0f} s down, started again (ops/pg up); "
                         f"{restarts} times, 5–8 s of steady load between")
    load.start()
    steady(load, 5)
    for n in range(restarts):
        steady(load, ctx.rng.uniform(5, 8))
        try:      # the jobs running just before the crash
            _, running = running_jobs(stack)
        except SQLError:
            running = []
        load.mark(f"pg kill #{n + 1}")
        stack.cluster.kill()
        steady(load, outage)
        up = threading.Thread(target=stack.cluster.up, daemon=True)
        started_up = time.monotonic()
        up.start()
        answered_db, answered = None, None
        while time.monotonic() - started_up < 90:        # "database answers": SELECT every 50 ms
            try:
                answered_db = stack.cluster.value("SELECT clock_timestamp()", timeout=2)
                answered = time.monotonic()
                break
            except SQLError:
                time.sleep(0.05)
        up.join(120)
        if answered is None:
            raise DrillAborted(f"PostgreSQL did not answer within 90 s of restart {n + 1}")
        load.mark(f"pg answering again #{n + 1}")
        answers_after_up.append(answered - started_up)
        in_flight.append((answered_db, running))
        recovery = None
        while time.monotonic() - answered < ctx.args.recovery_wait:    # "the first job done after it"
            try:
                value = stack.cluster.value(f"SELECT extract(epoch FROM min(finished_at) - '{answered_db}'::timestamptz) "
                                            f"FROM stockyard.sync_job_history WHERE finished_at > '{answered_db}'::timestamptz", timeout=2)
                if value:
                    recovery = float(value)
                    break
            except SQLError:
                pass
            time.sleep(0.05)
        recoveries.append(recovery)
        api_recoveries.append(answered)
        log(f"pg-restart {n + 1}/{restarts}: answered {answered - started_up:.2f} s after `ops/pg up` began; first job done "
            + (f"{recovery:.2f} s later" if recovery is not None else f"not within {ctx.args.recovery_wait:.0f} s"))
    steady(load, 5)
    report.note("restarts", f"{restarts}; the database answered {spread(answers_after_up)} after `ops/pg up` began")
    settle_and_check(stack, load, report, ctx.args.drain_seconds)
    limit = ctx.args.recovery_limit
    report.check(f"recovery per restart: database answers → first job done (limit {limit:.0f} s)",
                 ", ".join(seconds(r) if r is not None else f">{ctx.args.recovery_wait:.0f} s" for r in recoveries),
                 all(r is not None and r <= limit for r in recoveries))
    stall_check(report, "jobs running at the crash: database answers → the last of them finished",
                finish_times(stack, in_flight), limit)
    api = [load.first_success_after(at, bound=30) for at in api_recoveries]
    report.check("API: database answers → first 201 (within 30 s)", ", ".join(seconds(r) if r is not None else ">30 s" for r in api),
                 all(r is not None for r in api))


def drill_pg_terminate(ctx, stack, load, report):
    every, duration = ctx.args.terminate_every, ctx.args.terminate_seconds
    terminated, firsts, in_flight = [], [], []
    report.note("fault", f"pg_terminate_backend of every stockyard_app connection every {every:.0f} s for {duration:.0f} s")
    load.start()
    steady(load, 5)
    end = time.monotonic() + duration
    while time.monotonic() < end:
        at, running = running_jobs(stack)
        load.mark(f"terminate round #{len(terminated) + 1}")
        terminated.append(int(stack.cluster.value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                                  "WHERE usename = 'stockyard_app' AND pid <> pg_backend_pid()")))
        in_flight.append((at, running))
        next_round, first = time.monotonic() + every, None
        while time.monotonic() < next_round:                     # the first job done after the round
            if first is None:
                try:
                    value = stack.cluster.value(f"SELECT extract(epoch FROM min(finished_at) - '{at}'::timestamptz) "
                                                f"FROM stockyard.sync_job_history WHERE finished_at > '{at}'::timestamptz", timeout=2)
                    first = float(value) if value else None
                except SQLError:
                    pass
            time.sleep(0.1)
        firsts.append(first)
    steady(load, 5)
    report.note("rounds", f"{len(terminated)}; connections terminated per round: min {min(terminated)}, max {max(terminated)}, "
                          f"total {sum(terminated)}")
    settle_and_check(stack, load, report, ctx.args.drain_seconds)
    report.check(f"a job done within {every:.0f} s of every round", f"{sum(f is not None for f in firsts)} of {len(firsts)} rounds; "
                 f"termination → first job done {spread(firsts)}", all(f is not None for f in firsts))
    stall_check(report, "jobs running at a termination: termination → the last of them finished",
                finish_times(stack, in_flight), ctx.args.recovery_limit)


def drill_storefront_down(ctx, stack, load, report):
    outage = ctx.args.outage_seconds
    report.note("fault", f"the simulator stopped (SIGKILL, connections refused) for {outage:.0f} s under load, then started "
                         f"again with the levels it had (it answers 502 for 0.5 s first, so none is written while it goes)")
    load.start()
    steady(load, 5)
    stack.set_faults({"latency_milliseconds": STOREFRONT_LATENCY_MS, "server_error_rate": 1.0})
    time.sleep(0.5)
    levels = stack.sim_levels()
    stack.simulator.expected_exit = True
    load.mark("storefront stopped")
    stack.simulator.signal(signal.SIGKILL)
    stack.simulator.popen.wait(10)
    down_at = time.monotonic()
    peak_failed, peak_attempts, dead_during = 0, 0, 0
    while time.monotonic() - down_at < outage:
        steady(load, min(5, outage - (time.monotonic() - down_at)))
        try:
            row = stack.cluster.psql("SELECT count(*) FILTER (WHERE state = 'failed'), coalesce(max(attempts), 0), "
                                     "count(*) FILTER (WHERE state = 'dead') FROM stockyard.sync_jobs WHERE kind = 'inventory.push'")[0]
            peak_failed, peak_attempts, dead_during = max(peak_failed, int(row[0])), max(peak_attempts, int(row[1])), int(row[2])
        except SQLError:
            pass
    stack.start_simulator()
    stack.put_sim_shop(levels)
    up_db = stack.db_now()
    up_at = time.monotonic()
    load.mark("storefront back")
    report.note("outage", f"{up_at - down_at:.1f} s; during it: up to {peak_failed} inventory.push jobs waiting to retry, "
                          f"max attempts {peak_attempts}, dead {dead_during}")
    steady(load, 10)
    settle_and_check(stack, load, report, ctx.args.drain_seconds + 120)
    row = stack.cluster.psql(f"SELECT count(*), count(*) FILTER (WHERE finished_at IS NULL OR state NOT IN ('done', 'cancelled')), "
                             f"extract(epoch FROM max(finished_at) - '{up_db}'::timestamptz) FROM reporting.sync_jobs "
                             f"WHERE kind = 'inventory.push' AND created_at < '{up_db}'::timestamptz AND "
                             f"(finished_at IS NULL OR finished_at > '{up_db}'::timestamptz)")[0]
    backlog, unfinished, drain = int(row[0]), int(row[1]), (float(row[2]) if row[2] else None)
    report.check("backlog drained after the storefront returned (inventory.push created before its return)",
                 f"{backlog} jobs, {unfinished} unfinished; drain time {seconds(drain)}", unfinished == 0)
    report.check("jobs backed off during the outage (none dead)", f"max attempts {peak_attempts}, dead {dead_during}", dead_during == 0)


DRILL_FUNCTIONS = {"kill-worker": drill_kill_worker, "pg-restart": drill_pg_restart,
                   "pg-terminate": drill_pg_terminate, "storefront-down": drill_storefront_down}


# ----------------------------------------------------------------------------------------------------------------
# Running a drill: setup, the drill, teardown, within a hard bound.

def hard_bound(ctx, name):
    a = ctx.args
    fault = {"kill-worker": a.kills * 4 + 30 * a.kills / 20,
             "pg-restart": a.restarts * (8 + 2 + 90 + a.recovery_wait),
             "pg-terminate": a.terminate_seconds + a.terminate_every + 10,
             "storefront-down": a.outage_seconds + 30 + 120}[name]
    return 120 + 20 + fault + a.drain_seconds + 60          # setup + load edges + fault + drain + checks


def run_drill(ctx, name):
    report = Report(name)
    stack = Stack(ctx, name)
    ctx.current = stack
    bound = hard_bound(ctx, name)
    finished = threading.Event()

    def watchdog():
        if finished.wait(bound):
            return
        log(f"{name} overran its hard bound of {bound:.0f} s: killing everything it started")
        stack.procs.stop_all()
        try:
            stack.cluster.down()
        except Exception:  # noqa: BLE001 — last resort
            pass
        print(report.render() + f"\n  ABORTED: overran the hard bound of {bound:.0f} s; logs in {show(stack.logs)}", flush=True)
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()
    load = None
    started = time.monotonic()
    try:
        log(f"{name}: setting up (logs in {os.path.relpath(stack.logs, ROOT)})")
        stack.set_up()
        load = Load(stack, ctx.args.rate, ctx.rng)
        report.note("load", f"{ctx.args.rate:.0f} adjustments/s over {PRODUCTS} products (16 clients, {HTTP_TIMEOUT:.0f} s timeout), "
                            f"4 noop jobs/s, storefront latency {STOREFRONT_LATENCY_MS} ms")
        log(f"{name}: running (bound {bound:.0f} s)")
        DRILL_FUNCTIONS[name](ctx, stack, load, report)
    except DrillAborted as error:
        report.check("drill ran to its checks", str(error), False)
    except SQLError as error:
        report.check("drill ran to its checks", f"SQL failed: {error}", False)
    finally:
        if load is not None:
            load.stop()
        stack.tear_down()
        finished.set()
    report.note("took", f"{time.monotonic() - started:.0f} s (hard bound {bound:.0f} s); logs {os.path.relpath(stack.logs, ROOT)}")
    return report


# ----------------------------------------------------------------------------------------------------------------
# Input: the binary, the drills, the lock.

def newest_source():
    newest, path = 0.0, None
    for base in ("Sources", "Package.swift", "Package.resolved"):
        full = os.path.join(ROOT, base)
        walk = [(full, [], [""])] if os.path.isfile(full) else os.walk(full)
        for directory, _, files in walk:
            for file in files:
                candidate = os.path.join(directory, file) if file else directory
                mtime = os.path.getmtime(candidate)
                if mtime > newest:
                    newest, path = mtime, candidate
    return newest, path


def source_state():
    """'sources at f261534 + 7 uncommitted files': what the build was made from, as far as git can tell."""
    try:
        head = run(["git", "rev-parse", "--short", "HEAD"], timeout=10).strip()
        dirty = [line for line in run(["git", "status", "--porcelain", "--", "Sources", "migrations", "Package.swift"],
                                      timeout=10).splitlines() if line.strip()]
    except DrillAborted:
        return "sources: git unavailable"
    return f"sources at {head}" + (f" + {len(dirty)} uncommitted files" if dirty else "")


def pick_binary(args):
    release = os.path.join(ROOT, ".build", "release", "stockyard")
    if args.build:
        log("building: flock /tmp/stockyard-build.lock swift build -c release --product stockyard")
        env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))
        if subprocess.call(["flock", "/tmp/stockyard-build.lock", "swift", "build", "-c", "release", "--product", "stockyard"],
                           cwd=ROOT, env=env) != 0:
            raise Usage("the release build failed")
    if args.binary:
        binary = os.path.abspath(args.binary)
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise Usage(f"no executable at {args.binary}")
        return binary, f"{show(binary)} (given with --binary)"
    if not os.path.isfile(release):
        raise Usage("there is no release build (.build/release/stockyard). Build it with\n"
                    "  flock /tmp/stockyard-build.lock swift build -c release --product stockyard\n"
                    "or run ops/drill --build …")
    built = os.path.getmtime(release)
    newest, path = newest_source()
    stale = newest > built
    if stale and not args.stale_ok:
        raise Usage(f".build/release/stockyard ({time.strftime('%H:%M:%S', time.localtime(built))}) is older than "
                    f"{os.path.relpath(path, ROOT)} ({time.strftime('%H:%M:%S', time.localtime(newest))}). Rebuild it with\n"
                    "  flock /tmp/stockyard-build.lock swift build -c release --product stockyard\n"
                    "or run ops/drill --build …, or --stale-ok to drill the older build anyway")
    label = f".build/release/stockyard built {time.strftime('%Y-%m-%d %H:%M', time.localtime(built))}"
    return release, label + (" (OLDER than the sources: --stale-ok)" if stale else "")


def parse(argv):
    parser = argparse.ArgumentParser(prog="ops/drill", add_help=False)
    parser.add_argument("drills", nargs="*")
    parser.add_argument("-h", "--help", action="store_true")
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--binary")
    parser.add_argument("--stale-ok", action="store_true")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--terminate-seconds", type=float, default=60)
    parser.add_argument("--terminate-every", type=float, default=3)
    parser.add_argument("--outage-seconds", type=float, default=60)
    parser.add_argument("--drain-seconds", type=float, default=90)
    parser.add_argument("--recovery-limit", type=float, default=10)
    parser.add_argument("--recovery-wait", type=float, default=60)

    def error(message):
        raise Usage(f"{message} (ops/drill --help)")
    parser.error = error
    args = parser.parse_args(argv)
    if args.help:
        try:
            print(__doc__.strip())
        except BrokenPipeError:
            pass
        sys.exit(0)
    if not args.drills:
        raise Usage(f"name a drill: {', '.join(DRILLS)} or all (ops/drill --help)")
    drills = []
    for name in args.drills:
        if name == "all":
            drills += DRILLS
        elif name in DRILLS:
            drills.append(name)
        else:
            raise Usage(f"unknown drill {name!r}; the drills are {', '.join(DRILLS)} and all")
    for option in ("rate", "kills", "restarts", "terminate_seconds", "terminate_every", "outage_seconds", "drain_seconds",
                   "recovery_limit", "recovery_wait"):
        if getattr(args, option) <= 0:
            raise Usage(f"--{option.replace('_', '-')} must be positive")
    return args, drills


class Context:
    def __init__(self, args, binary, label):
        self.args, self.binary, self.binary_label = args, binary, label
        self.seed = args.seed if args.seed is not None else random.randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.run_logs = os.path.join(ROOT, ".data", "drill-logs", time.strftime("%Y%m%d-%H%M%S"))
        self.current = None


def main(argv):
    try:
        args, drills = parse(argv)
        for tool in ("psql", "flock"):
            if shutil.which(tool) is None:
                raise Usage(f"{tool} is not installed (ops/pg up installs PostgreSQL's client)")
        binary, label = pick_binary(args)
        os.makedirs(os.path.join(ROOT, ".data"), exist_ok=True)
        lock = open(os.path.join(ROOT, ".data", "drill.lock"), "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Usage("another ops/drill is running on this checkout (.data/drill.lock); drills must not overlap") from None
    except Usage as error:
        log(str(error))
        return 2

    ctx = Context(args, binary, label)
    os.makedirs(ctx.run_logs, exist_ok=True)
    def terminated(*_):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # also when started in the background (SIGINT ignored)
    print(f"ops/drill {' '.join(drills)} — {label}; {source_state()}; seed {ctx.seed}; PostgreSQL {show(PG_DATA)} on "
          f"127.0.0.1:{PG_PORT}; logs {show(ctx.run_logs)}", flush=True)
    reports = []
    cluster = Cluster(os.path.join(ctx.run_logs, "ops-pg.log"))
    try:
        for name in drills:
            report = run_drill(ctx, name)
            reports.append(report)
            print(report.render() + "\n", flush=True)
    except KeyboardInterrupt:
        log("interrupted: stopping everything the drill started")
        if ctx.current is not None:
            ctx.current.tear_down()
        return 130
    finally:
        try:
            cluster.down()
        except Exception as error:  # noqa: BLE001
            log(f"could not stop the drill's PostgreSQL: {error}")
    if len(reports) > 1:
        print("summary: " + ", ".join(f"{r.name} {'PASS' if r.passed else 'FAIL'}" for r in reports))
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
