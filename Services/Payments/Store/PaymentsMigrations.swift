import Storage

enum PaymentsMigrations {
    static let all = [
        Migration(1, "charges, ledger and balances", [
            """
            CREATE TABLE charges (
                clinic_id text NOT NULL,
                charge_id text NOT NULL,
                patient_id text NOT NULL,
                provider_id text NOT NULL,
                service_date date NOT NULL,
                procedure_code text NOT NULL,
                code_system text NOT NULL,
                tooth text,
                surfaces text[],
                diagnosis_codes text[],
                appointment_id text,
                fee_amount bigint NOT NULL CHECK (fee_amount > 0),
                currency char(3) NOT NULL,
                posted_event_id text NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                reversed_at timestamptz,
                void_event_id text,
                void_reason text,
                PRIMARY KEY (clinic_id, charge_id))
            """,
            """
            CREATE TABLE ledger_entries (
                id bigserial PRIMARY KEY,
                clinic_id text NOT NULL,
                transfer_id text NOT NULL,
                kind text NOT NULL,
                account text NOT NULL,
                patient_id text,
                charge_id text,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                event_id text NOT NULL,
                entered_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (clinic_id, transfer_id, account))
            """,
            "CREATE INDEX ledger_entries_patient ON ledger_entries (clinic_id, patient_id, id)",
            // The ledger is append-only: a correction is a new transfer, never an edit.
            """
            CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'ledger entries are append-only; post a reversing transfer instead'; END $$
            """,
            """
            CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
            FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()
            """,
            """
            CREATE TABLE patient_balances (
                clinic_id text NOT NULL,
                patient_id text NOT NULL,
                currency char(3) NOT NULL,
                balance bigint NOT NULL,
                version bigint NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (clinic_id, patient_id, currency))
            """,
        ]),
        Migration(2, "adjustments", [
            """
            CREATE TABLE adjustments (
                clinic_id text NOT NULL,
                adjustment_id text NOT NULL,
                patient_id text NOT NULL,
                kind text NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                currency char(3) NOT NULL,
                balance_change bigint NOT NULL,
                reason text NOT NULL,
                note text,
                created_by text NOT NULL,
                request_id text NOT NULL,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, adjustment_id))
            """,
            "CREATE INDEX adjustments_patient ON adjustments (clinic_id, patient_id, created_at)",
        ]),
        Migration(3, "payments, refunds, saved methods, collections, review", [
            // Every transfer's postings sum to zero, checked by the database too: a transfer is written whole by
            // one statement (and (transfer, account) is unique), so the check sums what each statement wrote.
            """
            CREATE FUNCTION ledger_transfers_balance() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE unbalanced text;
            BEGIN
                SELECT transfer_id INTO unbalanced FROM written
                GROUP BY clinic_id, transfer_id, currency HAVING sum(amount) <> 0 LIMIT 1;
                IF unbalanced IS NOT NULL THEN
                    RAISE EXCEPTION 'transfer % does not sum to zero: every transfer is balanced', unbalanced;
                END IF;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
            REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_balance()
            """,
            "ALTER TABLE charges ADD COLUMN treatment_plan_id text",
            "ALTER TABLE charges ADD COLUMN paid bigint NOT NULL DEFAULT 0",
            // The work a charge is for (patient, procedure, tooth, surfaces, service date): the same work
            // under another charge id is held as a possible duplicate.
            "ALTER TABLE charges ADD COLUMN work_key text",
            "CREATE INDEX charges_work ON charges (clinic_id, work_key) WHERE reversed_at IS NULL",
            "CREATE INDEX charges_patient_open ON charges (clinic_id, patient_id, service_date, recorded_at) WHERE reversed_at IS NULL",
            """
            CREATE TABLE payment_methods (
                clinic_id text NOT NULL,
                payment_method_id text NOT NULL,
                patient_id text NOT NULL,
                gateway text NOT NULL,
                gateway_method_id text NOT NULL,
                customer_id text,
                kind text NOT NULL,
                brand text,
                last4 text NOT NULL,
                exp_month int,
                exp_year int,
                status text NOT NULL CHECK (status IN ('active', 'revoked', 'needs_updating', 'blocked')),
                auto_charge jsonb,
                created_at timestamptz NOT NULL,
                status_changed_at timestamptz,
                PRIMARY KEY (clinic_id, payment_method_id))
            """,
            "CREATE INDEX payment_methods_patient ON payment_methods (clinic_id, patient_id)",
            """
            CREATE TABLE payments (
                clinic_id text NOT NULL,
                payment_id text NOT NULL,
                patient_id text NOT NULL,
                method text NOT NULL,
                origin text NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                currency char(3) NOT NULL,
                status text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed', 'unknown')),
                gateway text,
                source jsonb,
                payment_method_id text,
                gateway_charge_id text,
                card_brand text,
                card_last4 text,
                failure jsonb,
                soft_decline boolean,
                reference text,
                note text,
                plan_id text,
                installment_id text,
                -- What one collection is (an auto-charge of a balance on a run date, a plan installment) and
                -- which try of it this payment is: each try happens once.
                collection_key text,
                attempt int NOT NULL DEFAULT 0,
                refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
                created_by text NOT NULL,
                request_id text,
                created_at timestamptz NOT NULL,
                settled_at timestamptz,
                -- Wall time of the last gateway call: the janitor leaves a payment alone while a call may be in flight.
                gateway_called_at timestamptz,
                PRIMARY KEY (clinic_id, payment_id))
            """,
            "CREATE INDEX payments_patient ON payments (clinic_id, patient_id, created_at)",
            "CREATE INDEX payments_unsettled ON payments (status) WHERE status IN ('processing', 'unknown')",
            "CREATE UNIQUE INDEX payments_collection_once ON payments (clinic_id, collection_key, attempt) WHERE collection_key IS NOT NULL",
            // At most one payment of an installment succeeds or is under way.
            """
            CREATE UNIQUE INDEX payments_installment_once ON payments (clinic_id, plan_id, installment_id)
            WHERE installment_id IS NOT NULL AND status <> 'failed'
            """,
            """
            CREATE TABLE payment_allocations (
                clinic_id text NOT NULL,
                payment_id text NOT NULL,
                charge_id text NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                PRIMARY KEY (clinic_id, payment_id, charge_id))
            """,
            """
            CREATE TABLE refunds (
                clinic_id text NOT NULL,
                refund_id text NOT NULL,
                payment_id text NOT NULL,
                amount bigint NOT NULL CHECK (amount > 0),
                currency char(3) NOT NULL,
                status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
                gateway text,
                gateway_refund_id text,
                gateway_called_at timestamptz,
                failure jsonb,
                reason text,
                created_by text NOT NULL,
                request_id text,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, refund_id))
            """,
            "CREATE INDEX refunds_payment ON refunds (clinic_id, payment_id)",
            // Soft declines of automatic collections, retried on a schedule.
            """
            CREATE TABLE collection_retries (
                clinic_id text NOT NULL,
                collection_key text NOT NULL,
                patient_id text NOT NULL,
                origin text NOT NULL,
                payment_method_id text NOT NULL,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                plan_id text,
                installment_id text,
                first_failed_at timestamptz NOT NULL,
                attempts_made int NOT NULL,
                -- retrying: a try is scheduled (next_retry_at) or under way (NULL); failed: no try follows.
                state text NOT NULL CHECK (state IN ('retrying', 'failed')),
                next_retry_at timestamptz,
                PRIMARY KEY (clinic_id, collection_key))
            """,
            "CREATE INDEX collection_retries_due ON collection_retries (next_retry_at) WHERE next_retry_at IS NOT NULL",
            """
            CREATE TABLE review_items (
                clinic_id text NOT NULL,
                item_id text NOT NULL,
                kind text NOT NULL,
                patient_id text NOT NULL,
                subject_id text NOT NULL,
                summary text NOT NULL,
                held_event jsonb,
                status text NOT NULL CHECK (status IN ('open', 'released', 'rejected')),
                created_at timestamptz NOT NULL,
                decided_by text,
                decided_at timestamptz,
                decision_note text,
                PRIMARY KEY (clinic_id, item_id))
            """,
            "CREATE INDEX review_items_open ON review_items (clinic_id, status, created_at)",
            "CREATE UNIQUE INDEX review_items_once ON review_items (clinic_id, kind, subject_id)",
            // Money payments must not collect outside a plan or before insurance answers.
            """
            CREATE TABLE plan_financing (
                clinic_id text NOT NULL,
                plan_id text NOT NULL,
                patient_id text NOT NULL,
                financed bigint NOT NULL,
                currency char(3) NOT NULL,
                status text NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, plan_id))
            """,
            """
            CREATE TABLE expected_insurance (
                clinic_id text NOT NULL,
                claim_id text NOT NULL,
                patient_id text NOT NULL,
                expected bigint NOT NULL,
                currency char(3) NOT NULL,
                open boolean NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, claim_id))
            """,
            // The auto-charge run tells of a balance it could not charge once per run.
            """
            CREATE TABLE balance_due_notices (
                clinic_id text NOT NULL,
                patient_id text NOT NULL,
                currency char(3) NOT NULL,
                run_date date NOT NULL,
                reason text NOT NULL,
                PRIMARY KEY (clinic_id, patient_id, currency, run_date))
            """,
            """
            CREATE TABLE account_notes (
                id bigserial PRIMARY KEY,
                clinic_id text NOT NULL,
                patient_id text NOT NULL,
                note text NOT NULL,
                created_at timestamptz NOT NULL)
            """,
            "CREATE INDEX account_notes_patient ON account_notes (clinic_id, patient_id, id)",
            """
            CREATE TABLE gateway_webhooks (
                gateway text NOT NULL,
                event_id text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (gateway, event_id))
            """,
            // The built-in sandbox gateway's own books: it is an outside system that lives in this schema
            // so that it survives a restart of payments (the janitor asks it by idempotency key).
            """
            CREATE TABLE sandbox_charges (
                idempotency_key text PRIMARY KEY,
                gateway_charge_id text NOT NULL UNIQUE,
                token text NOT NULL,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                outcome text NOT NULL,
                decline_token text,
                settles_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE sandbox_methods (
                gateway_method_id text PRIMARY KEY,
                idempotency_key text NOT NULL UNIQUE,
                token text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE sandbox_refunds (
                idempotency_key text PRIMARY KEY,
                gateway_refund_id text NOT NULL UNIQUE,
                gateway_charge_id text NOT NULL,
                amount bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now())
            """,
        ]),
    ]
}
