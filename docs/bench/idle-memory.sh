#!/bin/bash
# usage: run.sh NAME [extra serve yaml lines...]; measures MME RssAnon with 100k idle UEs.
set -u
name=$1; shift
d=/tmp/mem-$name; rm -rf $d; mkdir -p $d; cd $d
M=/tmp/mme
$M loadtest gen-subscribers --count 100000 --out subs.csv --seed 7
$M hss --data-dir $d/hss --import-csv subs.csv --http-listen 127.0.0.1:18868 --diameter-listen 127.0.0.1:13868 > hss.log 2>&1 & echo $! > hss.pid
$M sgw-emu --ue-pool-v4 10.0.0.0/8 --admin-listen 127.0.0.1:18123 --s11-listen 127.0.0.1:12123 > sgw.log 2>&1 & echo $! > sgw.pid
{ echo "store: {dir: $d/store}"; echo "s1: {listen: [127.0.0.1], transport: udp, udp_port: 19899}"; echo "s11: {local: 127.0.0.1:12124, sgw: 127.0.0.1:12123}"; echo "s6a: {peers: [127.0.0.1:13868]}"; echo "http: {listen: 127.0.0.1:18080}"; for l in "$@"; do echo "$l"; done; } > mme.yaml
sleep 3
$M serve --config mme.yaml > mme.log 2>&1 & echo $! > mme.pid
for i in $(seq 60); do grep -q "mme ready" mme.log && break; sleep 1; done
pid=$(cat mme.pid)
grep -E "RssAnon" /proc/$pid/status > start.txt
$M loadtest --scenario "$(dirname "$0")"/idle-memory.yaml --subscribers subs.csv --transport udp --target 127.0.0.1:19899 --quiet --report lt.json > lt.out 2>&1 &
lt=$!
sleep 200
curl -s 'http://127.0.0.1:18080/debug/pprof/heap?gc=1' > /dev/null; sleep 5
grep -E "VmRSS|RssAnon|RssFile" /proc/$pid/status > attached.txt
curl -s http://127.0.0.1:18080/metrics | grep -E "^go_memstats_heap_alloc_bytes|^mme_subscribers|^mme_session" > metrics.txt
wait $lt
kill $(cat mme.pid hss.pid sgw.pid) 2>/dev/null
echo "== $name"; cat mme.yaml start.txt attached.txt metrics.txt; grep -A30 -i "summary\|procedure" lt.out | head -20
