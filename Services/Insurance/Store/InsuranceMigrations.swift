import Storage

enum InsuranceMigrations {
    static let all = [
        Migration(1, "facts a claim needs, coverages, appointments and charges", [
            // Bodies that name a person (patients, coverages with their subscriber, claims, X12 files) are
            // sealed with the field cipher: PHI at rest is never plain text.
            "CREATE TABLE patients (clinic_id text NOT NULL, patient_id text NOT NULL, body text NOT NULL, PRIMARY KEY (clinic_id, patient_id))",
            "CREATE TABLE providers (clinic_id text NOT NULL, provider_id text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (clinic_id, provider_id))",
            "CREATE TABLE practices (clinic_id text PRIMARY KEY, body jsonb NOT NULL)",
            """
            CREATE TABLE coverages (
                clinic_id text NOT NULL,
                coverage_id text NOT NULL,
                patient_id text NOT NULL,
                priority text NOT NULL,
                payer_id text NOT NULL,
                body text NOT NULL,
                -- what the payer's latest 271 said (PlanBenefits), refining the clinic's benefits
                payer_benefits jsonb,
                payer_active boolean,
                checked_at timestamptz,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, coverage_id))
            """,
            "CREATE INDEX coverages_by_patient ON coverages (clinic_id, patient_id)",
            """
            CREATE TABLE appointments (
                clinic_id text NOT NULL,
                appointment_id text NOT NULL,
                patient_id text NOT NULL,
                provider_id text NOT NULL,
                starts_at timestamptz NOT NULL,
                planned jsonb NOT NULL,
                completed_at timestamptz,
                PRIMARY KEY (clinic_id, appointment_id))
            """,
            """
            CREATE TABLE charges (
                clinic_id text NOT NULL,
                charge_id text NOT NULL,
                patient_id text NOT NULL,
                appointment_id text,
                service_date date NOT NULL,
                body jsonb NOT NULL,
                recorded_at timestamptz NOT NULL,
                reversed boolean NOT NULL DEFAULT false,
                -- null: not looked at yet; a claim id; or 'self_pay' when no coverage was active
                claim_id text,
                PRIMARY KEY (clinic_id, charge_id))
            """,
            "CREATE INDEX charges_to_claim ON charges (recorded_at) WHERE claim_id IS NULL AND NOT reversed",
            "CREATE INDEX charges_by_patient ON charges (clinic_id, patient_id)",
            """
            CREATE TABLE fee_schedules (
                clinic_id text NOT NULL,
                -- '' is the practice's own fee schedule; a payer id its allowed amounts
                payer_id text NOT NULL,
                code text NOT NULL,
                description text NOT NULL,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                PRIMARY KEY (clinic_id, payer_id, code))
            """,
        ]),
        Migration(2, "claims, X12 files, eligibility checks, estimates, the work queue", [
            """
            CREATE TABLE claims (
                seq bigserial UNIQUE,
                clinic_id text NOT NULL,
                claim_id text NOT NULL,
                patient_id text NOT NULL,
                payer_id text NOT NULL,
                kind text NOT NULL,
                status text NOT NULL,
                appointment_id text,
                interchange_control_number text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                body text NOT NULL,
                PRIMARY KEY (clinic_id, claim_id))
            """,
            "CREATE UNIQUE INDEX claims_by_id ON claims (claim_id)",
            "CREATE INDEX claims_by_status ON claims (clinic_id, status)",
            "CREATE INDEX claims_to_send ON claims (updated_at) WHERE status IN ('draft', 'corrected')",
            // What each payer did with each code: the history the denial-risk score learns from.
            """
            CREATE TABLE claim_outcomes (
                clinic_id text NOT NULL, claim_id text NOT NULL, payer_id text NOT NULL, code text NOT NULL,
                denied boolean NOT NULL, PRIMARY KEY (clinic_id, claim_id, code))
            """,
            "CREATE SEQUENCE interchange_numbers",
            "CREATE SEQUENCE transaction_numbers START 1001",
            """
            CREATE TABLE x12_files (
                seq bigserial UNIQUE,
                file_id text PRIMARY KEY,
                clinic_id text,
                direction text NOT NULL,
                transaction_set text NOT NULL,
                control_number text,
                -- out: pending → sent; in: processed, held (unreadable), unmatched (names what we do not know)
                status text NOT NULL,
                problem text,
                sha256 text NOT NULL,
                content text NOT NULL,
                created_at timestamptz NOT NULL,
                sent_at timestamptz)
            """,
            "CREATE UNIQUE INDEX x12_files_inbound_once ON x12_files (sha256) WHERE direction = 'in'",
            "CREATE INDEX x12_files_to_send ON x12_files (seq) WHERE status = 'pending'",
            "CREATE INDEX x12_files_by_control ON x12_files (direction, transaction_set, control_number)",
            """
            CREATE TABLE eligibility_checks (
                clinic_id text NOT NULL,
                check_id text NOT NULL UNIQUE,
                patient_id text NOT NULL,
                coverage_id text NOT NULL,
                appointment_id text,
                status text NOT NULL,
                request_file_id text,
                response_file_id text,
                result jsonb,
                -- why no 270 could go out (a fact the inquiry needs is missing)
                problem text,
                created_at timestamptz NOT NULL,
                answered_at timestamptz,
                PRIMARY KEY (clinic_id, check_id))
            """,
            """
            CREATE TABLE estimates (
                clinic_id text NOT NULL,
                estimate_id text NOT NULL,
                patient_id text NOT NULL,
                treatment_plan_id text,
                appointment_id text,
                body jsonb NOT NULL,
                accepted_at timestamptz,
                accepted_by text,
                PRIMARY KEY (clinic_id, estimate_id))
            """,
            "CREATE INDEX estimates_by_patient ON estimates (clinic_id, patient_id)",
            """
            CREATE TABLE work_queue (
                seq bigserial PRIMARY KEY,
                clinic_id text,
                file_id text NOT NULL,
                kind text NOT NULL,
                reference text NOT NULL,
                message text NOT NULL,
                created_at timestamptz NOT NULL,
                resolved_at timestamptz)
            """,
        ]),
        Migration(3, "the embedded clearinghouse simulator: its members and the answers it has not delivered", [
            "CREATE TABLE simulator_members (payer_id text NOT NULL, member_id text NOT NULL, body text NOT NULL, PRIMARY KEY (payer_id, member_id))",
            "CREATE TABLE simulator_answers (seq bigserial PRIMARY KEY, content text NOT NULL, available_at timestamptz NOT NULL)",
        ]),
    ]
}
