-- A smolvm state database (schema of smolvm ~1.9, see docs/smolvm.md) with
-- one well-confined machine and two that are not. Used by scripts/demo.sh.
PRAGMA journal_mode=WAL;
CREATE TABLE vms (name TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL);
INSERT INTO vms VALUES ('agent-ok', CAST('{"name":"agent-ok","created_at":1755800000,"state":"running","pid":48213,"pid_start_time":1755800012,"cpus":2,"mem":2048,"mounts":[],"ports":[],"env":[],"network":true,"allowed_cidrs":["127.0.0.16/32"],"image":"alpine:3.20","restart":{"policy":"never","max_retries":0,"max_backoff_secs":0,"restart_count":0,"user_stopped":false}}' AS BLOB));
INSERT INTO vms VALUES ('agent-from-pack', CAST('{"name":"agent-from-pack","created_at":1755800100,"state":"running","pid":48300,"pid_start_time":1755800112,"cpus":2,"mem":2048,"mounts":[],"ports":[],"env":[],"network":true,"allowed_cidrs":null,"source_smolmachine":"/home/me/agent.smolmachine","image":null}' AS BLOB));
INSERT INTO vms VALUES ('agent-wide', CAST('{"name":"agent-wide","created_at":1755800200,"state":"stopped","pid":null,"pid_start_time":null,"cpus":1,"mem":512,"mounts":[],"ports":[],"env":[],"network":true,"allowed_cidrs":["10.0.0.0/8"],"image":"alpine:3.20"}' AS BLOB));
