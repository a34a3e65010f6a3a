-- The audit trail (audit_log, audit_chain) is append-only even for the service login that owns it:
-- once a schema's audit tables are complete, no login but a superuser may alter, disable, replace or
-- drop them or their triggers and functions. Run once per database as a superuser (scripts/dev does;
-- compose mounts it). Changing the audit tables later takes a superuser. The guard's functions live in
-- a schema of their own that every login may use (event triggers run them for every DDL statement) and
-- only a superuser may change.
CREATE SCHEMA IF NOT EXISTS audit_guard AUTHORIZATION postgres;
GRANT USAGE ON SCHEMA audit_guard TO PUBLIC;
CREATE OR REPLACE FUNCTION audit_guard.is_audit_object(identity text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT identity ~ '(^|\.| on [a-z_0-9]+\.)audit_(log|chain|row_content|is_append_only)'
$$;

CREATE OR REPLACE FUNCTION audit_guard.refuse_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    command record;
    schema text;
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN RETURN; END IF;
    FOR command IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        CONTINUE WHEN NOT audit_guard.is_audit_object(command.object_identity);
        CONTINUE WHEN command.command_tag IN ('CREATE TABLE', 'CREATE INDEX', 'CREATE TRIGGER', 'CREATE SEQUENCE', 'ALTER SEQUENCE');
        schema := coalesce(command.schema_name, substring(command.object_identity from ' on ([a-z_0-9]+)\.'));
        -- While its migration runs, the chain's last guard does not exist yet: the service may build it.
        IF EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = schema AND c.relname = 'audit_chain' AND t.tgname = 'audit_chain_no_truncate') THEN
            RAISE EXCEPTION 'the audit trail is append-only: % on % refused', command.command_tag, command.object_identity;
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION audit_guard.refuse_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    dropped record;
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN RETURN; END IF;
    FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        IF audit_guard.is_audit_object(dropped.object_identity) THEN
            RAISE EXCEPTION 'the audit trail is append-only: dropping % refused', dropped.object_identity;
        END IF;
    END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS clinicledger_audit_ddl;
DROP EVENT TRIGGER IF EXISTS clinicledger_audit_drop;
CREATE EVENT TRIGGER clinicledger_audit_ddl ON ddl_command_end EXECUTE FUNCTION audit_guard.refuse_ddl();
CREATE EVENT TRIGGER clinicledger_audit_drop ON sql_drop EXECUTE FUNCTION audit_guard.refuse_drop();
