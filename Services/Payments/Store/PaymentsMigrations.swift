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
    ]
}
