import Storage

enum PlansMigrations {
    static let all = [
        Migration(1, "payment plans and their scheduled payments", [
            // A plan is stored whole (`body`, the aggregate) and projected into the spec's columns for
            // lists, filters and stats; the scheduled payments are projected into their own table.
            "CREATE SEQUENCE plan_numbers",
            """
            CREATE TABLE payment_plans (
                seq bigserial UNIQUE,
                clinic_id text NOT NULL,
                plan_id text NOT NULL,
                plan_number text NOT NULL UNIQUE,
                account_id text NOT NULL,
                status text NOT NULL,
                currency char(3) NOT NULL,
                total_amount bigint NOT NULL,
                down_payment bigint NOT NULL,
                financed_amount bigint NOT NULL,
                monthly_payment bigint NOT NULL,
                remaining_balance bigint NOT NULL,
                number_of_payments int NOT NULL,
                completed_payments int NOT NULL,
                frequency text NOT NULL,
                start_date date NOT NULL,
                next_payment_date date,
                end_date date,
                paused_until date,
                payment_method_id text,
                auto_pay_enabled boolean NOT NULL,
                treatment_plan_id text,
                signed_at timestamptz,
                signed_by text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                deleted_at timestamptz,
                created_by text NOT NULL,
                updated_by text NOT NULL,
                body jsonb NOT NULL,
                PRIMARY KEY (clinic_id, plan_id))
            """,
            "CREATE INDEX payment_plans_by_account ON payment_plans (clinic_id, account_id)",
            "CREATE INDEX payment_plans_by_status ON payment_plans (status)",
            "CREATE INDEX payment_plans_by_next_payment ON payment_plans (next_payment_date) WHERE status = 'ACTIVE'",
            "CREATE INDEX payment_plans_paused ON payment_plans (paused_until) WHERE status = 'PAUSED'",
            "CREATE INDEX payment_plans_by_treatment ON payment_plans (clinic_id, treatment_plan_id) WHERE treatment_plan_id IS NOT NULL",
            """
            CREATE TABLE scheduled_payments (
                clinic_id text NOT NULL,
                plan_id text NOT NULL,
                installment_id text NOT NULL,
                number int NOT NULL,
                due_date date NOT NULL,
                amount bigint NOT NULL,
                principal bigint NOT NULL,
                interest bigint NOT NULL,
                paid bigint NOT NULL,
                status text NOT NULL,
                paid_at timestamptz,
                days_late int,
                PRIMARY KEY (clinic_id, plan_id, installment_id),
                FOREIGN KEY (clinic_id, plan_id) REFERENCES payment_plans (clinic_id, plan_id))
            """,
            """
            CREATE TABLE plan_policies (
                clinic_id text PRIMARY KEY,
                policy jsonb NOT NULL,
                updated_by text NOT NULL,
                updated_at timestamptz NOT NULL)
            """,
        ]),
        Migration(2, "what plans keeps of payments' and insurance's facts", [
            """
            CREATE TABLE payment_methods (
                clinic_id text NOT NULL,
                payment_method_id text NOT NULL,
                patient_id text NOT NULL,
                kind text NOT NULL,
                brand text,
                last4 text NOT NULL,
                auto_charge boolean NOT NULL,
                status text NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, payment_method_id))
            """,
            // Each patient's payment behaviour, for the propensity score (never demographics).
            """
            CREATE TABLE payment_history (
                clinic_id text NOT NULL,
                patient_id text NOT NULL,
                on_time int NOT NULL DEFAULT 0,
                late int NOT NULL DEFAULT 0,
                missed int NOT NULL DEFAULT 0,
                declines int NOT NULL DEFAULT 0,
                defaults int NOT NULL DEFAULT 0,
                completed_plans int NOT NULL DEFAULT 0,
                unpaid_since date,
                PRIMARY KEY (clinic_id, patient_id))
            """,
            """
            CREATE TABLE charges (
                clinic_id text NOT NULL,
                charge_id text NOT NULL,
                patient_id text NOT NULL,
                treatment_plan_id text,
                fee bigint NOT NULL,
                currency char(3) NOT NULL,
                reversed boolean NOT NULL DEFAULT false,
                PRIMARY KEY (clinic_id, charge_id))
            """,
            "CREATE INDEX charges_by_treatment ON charges (clinic_id, treatment_plan_id) WHERE treatment_plan_id IS NOT NULL",
            """
            CREATE TABLE insurance_payments (
                clinic_id text NOT NULL,
                claim_id text NOT NULL,
                trace_number text NOT NULL,
                charge_id text NOT NULL,
                paid bigint NOT NULL,
                contractual bigint NOT NULL,
                PRIMARY KEY (clinic_id, claim_id, trace_number, charge_id))
            """,
            """
            CREATE TABLE accepted_estimates (
                clinic_id text NOT NULL,
                estimate_id text NOT NULL,
                patient_id text NOT NULL,
                treatment_plan_id text,
                treatment_type text,
                patient_portion bigint NOT NULL,
                currency char(3) NOT NULL,
                accepted_by text NOT NULL,
                accepted_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, estimate_id))
            """,
        ]),
        Migration(3, "plan offers with single-use enrolment links", [
            """
            CREATE TABLE plan_offers (
                clinic_id text NOT NULL,
                offer_id text NOT NULL,
                token_hash text NOT NULL UNIQUE,
                patient_id text NOT NULL,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                options jsonb NOT NULL,
                risk jsonb NOT NULL,
                reason text NOT NULL,
                expires_at timestamptz NOT NULL,
                used_at timestamptz,
                plan_id text,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, offer_id))
            """,
            "CREATE INDEX plan_offers_open ON plan_offers (clinic_id, patient_id) WHERE used_at IS NULL",
        ]),
    ]
}
